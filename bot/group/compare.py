"""/compare in a team's group: one message, edited in place, stepping through the questions with
everyone's answers side by side, the spread of ratings and a mark where the team disagrees.

What to show (names or "Member N", hidden until enough answered, disagreement) is decided by
bot.domain.compare; this module reads the answers, renders within one message and edits it.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.core.callbacks import COMPARE_PATTERN, compare_data
from bot.core.commands import Chat, command_handler
from bot.core.group_turn import GroupTurn, Need, open_group_turn, refused
from bot.core.i18n import N_, _, maturity_label, member_label, ngettext
from bot.core.render import MESSAGE_LIMIT, edit_quietly, esc, preview
from bot.core.runtime import runtime
from bot.domain.compare import (
    LEVEL_IDS,
    RATINGS_APART,
    Disagreement,
    MemberAnswer,
    QuestionComparison,
    compare_question,
)
from bot.services.groups import answers_to_question
from criteria.model import Pack
from storage.queries import display_name, team_members
from storage.statuses import AnswerStatus

STALE = N_("This comparison is out of date. Send /compare to start again.")
NAME_CHARS = 40
EXCERPT_RANGE = (60, 600)  # characters of each answer shown, depending on how many there are
MORE_LINE_CHARS = 60  # "… and N more (the export has every answer)"
BAR_MAX = 20  # the spread's bars stop growing here; the count beside them still tells
HEADING_CHARS = (200, 1000)  # at most this much of the area title, and of the question


def register(app: Application, group: int) -> None:
    app.add_handler(command_handler(Chat.GROUP, "compare", compare_command), group)
    app.add_handler(CallbackQueryHandler(compare_button, pattern=COMPARE_PATTERN), group)


async def compare_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/compare [question number]: start stepping through the questions."""
    message = update.effective_message
    async with open_group_turn(runtime(context), update.effective_user, message.chat_id) as turn:
        if await refused(turn, update, Need.MEMBER, needs_round=True):
            return
        count = len(turn.pack.questions())
        arg = (context.args or ["1"])[0]
        if not arg.isdigit() or not 1 <= int(arg) <= count:
            await message.reply_text(
                _("Give a question number from 1 to {count}.").format(count=count)
            )
            return
        text, keyboard = await _render(turn, int(arg) - 1)
    await message.reply_text(text, reply_markup=keyboard)


