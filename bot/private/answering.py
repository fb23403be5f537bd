"""The private-chat assessment: one question at a time, every reply saved the moment it arrives.

Where a person is lives in the Conversation row, so /next (or any message) resumes exactly there
after a restart. Buttons carry the round and question they belong to and are checked again here.
"""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.core.callbacks import ANSWER_PATTERN, parse_answer_button
from bot.core.commands import PRIVATE, Chat, Need, command_handler
from bot.core.i18n import N_, _, attachment_label, maturity_label, number
from bot.core.private_gate import refused
from bot.core.render import esc, preview
from bot.core.runtime import runtime
from bot.core.turns import Turn, open_turn
from bot.domain.progress import next_question, person_area_progress
from bot.domain.team_rules import offer_previous_answer
from bot.private import question_view as view
from bot.private import scoring
from bot.services import answers, rounds
from bot.services.answers import ANSWER_MAX_CHARS, SourceMessage
from criteria.model import MATURITY_LEVELS, Question
from storage.statuses import DONE_STATUSES, AnswerStatus

log = logging.getLogger(__name__)

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


class Steps:
    """Conversation.step values."""

    IDLE = "idle"
    ANSWERING = "answering"  # a question is shown; typing answers it
    ADDING = "adding"  # an answer was saved; more typing is added to it
    PAUSED = "paused"
    DONE = "done"


def register(app: Application, group: int) -> None:
    app.add_handler(command_handler(Chat.PRIVATE, "next", next_command), group)
    app.add_handler(command_handler(Chat.PRIVATE, "progress", progress_command), group)
    app.add_handler(command_handler(Chat.PRIVATE, "pause", pause_command), group)
    app.add_handler(CallbackQueryHandler(answer_button, pattern=ANSWER_PATTERN), group)
    app.add_handler(
        MessageHandler(
            PRIVATE & filters.UpdateType.EDITED_MESSAGE & (filters.TEXT | filters.CAPTION),
            edited_answer,
        ),
        group,
    )
    app.add_handler(
        MessageHandler(
            PRIVATE & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, text_answer
        ),
        group,
    )
    app.add_handler(
        MessageHandler(PRIVATE & filters.UpdateType.MESSAGE & ATTACHMENTS, attachment_answer),
        group,
    )
    app.add_handler(
        MessageHandler(PRIVATE & filters.UpdateType.MESSAGE & UNSUPPORTED, unsupported_message),
        group,
    )


async def ask_next(
    turn: Turn,
    message_target: Message | None,
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    after: str | None = None,
    intro: str | None = None,
) -> None:
    """Show the next question (or the end); the conversation moves there."""
    statuses = await turn.statuses()
    question = next_question(turn.pack, statuses, after=after)
    await scoring.offer_score(turn, context.bot, chat_id, after, statuses)  # issue 13
    if question is None:
        answers.move_to(turn.conversation, turn.round_id, None, Steps.DONE)
        await turn.commit()
        skipped = sum(1 for s in statuses.values() if s == AnswerStatus.SKIPPED)
        await context.bot.send_message(chat_id, view.finished_text(turn.pack, skipped))
        return
    await show_question(turn, context, chat_id, question, statuses, intro=intro)


async def show_question(
    turn: Turn,
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    question: Question,
    statuses: dict[str, str] | None = None,
    intro: str | None = None,
    draft: str | None = None,
) -> None:
    if statuses is None:
        statuses = await turn.statuses()
    answer = None
    if statuses.get(question.id) == AnswerStatus.ANSWERED:
        answer = await answers.get_answer(turn.session, turn.round_id, turn.person.id, question.id)
    done = sum(1 for s in statuses.values() if s in DONE_STATUSES)
    previous = None if draft else await _previous_to_offer(turn, question, statuses)
    text = view.question_text(turn.pack, question, done, answer, draft, previous)
    if intro:
        text = f"{intro}\n\n{text}"
    answers.move_to(turn.conversation, turn.round_id, question.id, Steps.ANSWERING)
    turn.conversation.draft = draft
    await turn.commit()
    await context.bot.send_message(
        chat_id,
        text,
        reply_markup=view.question_keyboard(
            turn.pack,
            turn.round_id,
            question,
            answered=answer is not None,
            draft=bool(draft),
            still_true=previous is not None,
        ),
    )


