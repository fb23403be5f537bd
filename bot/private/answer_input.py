"""What a person sends in the private chat while answering: typed text, files, edits, the rest.

Typed text answers the open question (or is added to the answer just saved); text typed while no
question is open is kept as a draft until the person places it. Voice notes, photos and documents
are kept with the answer; an edited message changes the answer it was part of.
"""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import ContextTypes, filters

from bot.core.commands import Need
from bot.core.i18n import _, attachment_label, number
from bot.core.private_gate import refused
from bot.core.render import esc, preview
from bot.core.runtime import runtime
from bot.core.turns import Turn, open_turn
from bot.domain.progress import next_question
from bot.private import question_view as view
from bot.private.asking import Steps, open_question, question_or_none, show_question
from bot.services import answers
from bot.services.answers import ANSWER_MAX_CHARS, SourceMessage
from criteria.model import Question

ATTACHMENTS = filters.VOICE | filters.PHOTO | filters.Document.ALL | filters.AUDIO | filters.VIDEO
UNSUPPORTED = (
    filters.Sticker.ALL
    | filters.LOCATION
    | filters.CONTACT
    | filters.POLL
    | filters.VENUE
    | filters.Dice.ALL
    | filters.ANIMATION
    | filters.VIDEO_NOTE
    | filters.GAME
)


async def text_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Typed text: the answer to the open question, or kept as a draft until placed."""
    message = update.effective_message
    text = message.text or ""
    if not text.strip():
        await message.reply_text(_("That message was empty, so nothing was saved."))
        return
    async with open_turn(runtime(context), update.effective_user) as turn:
        if await refused(turn, message, Need.MEMBER):
            return
        question = open_question(turn)
        if question is None or turn.conversation.step not in (Steps.ANSWERING, Steps.ADDING):
            await _place_draft(turn, context, message, text)
            return
        await _save_text(turn, message, question, text)


async def _save_text(turn: Turn, message: Message, question: Question, text: str) -> None:
    appending = turn.conversation.step == Steps.ADDING
    existing = await answers.get_answer(
        turn.session, turn.round_id, turn.person.id, question.id, with_attachments=False
    )
    current = len(existing.text) if existing is not None and appending else 0
    if current + len(text) > ANSWER_MAX_CHARS:
        await message.reply_text(
            _(
                "This answer would pass {count} characters, so that last message was not added. "
                "Tap Next and keep the rest for /review, or shorten it."
            ).format(count=number(ANSWER_MAX_CHARS))
        )
        return
    answer = await answers.save_text(
        turn.session,
        turn.round_id,
        turn.person.id,
        question.id,
        text.strip(),
        SourceMessage(message.chat_id, message.message_id),
        append=appending,
        existing=existing,
        looked_up=True,
    )
    answers.move_to(turn.conversation, turn.round_id, question.id, Steps.ADDING)
    await turn.commit()
    await message.reply_text(
        view.saved_text(answer, question, appended=appending and current > 0),
        reply_markup=view.saved_keyboard(turn.round_id, question),
    )


async def _place_draft(turn: Turn, context, message: Message, text: str) -> None:
    """Text typed while no question was open: keep it and ask where it belongs."""
    question, statuses = await _open_or_next(
        turn,
        message,
        _(
            "You have answered every question already 🎉 Use /review to change an answer — "
            "your message is still here in the chat to copy from."
        ),
    )
    if question is None:
        return
    await show_question(turn, context, message.chat_id, question, statuses, draft=text.strip())


async def attachment_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A voice note, photo or document: kept with the answer to the open question."""
    message = update.effective_message
    kind, file_id, name = _attachment_of(message)
    async with open_turn(runtime(context), update.effective_user) as turn:
        if await refused(turn, message, Need.MEMBER):
            return
        question, _statuses = await _open_or_next(
            turn,
            message,
            _(
                "You have answered every question already — /review to "
                "change an answer and attach this there."
            ),
        )
        if question is None:
            return
        answer = await answers.attach_file(
            turn.session,
            turn.round_id,
            turn.person.id,
            question.id,
            kind,
            file_id,
            name,
            (message.caption or "").strip() or None,
            SourceMessage(message.chat_id, message.message_id),
        )
        answers.move_to(turn.conversation, turn.round_id, question.id, Steps.ADDING)
        await turn.commit()
        label = attachment_label(kind)
        text = (
            _("📎 Kept your {kind} with your answer to:").format(kind=label)
            + f"\n<i>{esc(question.text)}</i>\n"
            # Every file kept so far: a second one is added, never swapped for the first.
            + "\n".join(view.attachment_lines(answer))
            + "\n\n"
            + view.what_now_text(question)
        )
        await message.reply_text(text, reply_markup=view.saved_keyboard(turn.round_id, question))


async def _open_or_next(
    turn: Turn, message: Message, all_answered: str
) -> tuple[Question | None, dict[str, str]]:
    """Where something sent goes: the open question, else the next one. None when every
    question is answered, after telling the person `all_answered`."""
    statuses = await turn.statuses()
    question = open_question(turn) or next_question(turn.pack, statuses)
    if question is None:
        await message.reply_text(all_answered)
    return question, statuses


def _attachment_of(message: Message) -> tuple[str, str, str | None]:
    if message.voice:
        return "voice", message.voice.file_id, None
    if message.photo:
        return "photo", message.photo[-1].file_id, None
    if message.audio:
        return "audio", message.audio.file_id, message.audio.file_name
    if message.video:
        return "video", message.video.file_id, message.video.file_name
    return "document", message.document.file_id, message.document.file_name


async def unsupported_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(
        _(
            "I can keep typed text, voice notes, photos and documents as answers — not this kind "
            "of message. Type your answer, or use the buttons under the question. /next shows it "
            "again."
        )
    )


async def edited_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The person edited a message that was (part of) an answer: the answer follows."""
    message = update.edited_message
    new_text = (message.text or message.caption or "").strip()  # a caption is part of answers too
    if not new_text:
        return
    async with open_turn(runtime(context), update.effective_user) as turn:
        try:
            answer = await answers.apply_message_edit(
                turn.session, SourceMessage(message.chat_id, message.message_id), new_text
            )
        except answers.ClosedRoundError as closed:
            await context.bot.send_message(
                message.chat_id,
                _(
                    "That message was an answer in <b>{round}</b>, which is closed, so its "
                    "record stays as it was. /review shows your answers in the current round."
                ).format(round=esc(closed.round_name)),
            )
            return
        if answer is None:
            return
        await turn.commit()
        question = None
        if turn.pack is not None:
            question = question_or_none(turn, answer.question_id)
        title = esc(question.text) if question else esc(answer.question_id)
        await context.bot.send_message(
            message.chat_id,
            _("✏️ Updated your answer to:")
            + f"\n<i>{title}</i>\n\n<blockquote>{esc(preview(answer.text))}</blockquote>",
        )
