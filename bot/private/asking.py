"""What the private chat shows next: the next question, a question again, or the end.

Where a person is lives in the Conversation row (its step, question and draft), so resuming after
a restart shows exactly the question they left. The answer handlers (answer_input,
answer_buttons), onboarding and the team commands all move a person on through here.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Bot, InlineKeyboardMarkup
from telegram.ext import ContextTypes

from bot.core.i18n import N_
from bot.core.turns import Turn
from bot.domain.progress import next_question
from bot.domain.team_rules import offer_previous_answer
from bot.private import question_view as view
from bot.private import scoring
from bot.services import answers, rounds
from criteria.model import Question
from storage.statuses import DONE_STATUSES, AnswerStatus

PAUSED_TEXT = N_("⏸ Paused. Everything is saved — send /next whenever you are ready.")


class Steps:
    """Conversation.step values."""

    IDLE = "idle"
    ANSWERING = "answering"  # a question is shown; typing answers it
    ADDING = "adding"  # an answer was saved; more typing is added to it
    PAUSED = "paused"
    DONE = "done"


@dataclass
class Screen:
    """What the chat shows next, decided (and the conversation moved there) before the turn
    commits, so that a move and the write before it share one commit; sent after it."""

    messages: list[tuple[str, InlineKeyboardMarkup | None]]

    async def send(self, bot: Bot, chat_id: int) -> None:
        for text, keyboard in self.messages:
            await bot.send_message(chat_id, text, reply_markup=keyboard)


async def ask_next(
    turn: Turn,
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    after: str | None = None,
    intro: str | None = None,
) -> None:
    """Show the next question (or the end); the conversation moves there."""
    screen = await next_screen(turn, after=after, intro=intro)
    await turn.commit()
    await screen.send(context.bot, chat_id)


async def next_screen(
    turn: Turn,
    after: str | None = None,
    intro: str | None = None,
    statuses: dict[str, str] | None = None,
) -> Screen:
    """The next question (or the end) for ask_next; `statuses` spares reading them again."""
    if statuses is None:
        statuses = await turn.statuses()
    question = next_question(turn.pack, statuses, after=after)
    # An area just finished: offer to score it (a message of its own, before the next question).
    offer = await scoring.score_offer(turn, after, statuses)
    messages = [offer] if offer is not None else []
    if question is None:
        answers.move_to(turn.conversation, turn.round_id, None, Steps.DONE)
        skipped = sum(1 for s in statuses.values() if s == AnswerStatus.SKIPPED)
        messages.append((view.finished_text(turn.pack, skipped), None))
        return Screen(messages)
    shown = await question_screen(turn, question, statuses, intro=intro)
    return Screen(messages + shown.messages)


async def show_question(
    turn: Turn,
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    question: Question,
    statuses: dict[str, str] | None = None,
    intro: str | None = None,
    draft: str | None = None,
) -> None:
    screen = await question_screen(turn, question, statuses, intro=intro, draft=draft)
    await turn.commit()
    await screen.send(context.bot, chat_id)


async def question_screen(
    turn: Turn,
    question: Question,
    statuses: dict[str, str] | None = None,
    intro: str | None = None,
    draft: str | None = None,
) -> Screen:
    """The question with its buttons, for show_question; the conversation moves to it."""
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
    keyboard = view.question_keyboard(
        turn.pack,
        turn.round_id,
        question,
        answered=answer is not None,
        draft=bool(draft),
        still_true=previous is not None,
    )
    return Screen([(text, keyboard)])


async def _previous_to_offer(turn: Turn, question: Question, statuses: dict[str, str]):
    """Last round's answer, shown as "still true?" while this round has none (one statement,
    none in a team's first round)."""
    status = statuses.get(question.id)
    if status == AnswerStatus.ANSWERED:
        return None
    previous = await rounds.previous_answer(
        turn.session, turn.assessment.earlier_round_id, turn.person.id, question.id
    )
    return previous if offer_previous_answer(status, answers.has_content(previous)) else None


async def resume(turn: Turn, context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
    """Show again the question the person stopped at (with their draft), else the next one."""
    question = open_question(turn)
    if question is not None:
        await show_question(turn, context, chat_id, question, draft=turn.conversation.draft)
        return
    await ask_next(turn, context, chat_id)


def open_question(turn: Turn) -> Question | None:
    """The question the conversation stands on in this round, if the pack still has it."""
    conversation = turn.conversation
    if conversation.round_id == turn.round_id and conversation.question_id:
        return question_or_none(turn, conversation.question_id)
    return None


def question_or_none(turn: Turn, question_id: str) -> Question | None:
    try:
        return turn.pack.question(question_id)
    except KeyError:
        return None