async def _previous_to_offer(turn: Turn, question: Question, statuses: dict[str, str]):
    """Last round's answer, shown as "still true?" while this round has none (one statement)."""
    status = statuses.get(question.id)
    if status == AnswerStatus.ANSWERED:
        return None
    previous = await rounds.previous_answer(
        turn.session, turn.assessment.team.id, turn.round_id, turn.person.id, question.id
    )
    return previous if offer_previous_answer(status, answers.has_content(previous)) else None


async def _reply_without_assessment(turn: Turn, message: Message) -> bool:
    return await refused(turn, message, Need.MEMBER)


async def next_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/next: resume exactly where the person stopped."""
    async with open_turn(runtime(context), update.effective_user) as turn:
        if await _reply_without_assessment(turn, update.effective_message):
            return
        await resume(turn, context, update.effective_chat.id)


async def resume(turn: Turn, context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
    conversation = turn.conversation
    if conversation.round_id == turn.round_id and conversation.question_id:
        question = _question_or_none(turn, conversation.question_id)
        if question is not None:
            await show_question(turn, context, chat_id, question, draft=conversation.draft)
            return
    await ask_next(turn, None, context, chat_id)


def _question_or_none(turn: Turn, question_id: str) -> Question | None:
    try:
        return turn.pack.question(question_id)
    except KeyError:
        return None


async def progress_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/progress: done and total per area."""
    async with open_turn(runtime(context), update.effective_user) as turn:
        if await _reply_without_assessment(turn, update.effective_message):
            return
        areas = person_area_progress(turn.pack, await turn.statuses())
        await update.effective_message.reply_text(
            view.progress_text(turn.assessment.team.name, areas)
        )


async def pause_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    async with open_turn(runtime(context), update.effective_user) as turn:
        if await _reply_without_assessment(turn, update.effective_message):
            return
        turn.conversation.step = Steps.PAUSED
        await turn.commit()
        await update.effective_message.reply_text(_(PAUSED_TEXT))


PAUSED_TEXT = N_("⏸ Paused. Everything is saved — send /next whenever you are ready.")


