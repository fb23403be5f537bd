"""/consensus in a team's group: the team agrees, area by area, on its maturity level, then on
its strengths and opportunities for improvement; the result is part of the round's record.

A manager opens a vote. In a team that compares by name it is a native Telegram poll
(non-anonymous, so each vote arrives as poll_answer and only team members' votes are counted).
In an anonymous team (team.anonymous_compare) a non-anonymous poll would show everyone's choice
to the group, and an anonymous one would count anyone in the group, so the vote is a row of
buttons instead: each press is recorded for that member, answered with a notice only the presser
sees, and the group sees only how many voted (and the split per level once at least the team's
anonymity threshold voted). Either way only people in the team when the vote closes count.

Closing it (the Close button, or the poll closing by itself) records the level most members
chose. The bot then asks two questions; the replies to them are kept by `consensus_notes`.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputPollOption,
    Message,
    Update,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    PollAnswerHandler,
    PollHandler,
    filters,
)

from bot.core import i18n
from bot.core.callbacks import (
    CONSENSUS_CLOSE_PATTERN,
    CONSENSUS_VOTE_PATTERN,
    consensus_close_data,
    consensus_vote_data,
)
from bot.core.commands import GROUPS, Chat, command_handler
from bot.core.group_turn import GroupTurn, Need, alert, alert_text, open_group_turn, refused
from bot.core.i18n import _, maturity_label, ngettext
from bot.core.render import edit_quietly, esc, preview, split_message
from bot.core.runtime import runtime
from bot.domain.compare import LEVEL_IDS, agreed_level, breakdown_visible
from bot.group.consensus_notes import reply_received
from bot.private.score_view import percent
from bot.services import consensus as ballots
from bot.services import membership, scores
from bot.services.packs import pack_of
from criteria.model import Area, Pack
from storage.models import AgreedScore, AssessmentRound, Consensus, Team

log = logging.getLogger(__name__)

POLL_QUESTION_MAX = 300
UNKNOWN_POLL_RETRIES, UNKNOWN_POLL_PAUSE = 10, 0.2  # seconds


def register(app: Application, group: int) -> None:
    app.add_handler(command_handler(Chat.GROUP, "consensus", consensus_command), group)
    app.add_handler(CallbackQueryHandler(close_button, pattern=CONSENSUS_CLOSE_PATTERN), group)
    app.add_handler(CallbackQueryHandler(vote_button, pattern=CONSENSUS_VOTE_PATTERN), group)
    app.add_handler(PollAnswerHandler(vote_received), group)
    app.add_handler(PollHandler(poll_changed), group)
    app.add_handler(
        MessageHandler(
            GROUPS & filters.UpdateType.MESSAGE & filters.REPLY & filters.TEXT & ~filters.COMMAND,
            reply_received,
        ),
        group,
    )


async def consensus_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/consensus: what was agreed per area; /consensus N (managers): vote on area N."""
    message = update.effective_message
    async with open_group_turn(runtime(context), update.effective_user, message.chat_id) as turn:
        if not context.args:
            if await refused(turn, update, Need.MEMBER, needs_round=True):
                return
            rows = await ballots.consensus_rows(turn.session, turn.round.id)
            agreed = await scores.agreed_scores(turn.session, turn.round.id)
            for part in split_message(_summary_blocks(turn, rows, agreed)):
                await message.reply_text(part)
            return
        if await refused(turn, update, Need.MANAGER, needs_round=True):
            return
        areas = turn.pack.areas()
        arg = context.args[0]
        if not arg.isdigit() or not 1 <= int(arg) <= len(areas):
            await message.reply_text(
                _("Give an area number from 1 to {count}: /consensus 1").format(count=len(areas))
            )
            return
        area = areas[int(arg) - 1]
        existing = (await ballots.consensus_rows(turn.session, turn.round.id)).get(area.id)
        if existing is not None and ballots.poll_is_open(existing):
            await message.reply_text(_("A vote on this area is already open. Close it first."))
            return
        await _open_vote(turn, context.bot, area)
        if _is_scored(turn.pack, area):
            # The agreed score is the step beside the maturity vote: say how to set it.
            await message.reply_text(
                _(
                    "📊 When the team has talked it over, set the area's agreed score too: "
                    "{command} (the scores' spread: /scores)."
                ).format(command=f"<code>/agree {int(arg)} SCORE reason</code>")
            )


