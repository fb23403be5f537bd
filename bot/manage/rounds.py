"""/round: the team's current assessment round; managers open a new one or set its due date.

A new round closes the current one (its answers are kept as that round's record) and starts the
team's pack again; people see their previous answers and keep them with one tap ("still true").
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import Application, ContextTypes

from bot.core.commands import Chat, Need, command_handler
from bot.core.i18n import N_, _, ngettext
from bot.core.private_gate import refused
from bot.core.render import esc, progress_bar
from bot.core.runtime import runtime
from bot.core.turns import Turn, open_turn
from bot.domain.team_rules import RoundArgumentError, parse_due_date, parse_new_round
from bot.manage.actions import walk_through
from bot.manage.pack_view import round_pack_choice
from bot.services import rounds
from bot.services.packs import give_to_team, pack_of
from bot.services.progress import progress_of_team
from bot.services.schedules import team_zone

USAGE_TEXT = N_(
    "<code>/round</code> — the current round\n"
    "<code>/round new NAME [YYYY-MM-DD]</code> — close it and start a new one (managers)\n"
    "<code>/round due YYYY-MM-DD</code> — set the due date (managers)"
)


def register(app: Application, group: int) -> None:
    app.add_handler(command_handler(Chat.PRIVATE, "round", round_command), group)


async def round_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/round, /round new NAME [date], /round due date."""
    message = update.effective_message
    args = list(context.args or [])
    async with open_turn(runtime(context), update.effective_user) as turn:
        if await refused(turn, message, Need.MEMBER):
            return
        if not args:
            await message.reply_text(await _current_round_text(turn))
            return
        action, rest = args[0].lower(), args[1:]
        if action not in ("new", "due"):
            await message.reply_text(_(USAGE_TEXT))
            return
        if await refused(turn, message, Need.MANAGER):
            return
        today = turn.now.astimezone(ZoneInfo(_zone(turn, context))).date()
        try:
            if action == "new":
                text = await _new_round(turn, context, rest, today)
            else:
                text = await _set_due(turn, rest, today)
        except RoundArgumentError as problem:
            problem_text = _(problem.template).format(**problem.params)
            text = f"{esc(problem_text)}\n\n{_(USAGE_TEXT)}"
        await message.reply_text(text)
        if action == "new":
            # The round just closed (if it did): its unfinished improvement actions.
            await walk_through(turn, message, turn.assessment.round.id)


def _zone(turn: Turn, context) -> str:
    return team_zone(turn.assessment.team, runtime(context).settings.default_timezone)


async def _current_round_text(turn: Turn) -> str:
    team, round_ = turn.assessment.team, turn.assessment.round
    progress = await progress_of_team(turn.session, turn.pack, team.id, round_.id)
    earlier = await rounds.round_count(turn.session, team.id) - 1
    if round_.due_date:
        due = _("due {date}").format(date=f"{round_.due_date:%Y-%m-%d}")
    else:
        due = _("no due date")
    questions = len(turn.pack.questions())
    lines = [
        f"🗓 <b>{esc(round_.name)}</b> — {esc(team.name)}",
        _("Started {date} · {due}").format(date=f"{round_.started_at:%Y-%m-%d}", due=due),
        ngettext("“{pack}”, {count} question", "“{pack}”, {count} questions", questions).format(
            pack=esc(turn.pack.title), count=questions
        ),
        ngettext(
            "{bar} {done}/{total} answer from the team",
            "{bar} {done}/{total} answers from the team",
            progress.total,
        ).format(
            bar=progress_bar(progress.done, progress.total),
            done=progress.done,
            total=progress.total,
        ),
        _("Earlier rounds kept: {count}").format(count=earlier),
    ]
    if turn.assessment.role == "manager":
        lines += ["", _(USAGE_TEXT)]
    return "\n".join(lines)


async def _new_round(turn: Turn, context, args: list[str], today) -> str:
    team, current = turn.assessment.team, turn.assessment.round
    # Stored once and shown to everyone: written in the language of the manager who opens it.
    default_name = _("Round {number}").format(
        number=await rounds.round_count(turn.session, team.id) + 1
    )
    choice = await round_pack_choice(turn, runtime(context).packs, args)
    if choice is not None:
        args = args[:-1]
    name, due = parse_new_round(args, today, default_name)
    key = choice.key if choice else team.pack_id
    pack = choice.pack if choice else await pack_of(turn.session, runtime(context).packs, key)
    new_round = await rounds.open_new_round(turn.session, team, current, name, due, pack, key)
    if new_round is None:
        return _("Another manager has just started a new round. /round shows it.")
    await give_to_team(turn.session, key, team.id)
    await turn.commit()
    if due:
        opened = _("✅ <b>{round}</b> is open for <b>{team}</b>, due {date}.")
    else:
        opened = _("✅ <b>{round}</b> is open for <b>{team}</b>.")
    return (
        opened.format(
            round=esc(new_round.name), team=esc(team.name), date=f"{due:%Y-%m-%d}" if due else ""
        )
        + "\n"
        + _(
            "<b>{round}</b> is closed; its answers are kept.\n\n"
            "Everyone starts again with /next. Where someone answered last time, they see that "
            "answer and can keep it with one tap."
        ).format(round=esc(current.name))
        + "\n"
        + _("Framework: “{pack}”.").format(pack=esc(pack.translated(turn.language).title))
    )


async def _set_due(turn: Turn, args: list[str], today) -> str:
    if len(args) != 1:
        raise RoundArgumentError(N_("Give one date: /round due YYYY-MM-DD."))
    due = parse_due_date(args[0], today)
    turn.assessment.round.due_date = due
    turn.session.add(turn.assessment.round)
    await turn.commit()
    return _("📅 <b>{round}</b> is now due {date}.").format(
        round=esc(turn.assessment.round.name), date=f"{due:%Y-%m-%d}"
    )