async def text_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Typed text: the answer to the open question, or kept as a draft until placed."""
    message = update.effective_message
    text = message.text or ""
    if not text.strip():
        await message.reply_text(_("That message was empty, so nothing was saved."))
        return
    async with open_turn(runtime(context), update.effective_user) as turn:
        if await _reply_without_assessment(turn, message):
            return
        conversation = turn.conversation
        question = None
        if conversation.round_id == turn.round_id and conversation.question_id:
            question = _question_or_none(turn, conversation.question_id)
        if question is None or conversation.step not in (Steps.ANSWERING, Steps.ADDING):
            await _place_draft(turn, context, message, text)
            return
        await _save_text(turn, context, message, question, text)


async def _save_text(turn: Turn, context, message: Message, question: Question, text: str) -> None:
    appending = turn.conversation.step == Steps.ADDING
    existing = await answers.get_answer(turn.session, turn.round_id, turn.person.id, question.id)
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
    )
    answers.move_to(turn.conversation, turn.round_id, question.id, Steps.ADDING)
    await turn.commit()
    await message.reply_text(
        view.saved_text(answer, question, appended=appending and current > 0),
        reply_markup=view.saved_keyboard(turn.round_id, question),
    )


async def _place_draft(turn: Turn, context, message: Message, text: str) -> None:
    """Text typed while no question was open: keep it and ask where it belongs."""
    statuses = await turn.statuses()
    question = None
    if turn.conversation.round_id == turn.round_id and turn.conversation.question_id:
        question = _question_or_none(turn, turn.conversation.question_id)
    question = question or next_question(turn.pack, statuses)
    if question is None:
        await message.reply_text(
            _(
                "You have answered every question already 🎉 Use /review to change an answer — "
                "your message is still here in the chat to copy from."
            )
        )
        return
    await show_question(turn, context, message.chat_id, question, statuses, draft=text.strip())


async def attachment_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A voice note, photo or document: kept with the answer to the open question."""
    message = update.effective_message
    kind, file_id, name = _attachment_of(message)
    async with open_turn(runtime(context), update.effective_user) as turn:
        if await _reply_without_assessment(turn, message):
            return
        statuses = await turn.statuses()
        question = None
        if turn.conversation.round_id == turn.round_id and turn.conversation.question_id:
            question = _question_or_none(turn, turn.conversation.question_id)
        question = question or next_question(turn.pack, statuses)
        if question is None:
            await message.reply_text(
                _(
                    "You have answered every question already — /review to "
                    "change an answer and attach this there."
                )
            )
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
            + view.saved_text(answer, question, appended=False).split("\n", 1)[1]
        )
        await message.reply_text(text, reply_markup=view.saved_keyboard(turn.round_id, question))


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
            question = _question_or_none(turn, answer.question_id)
        title = esc(question.text) if question else esc(answer.question_id)
        await context.bot.send_message(
            message.chat_id,
            _("✏️ Updated your answer to:")
            + f"\n<i>{title}</i>\n\n<blockquote>{esc(preview(answer.text))}</blockquote>",
        )