def _is_scored(pack: Pack, area: Area) -> bool:
    return pack.scoring is not None and pack.scoring.scores(area.id)


async def _open_vote(turn: GroupTurn, bot: Bot, area: Area) -> None:
    row = await ballots.consensus_of_area(turn.session, turn.round.id, area.id)
    await turn.session.commit()  # the buttons need the row's id
    if turn.team.anonymous_compare:
        message = await bot.send_message(
            turn.chat_id, _secret_vote_text(area, 0), reply_markup=_secret_vote_keyboard(row.id)
        )
        poll_id = ballots.button_vote_id(message.message_id)
    else:
        message = await _send_poll(turn, bot, area, row.id)
        poll_id = message.poll.id
    await ballots.start_poll(turn.session, row, turn.chat_id, poll_id, message.message_id)
    await turn.session.commit()


async def _send_poll(turn: GroupTurn, bot: Bot, area: Area, consensus_id: int) -> Message:
    """A native poll; names show, as they do in this team's comparisons."""
    question = _("{area}: which maturity level has our team reached?").format(area=area.title)
    if len(question) > POLL_QUESTION_MAX:
        question = _("{area}: our maturity level?").format(
            area=preview(area.title, POLL_QUESTION_MAX - 40)
        )
    # The application's default parse mode (HTML) applies to poll questions and options too.
    return await bot.send_poll(
        turn.chat_id,
        esc(question),
        [InputPollOption(esc(maturity_label(level))) for level in LEVEL_IDS],
        is_anonymous=False,  # each vote arrives as poll_answer, so only members' votes count
        reply_markup=InlineKeyboardMarkup([[_close_button(consensus_id)]]),
    )


def _close_button(consensus_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        _("🛑 Close the vote"), callback_data=consensus_close_data(consensus_id)
    )


def _secret_vote_text(area: Area, votes: int) -> str:
    return "\n\n".join(
        [
            _("🗳 <b>{area}</b>: which maturity level has our team reached?").format(
                area=esc(preview(area.title, POLL_QUESTION_MAX))
            ),
            _(
                "🕶 This vote is secret: tap a level. Only you see what you chose; the group sees "
                "how many voted."
            ),
            ngettext("{count} vote so far.", "{count} votes so far.", votes).format(count=votes),
        ]
    )


def _secret_vote_keyboard(consensus_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    maturity_label(level), callback_data=consensus_vote_data(consensus_id, index)
                )
            ]
            for index, level in enumerate(LEVEL_IDS)
        ]
        + [[_close_button(consensus_id)]]
    )


async def _vote_row(turn: GroupTurn, query, consensus_id: int) -> Consensus | None:
    """The open vote this button belongs to, or None after telling the presser why not."""
    row = await turn.session.get(Consensus, consensus_id)
    if row is None or row.round_id != turn.round.id or row.chat_id != turn.chat_id:
        await alert(query, _("This vote is not this group's."))
        return None
    # A button of an earlier vote on the same area (opened again since) is as stale as a closed one.
    if not ballots.poll_is_open(row) or row.poll_message_id != query.message.message_id:
        await alert(query, _("This vote is already closed."))
        return None
    return row


