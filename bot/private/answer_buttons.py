"""The buttons under a question and a saved answer, and what each one does.

A button carries the round and question it belongs to; both are checked against the person's
current assessment before its action runs, so a button from an earlier round or another team
does nothing. Each action answers the press, clears the keyboard it came from and moves on.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.core.callbacks import parse_answer_button
from bot.core.i18n import _, maturity_label
from bot.core.render import edit_quietly
from bot.core.runtime import runtime
from bot.core.turns import open_turn
from bot.private import question_view as view
from bot.private.asking import (
    PAUSED_TEXT,
    Steps,
    ask_next,
    next_screen,
    question_or_none,
    resume,
    show_question,
)
from bot.services import answers, rounds
from criteria.model import MATURITY_LEVELS
from storage.statuses import AnswerStatus


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
        question = question_or_none(turn, button.question_id)
        if question is None:
            await query.answer(_("This button is no longer valid."), show_alert=True)
            return
        handler = BUTTON_ACTIONS[button.action]
        await handler(turn, context, query, question, button)


async def _on_help(turn, context, query, question, button) -> None:
    await query.answer()
    await context.bot.send_message(query.message.chat.id, view.help_text(turn.pack, question))


async def _mark(turn, context, query, question, status: AnswerStatus, said: str) -> None:
    """Skip or not my area: the status is stored and the next question follows."""
    await answers.set_status(turn.session, turn.round_id, turn.person.id, question.id, status)
    screen = await next_screen(turn, after=question.id)
    await turn.commit()
    await query.answer(said)
    await edit_quietly(query)
    await screen.send(context.bot, query.message.chat.id)


async def _on_skip(turn, context, query, question, button) -> None:
    await _mark(
        turn,
        context,
        query,
        question,
        AnswerStatus.SKIPPED,
        _("Skipped — I will come back to it at the end."),
    )


async def _on_not_my_area(turn, context, query, question, button) -> None:
    await _mark(
        turn, context, query, question, AnswerStatus.NOT_MY_AREA, _("Marked as not your area.")
    )


async def _on_back(turn, context, query, question, button) -> None:
    questions = turn.pack.questions()
    index = next(i for i, q in enumerate(questions) if q.id == question.id)
    await query.answer()
    await edit_quietly(query)
    await show_question(turn, context, query.message.chat.id, questions[max(0, index - 1)])


async def _on_pause(turn, context, query, question, button) -> None:
    turn.conversation.step = Steps.PAUSED
    await turn.commit()
    await query.answer(_("Paused"))
    await edit_quietly(query)
    await context.bot.send_message(query.message.chat.id, _(PAUSED_TEXT))


async def _on_next(turn, context, query, question, button) -> None:
    await query.answer()
    await edit_quietly(query)
    await ask_next(turn, context, query.message.chat.id, after=question.id)


async def _on_rate(turn, context, query, question, button) -> None:
    """The rating is stored and the next question follows, in one transaction: the answer and
    the statuses that decide what is next are read together."""
    if button.arg is None or button.arg >= len(MATURITY_LEVELS) or not question.asks_rating:
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    level = MATURITY_LEVELS[button.arg]
    answer, statuses = await answers.answer_with_statuses(
        turn.session, turn.round_id, turn.person.id, question.id
    )
    if answer is None:
        await query.answer(_("Type an answer first, then rate it."), show_alert=True)
        return
    await answers.rate(turn.session, answer, level.id)
    screen = await next_screen(turn, after=question.id, statuses=statuses)
    await turn.commit()
    await query.answer(_("Rated: {level}").format(level=maturity_label(level.id)))
    await edit_quietly(query)
    await screen.send(context.bot, query.message.chat.id)


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
        await edit_quietly(query)
        return
    answer = await answers.save_text(
        turn.session, turn.round_id, turn.person.id, question.id, draft, None, append=False
    )
    turn.conversation.draft = None
    answers.move_to(turn.conversation, turn.round_id, question.id, Steps.ADDING)
    await turn.commit()
    await query.answer(_("Saved"))
    await edit_quietly(query)
    await _send_saved(context, query.message.chat.id, turn.round_id, answer, question)


async def _on_drop_draft(turn, context, query, question, button) -> None:
    turn.conversation.draft = None
    await query.answer(_("Discarded"))
    await edit_quietly(query)
    await show_question(turn, context, query.message.chat.id, question)


async def _on_same(turn, context, query, question, button) -> None:
    """ "Still true": last round's answer (text, rating, attachment) becomes this round's."""
    if (await turn.statuses()).get(question.id) == AnswerStatus.ANSWERED:
        await query.answer(_("You have already answered this in this round; /review changes it."))
        return
    previous = await rounds.previous_answer(
        turn.session, turn.assessment.earlier_round_id, turn.person.id, question.id
    )
    if not answers.has_content(previous):
        await query.answer(_("There is no earlier answer to keep here."), show_alert=True)
        return
    answer = await rounds.carry_over(turn.session, turn.round_id, turn.person.id, previous)
    answers.move_to(turn.conversation, turn.round_id, question.id, Steps.ADDING)
    to_rate = question.asks_rating and answer.rating is None
    screen = None if to_rate else await next_screen(turn, after=question.id)
    await turn.commit()
    await query.answer(_("Kept your answer from last time"))
    await edit_quietly(query)
    chat_id = query.message.chat.id
    if screen is None:
        await _send_saved(context, chat_id, turn.round_id, answer, question)
        return
    await screen.send(context.bot, chat_id)


async def _send_saved(context, chat_id: int, round_id: int, answer, question) -> None:
    """The saved answer with what comes next: rate it, add more, or go on."""
    await context.bot.send_message(
        chat_id,
        view.saved_text(answer, question, appended=False),
        reply_markup=view.saved_keyboard(round_id, question),
    )


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
