"""/review: read one's answers by area and change any of them."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.core.callbacks import REVIEW_PATTERN, AnswerButton, review_data
from bot.core.commands import Chat, Need, command_handler
from bot.core.i18n import N_, _, maturity_label
from bot.core.private_gate import refused
from bot.core.render import esc, split_message
from bot.core.runtime import runtime
from bot.core.turns import open_turn
from bot.domain.progress import person_area_progress
from bot.private import question_view as view
from bot.services import answers
from storage.models import Answer
from storage.statuses import AnswerStatus

STATUS_LABELS = {
    AnswerStatus.SKIPPED: N_("⏭ <i>skipped</i>"),
    AnswerStatus.NOT_MY_AREA: N_("🙅 <i>not my area</i>"),
}


def register(app: Application, group: int) -> None:
    app.add_handler(command_handler(Chat.PRIVATE, "review", review_command), group)
    app.add_handler(CallbackQueryHandler(review_area, pattern=REVIEW_PATTERN), group)


async def review_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/review: the areas with counts; a tap opens an area's answers."""
    async with open_turn(runtime(context), update.effective_user) as turn:
        if await refused(turn, update.effective_message, Need.MEMBER):
            return
        areas = person_area_progress(turn.pack, await turn.statuses())
        rows = [
            [
                InlineKeyboardButton(
                    f"{area.title} · {area.done}/{area.total}",
                    callback_data=review_data(turn.round_id, area.area_id),
                )
            ]
            for area in areas
        ]
        await update.effective_message.reply_text(
            _("📝 <b>Your answers</b> — pick an area to read and change them."),
            reply_markup=InlineKeyboardMarkup(rows),
        )


async def review_area(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An area's questions with this person's answers, and a button to change each."""
    query = update.callback_query
    match = REVIEW_PATTERN.match(query.data)
    async with open_turn(runtime(context), update.effective_user) as turn:
        if turn.assessment is None or int(match["round"]) != turn.round_id:
            await query.answer(_("This list belongs to an earlier round."), show_alert=True)
            return
        try:
            area = turn.pack.area(match["area"])
        except KeyError:
            await query.answer(_("This button is no longer valid."), show_alert=True)
            return
        await query.answer()
        stored = await answers.answers_by_question(
            turn.session, turn.round_id, turn.person.id, [q.id for q in area.questions]
        )
        blocks = [f"<b>{esc(area.title)}</b>"]
        for number, question in enumerate(area.questions, start=1):
            blocks.append(_answer_block(number, question.text, stored.get(question.id)))
        buttons = [
            InlineKeyboardButton(
                f"✏️ {number}",
                callback_data=AnswerButton("show", turn.round_id, question.id).encode(),
            )
            for number, question in enumerate(area.questions, start=1)
        ]
        keyboard = InlineKeyboardMarkup([buttons[i : i + 5] for i in range(0, len(buttons), 5)])
        messages = split_message(blocks)
        for index, text in enumerate(messages):
            last = index == len(messages) - 1
            await context.bot.send_message(
                query.message.chat.id, text, reply_markup=keyboard if last else None
            )


def _answer_block(number: int, question_text: str, answer: Answer | None) -> str:
    head = f"<b>{number}. {esc(question_text)}</b>"
    if answer is None:
        return f"{head}\n" + _("— <i>not answered yet</i>")
    if answer.status in STATUS_LABELS:
        return f"{head}\n{_(STATUS_LABELS[answer.status])}"
    lines = [head]
    if answer.text:
        lines.append(esc(answer.text))
    lines += view.attachment_lines(answer)
    if answer.rating:
        lines.append(_("Rating: <i>{level}</i>").format(level=esc(maturity_label(answer.rating))))
    return "\n".join(lines)