async def vote_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A secret vote by button: recorded for the member, shown to the group only as a count."""
    query = update.callback_query
    match = CONSENSUS_VOTE_PATTERN.match(query.data)
    level_index = int(match["level"])
    async with open_group_turn(runtime(context), update.effective_user, query.message.chat.id) as (
        turn
    ):
        if await refused(turn, update, Need.MEMBER, needs_round=True):
            return
        row = await _vote_row(turn, query, int(match["consensus"]))
        if row is None:
            return
        if not ballots.is_button_vote(row) or level_index >= len(LEVEL_IDS):
            await alert(query, _("This button is no longer valid."))
            return
        before = len(await ballots.votes_of(turn.session, row.id))
        await ballots.record_vote(turn.session, row.id, turn.person.id, LEVEL_IDS[level_index])
        votes = len(await ballots.votes_of(turn.session, row.id))
        await turn.session.commit()
        area = turn.pack.area(row.area_id)
    await query.answer(
        alert_text(
            _(
                "Your vote: {level}. Only you see this; you can change it until the vote closes."
            ).format(level=maturity_label(LEVEL_IDS[level_index]))
        )
    )
    if votes != before:
        await edit_quietly(query, _secret_vote_text(area, votes), _secret_vote_keyboard(row.id))


async def close_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A manager closes the vote: it stops and the level most members chose is recorded."""
    query = update.callback_query
    consensus_id = int(CONSENSUS_CLOSE_PATTERN.match(query.data)["consensus"])
    chat_id = query.message.chat.id
    async with open_group_turn(runtime(context), update.effective_user, chat_id) as turn:
        if await refused(turn, update, Need.MANAGER, needs_round=True):
            return
        row = await _vote_row(turn, query, consensus_id)
        if row is None:
            return
        await query.answer()
        if ballots.is_button_vote(row):
            votes = len(await ballots.votes_of(turn.session, row.id))
            await edit_quietly(query, _closed_vote_text(turn.pack.area(row.area_id), votes), None)
        else:
            await context.bot.stop_poll(chat_id, row.poll_message_id)
        await _record_result(turn.session, context.bot, row, turn.pack, turn.team)


def _closed_vote_text(area: Area, votes: int) -> str:
    return _("🗳 <b>{area}</b>: the vote is closed ({votes}).").format(
        area=esc(preview(area.title, POLL_QUESTION_MAX)),
        votes=ngettext("{count} vote", "{count} votes", votes).format(count=votes),
    )


async def poll_changed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A poll closed by itself (or stopped elsewhere): record it like the Close button would."""
    poll = update.poll
    if not poll.is_closed:
        return
    rt = runtime(context)
    async with rt.sessions() as session:
        row = await ballots.consensus_by_poll(session, poll.id)
        if row is None or not ballots.poll_is_open(row):
            return
        round_ = await session.get(AssessmentRound, row.round_id)
        # No group turn here: speak the team's default language, as the group does.
        team = await session.get(Team, round_.team_id)
        language = i18n.resolve_language(None, team.language if team else None, None)
        i18n.set_language(language)
        pack = (await pack_of(session, rt.packs, round_.pack_id)).translated(language)
        await _record_result(session, context.bot, row, pack, team)


async def vote_received(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A vote (or a vote taken back); counted only when it comes from a member of the team."""
    answer = update.poll_answer
    if answer.user is None:  # voting as a chat: it cannot be tied to a member
        return
    async with runtime(context).sessions() as session:
        row = await _poll_row(session, answer.poll_id)
        if row is None or not ballots.poll_is_open(row):
            return
        person = await membership.person_by_telegram_id(session, answer.user.id)
        round_ = await session.get(AssessmentRound, row.round_id)
        if (
            person is None
            or await membership.role_in_team(session, round_.team_id, person.id) is None
        ):
            log.info("vote in poll %s from a non-member ignored", answer.poll_id)
            return
        options = answer.option_ids
        rating = LEVEL_IDS[options[0]] if options and options[0] < len(LEVEL_IDS) else None
        await ballots.record_vote(session, row.id, person.id, rating)
        await session.commit()