async def compare_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Previous, next, next area: the same message shows another question."""
    query = update.callback_query
    match = COMPARE_PATTERN.match(query.data)
    round_id, index = int(match["round"]), int(match["index"])
    async with open_group_turn(runtime(context), update.effective_user, query.message.chat.id) as (
        turn
    ):
        if await refused(turn, update, Need.MEMBER, needs_round=True):
            return
        # The round in the button must be this group's team's open round: a button from before
        # a relink, a closed round or a forged id shows nothing.
        if round_id != turn.round.id or index >= len(turn.pack.questions()):
            await query.answer(_(STALE), show_alert=True)
            return
        text, keyboard = await _render(turn, index)
    await query.answer()
    await edit_quietly(query, text, keyboard)


async def _render(turn: GroupTurn, index: int) -> tuple[str, InlineKeyboardMarkup]:
    pack, team = turn.pack, turn.team
    question = pack.questions()[index]
    members = await team_members(turn.session, team.id)
    answers = await answers_to_question(turn.session, turn.round.id, question.id)
    member_answers = []
    for person, _role in members:
        answer = answers.get(person.id)
        member_answers.append(
            MemberAnswer(
                person.id,
                display_name(person),
                answer.status if answer else None,
                answer.text if answer else "",
                answer.rating if answer else None,
            )
        )
    comparison = compare_question(
        member_answers,
        anonymous=team.anonymous_compare,
        threshold=team.anonymity_threshold,
        salt=f"{turn.round.id}:{question.id}",
    )
    area = pack.area_of(question.id)
    position, in_area = pack.question_position(question.id)
    head = (
        _("🔍 <b>{area}</b> · question {position} of {size} ({number}/{total})").format(
            area=esc(preview(area.title, HEADING_CHARS[0])),
            position=position,
            size=in_area,
            number=index + 1,
            total=len(pack.questions()),
        )
        + f"\n<i>{esc(preview(question.text, HEADING_CHARS[1]))}</i>"
    )
    return compare_text(head, comparison, team.anonymity_threshold), _keyboard(
        pack, turn.round.id, index
    )


def compare_text(head: str, comparison: QuestionComparison, threshold: int) -> str:
    """The whole message, within Telegram's limit: the answers get whatever room the heading,
    the spread and the counts leave."""
    counts = _(
        "{answered} answered · {not_my_area} not my area · {waiting} still to answer"
    ).format(
        answered=comparison.answered,
        not_my_area=comparison.not_my_area,
        waiting=comparison.waiting,
    )
    if comparison.hidden:
        hidden = _(
            "🕶 Answers here are anonymous and show once at least {count} people have "
            "answered ({answered} so far)."
        ).format(count=threshold, answered=comparison.answered)
        return "\n\n".join([head, hidden, counts])
    if not comparison.entries:
        return "\n\n".join([head, _("Nobody has answered this question yet."), counts])
    spread = "\n".join(
        f"{esc(maturity_label(level))}: {'▰' * min(n, BAR_MAX) or '·'} {n}"
        for level, n in comparison.spread.items()
    )
    rest = [_("<b>Ratings</b>") + f"\n{spread}"]
    if comparison.disagreement:
        rest.append(
            _("⚠️ <b>The team disagrees:</b> {reason}.").format(
                reason=disagreement_reason(comparison.disagreement)
            )
        )
    rest.append(counts)
    room = MESSAGE_LIMIT - len("\n\n".join([head, "", *rest]))
    return "\n\n".join([head, _entries(comparison, room), *rest])


def disagreement_reason(disagreement: Disagreement) -> str:
    if disagreement.kind == RATINGS_APART:
        return ngettext(
            "ratings span {count} maturity level",
            "ratings span {count} maturity levels",
            disagreement.levels,
        ).format(count=disagreement.levels)
    return _("some answered while others said it is not their area")


def _entries(comparison: QuestionComparison, room: int) -> str:
    """Everyone's answer, each cut to share the room fairly; whoever does not fit is counted."""
    entries = comparison.entries
    room -= MORE_LINE_CHARS  # always keep space to say how many did not fit
    low, high = EXCERPT_RANGE
    excerpt_chars = max(low, min(high, room // len(entries) - NAME_CHARS - 40))
    lines: list[str] = []
    used = 0
    for shown, entry in enumerate(entries):
        name = entry.name if entry.number is None else member_label(entry.number)
        label = f"<b>{esc(preview(name, NAME_CHARS))}</b>"
        if entry.status == AnswerStatus.NOT_MY_AREA:
            line = f"{label} · " + _("<i>not my area</i>")
        else:
            rating = f" · {esc(maturity_label(entry.rating))}" if entry.rating in LEVEL_IDS else ""
            line = f"{label}{rating}\n{esc(preview(entry.text, excerpt_chars)) or '—'}"
        if used + len(line) + 1 > room:
            more = len(entries) - shown
            lines.append(
                ngettext(
                    "… and {count} more (the export has every answer)",
                    "… and {count} more (the export has every answer)",
                    more,
                ).format(count=more)
            )
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)


def _keyboard(pack: Pack, round_id: int, index: int) -> InlineKeyboardMarkup:
    questions = pack.questions()
    steps = []
    if index > 0:
        steps.append(
            InlineKeyboardButton(_("⬅️ Previous"), callback_data=compare_data(round_id, index - 1))
        )
    if index < len(questions) - 1:
        steps.append(
            InlineKeyboardButton(_("Next ➡️"), callback_data=compare_data(round_id, index + 1))
        )
    rows = [steps] if steps else []
    next_area = _next_area_start(pack, index)
    if next_area is not None:
        rows.append(
            [
                InlineKeyboardButton(
                    _("⏭ Next area"), callback_data=compare_data(round_id, next_area)
                )
            ]
        )
    return InlineKeyboardMarkup(rows)


def _next_area_start(pack: Pack, index: int) -> int | None:
    """Index of the first question of the area after the one `index` is in."""
    questions = pack.questions()
    area = pack.area_of(questions[index].id)
    for later in range(index + 1, len(questions)):
        if pack.area_of(questions[later].id).id != area.id:
            return later
    return None