async def answer_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Buttons under questions and saved answers."""
    query = update.callback_query
    button = parse_answer_button(query.data)
    async with open_turn(runtime(context), update.effective_user) as turn:
        if turn.assessment is None or button.round_id != turn.round_id:
            await query.answer(
                _("This button belongs to an earlier round or another team."), show_alert=True
            )
            return
        question = _question_or_none(turn, button.question_id)
        if question is None:
            await query.answer(_("This button is no longer valid."), show_alert=True)
            return
        handler = BUTTON_ACTIONS[button.action]
        await handler(turn, context, query, question, button)


async def _drop_keyboard(query) -> None:
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest as error:  # already gone, or the message is too old to edit
        log.debug("could not remove keyboard: %s", error)


async def _on_help(turn, context, query, question, button) -> None:
    await query.answer()
    await context.bot.send_message(query.message.chat.id, view.help_text(turn.pack, question))


async def _on_skip(turn, context, query, question, button) -> None:
    await answers.set_status(
        turn.session, turn.round_id, turn.person.id, question.id, AnswerStatus.SKIPPED
    )
    await turn.commit()
    await query.answer(_("Skipped — I will come back to it at the end."))
    await _drop_keyboard(query)
    await ask_next(turn, None, context, query.message.chat.id, after=question.id)


async def _on_not_my_area(turn, context, query, question, button) -> None:
    await answers.set_status(
        turn.session, turn.round_id, turn.person.id, question.id, AnswerStatus.NOT_MY_AREA
    )
    await turn.commit()
    await query.answer(_("Marked as not your area."))
    await _drop_keyboard(query)
    await ask_next(turn, None, context, query.message.chat.id, after=question.id)


async def _on_back(turn, context, query, question, button) -> None:
    questions = turn.pack.questions()
    index = next(i for i, q in enumerate(questions) if q.id == question.id)
    await query.answer()
    await _drop_keyboard(query)
    await show_question(turn, context, query.message.chat.id, questions[max(0, index - 1)])


async def _on_pause(turn, context, query, question, button) -> None:
    turn.conversation.step = Steps.PAUSED
    await turn.commit()
    await query.answer(_("Paused"))
    await _drop_keyboard(query)
    await context.bot.send_message(query.message.chat.id, _(PAUSED_TEXT))


async def _on_next(turn, context, query, question, button) -> None:
    await query.answer()
    await _drop_keyboard(query)
    await ask_next(turn, None, context, query.message.chat.id, after=question.id)


async def _on_rate(turn, context, query, question, button) -> None:
    if button.arg is None or button.arg >= len(MATURITY_LEVELS) or not question.asks_rating:
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    level = MATURITY_LEVELS[button.arg]
    answer = await answers.set_rating(
        turn.session, turn.round_id, turn.person.id, question.id, level.id
    )
    if answer is None:
        await query.answer(_("Type an answer first, then rate it."), show_alert=True)
        return
    await turn.commit()
    await query.answer(_("Rated: {level}").format(level=maturity_label(level.id)))
    await _drop_keyboard(query)
    await ask_next(turn, None, context, query.message.chat.id, after=question.id)


async def _on_resume(turn, context, query, question, button) -> None:
    await query.answer()
    await resume(turn, context, query.message.chat.id)


async def _on_show(turn, context, query, question, button) -> None:
    """From /review: open that question; what is typed next replaces its answer."""
    await query.answer()
    await show_question(turn, context, query.message.chat.id, question)


async def _on_keep_draft(turn, context, query, question, button) -> None:
    draft = turn.conversation.draft
    if not draft or turn.conversation.question_id != question.id:
        await query.answer(_("Nothing waiting to be saved here."))
        await _drop_keyboard(query)
        return
    answer = await answers.save_text(
        turn.session, turn.round_id, turn.person.id, question.id, draft, None, append=False
    )
    turn.conversation.draft = None
    answers.move_to(turn.conversation, turn.round_id, question.id, Steps.ADDING)
    await turn.commit()
    await query.answer(_("Saved"))
    await _drop_keyboard(query)
    await context.bot.send_message(
        query.message.chat.id,
        view.saved_text(answer, question, appended=False),
        reply_markup=view.saved_keyboard(turn.round_id, question),
    )


async def _on_drop_draft(turn, context, query, question, button) -> None:
    turn.conversation.draft = None
    await query.answer(_("Discarded"))
    await _drop_keyboard(query)
    await show_question(turn, context, query.message.chat.id, question)


async def _on_same(turn, context, query, question, button) -> None:
    """ "Still true": last round's answer (text, rating, attachment) becomes this round's."""
    if (await turn.statuses()).get(question.id) == AnswerStatus.ANSWERED:
        await query.answer(_("You have already answered this in this round; /review changes it."))
        return
    previous = await rounds.previous_answer(
        turn.session, turn.assessment.team.id, turn.round_id, turn.person.id, question.id
    )
    if not answers.has_content(previous):
        await query.answer(_("There is no earlier answer to keep here."), show_alert=True)
        return
    answer = await rounds.carry_over(turn.session, turn.round_id, turn.person.id, previous)
    answers.move_to(turn.conversation, turn.round_id, question.id, Steps.ADDING)
    await turn.commit()
    await query.answer(_("Kept your answer from last time"))
    await _drop_keyboard(query)
    chat_id = query.message.chat.id
    if question.asks_rating and answer.rating is None:
        await context.bot.send_message(
            chat_id,
            view.saved_text(answer, question, appended=False),
            reply_markup=view.saved_keyboard(turn.round_id, question),
        )
        return
    await ask_next(turn, None, context, chat_id, after=question.id)


BUTTON_ACTIONS = {
    "help": _on_help,
    "skip": _on_skip,
    "nma": _on_not_my_area,
    "back": _on_back,
    "pause": _on_pause,
    "next": _on_next,
    "rate": _on_rate,
    "resume": _on_resume,
    "keep": _on_keep_draft,
    "drop": _on_drop_draft,
    "show": _on_show,
    "same": _on_same,
}