async def _poll_row(session: AsyncSession, poll_id: str) -> Consensus | None:
    """The consensus a poll belongs to. A vote can arrive before the poll's id is committed
    (Telegram delivers votes as soon as the poll is shown, while sendPoll's answer is still on
    its way to us), so an unknown poll is looked up again for a moment before giving up."""
    for _attempt in range(UNKNOWN_POLL_RETRIES):
        row = await ballots.consensus_by_poll(session, poll_id)
        if row is not None:
            return row
        await session.rollback()  # a fresh snapshot for the next look
        await asyncio.sleep(UNKNOWN_POLL_PAUSE)
    return await ballots.consensus_by_poll(session, poll_id)


async def _record_result(
    session: AsyncSession, bot: Bot, row: Consensus, pack: Pack, team: Team
) -> None:
    """Record the agreed level once (a Close press and a closed-poll update may race), then ask
    for strengths and opportunities for improvement."""
    agreed, counts = agreed_level(await ballots.votes_of(session, row.id))
    if not await ballots.record_agreement(session, row, agreed, counts):
        return
    area = pack.area(row.area_id)
    if agreed is None:
        await bot.send_message(
            row.chat_id,
            _("No team member voted on <b>{area}</b>, so nothing was recorded.").format(
                area=esc(area.title)
            ),
        )
        return
    votes = _votes_line(counts, team)
    strengths = await bot.send_message(
        row.chat_id,
        _("✅ Agreed for <b>{area}</b>: <b>{level}</b> ({votes}).").format(
            area=esc(area.title), level=esc(maturity_label(agreed)), votes=votes
        )
        + "\n\n"
        + _("💪 What are our <b>strengths</b> here? Reply to this message (one or more replies)."),
    )
    improvements = await bot.send_message(
        row.chat_id,
        _(
            "🎯 What are our <b>opportunities for improvement</b> in {area}? Reply to this message."
        ).format(area=esc(area.title)),
    )
    await ballots.remember_prompts(session, row.id, strengths.message_id, improvements.message_id)


def _votes_line(counts: dict[str, int], team: Team) -> str:
    """The votes per level; in an anonymous team only how many voted, until enough did that the
    split gives nobody away."""
    total = sum(counts.values())
    if not breakdown_visible(total, team.anonymous_compare, team.anonymity_threshold):
        return ngettext("{count} vote", "{count} votes", total).format(count=total)
    return ", ".join(f"{esc(maturity_label(level))} {n}" for level, n in counts.items() if n)


def _summary_blocks(
    turn: GroupTurn, rows: dict[str, Consensus], agreed: dict[str, AgreedScore]
) -> list[str]:
    blocks = [
        _("🤝 <b>What {team} agreed</b> · {round}").format(
            team=esc(turn.team.name), round=esc(turn.round.name)
        )
    ]
    for number, area in enumerate(turn.pack.areas(), start=1):
        row = rows.get(area.id)
        if row is None or (row.agreed_rating is None and row.poll_id is None):
            state = _("not agreed yet")
        elif ballots.poll_is_open(row):
            state = _("🗳 vote open")
        else:
            state = f"✅ {esc(maturity_label(row.agreed_rating))}"
        lines = [f"{number}. <b>{esc(area.title)}</b> — {state}"]
        score = agreed.get(area.id)
        if score is not None:
            lines.append(
                _("📊 Agreed score: <b>{score}</b> — {rationale}").format(
                    score=percent(score.value), rationale=esc(score.rationale)
                )
            )
        elif _is_scored(turn.pack, area):
            lines.append(_("📊 Agreed score: not set yet"))
        if row is not None and row.strengths:
            lines.append(f"💪 {esc(row.strengths)}")
        if row is not None and row.improvements:
            lines.append(f"🎯 {esc(row.improvements)}")
        blocks.append("\n".join(lines))
    blocks.append(_("Managers: <code>/consensus N</code> opens a vote on area N."))
    if turn.pack.scoring is not None:
        blocks.append(_("Managers: <code>/agree N SCORE reason</code> sets area N's agreed score."))
    return blocks
