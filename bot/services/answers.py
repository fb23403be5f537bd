"""Saving answers: the moment they arrive, with the history of every change."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, raiseload
from sqlmodel import select

from storage.models import (
    Answer,
    AnswerAttachment,
    AnswerMessage,
    AnswerRevision,
    AnswerStatus,
    AssessmentRound,
    Conversation,
)
from storage.types import utcnow

# One answer holds at most this much text; a longer one is refused before anything is lost.
ANSWER_MAX_CHARS = 20_000
PART_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class SourceMessage:
    """The Telegram message that carried a piece of an answer."""

    chat_id: int
    message_id: int


def has_content(answer: Answer | None) -> bool:
    """Something was said: text, or at least one file."""
    return answer is not None and bool(answer.text or answer.attachments)


async def get_answer(
    session: AsyncSession,
    round_id: int,
    person_id: int,
    question_id: str,
    with_attachments: bool = True,
) -> Answer | None:
    """One answer; without its attachments (a statement fewer) for a caller that never shows
    them, which then cannot read them by mistake."""
    query = select(Answer).where(
        Answer.round_id == round_id,
        Answer.person_id == person_id,
        Answer.question_id == question_id,
    )
    if not with_attachments:
        query = query.options(raiseload(Answer.attachments))
    return (await session.execute(query)).scalar_one_or_none()


async def answers_by_question(
    session: AsyncSession, round_id: int, person_id: int, question_ids: list[str]
) -> dict[str, Answer]:
    """Question id -> this person's answer, for the given questions of a round (one statement)."""
    rows = await session.execute(
        select(Answer).where(
            Answer.round_id == round_id,
            Answer.person_id == person_id,
            Answer.question_id.in_(question_ids),
        )
    )
    return {answer.question_id: answer for answer in rows.scalars()}


def _remember(session: AsyncSession, answer: Answer) -> None:
    """Keep the state being replaced, so every edit has a history."""
    if answer.id is not None and (answer.text or answer.rating):
        # Attachments are only ever added (never replaced), so they need no history here.
        session.add(
            AnswerRevision(
                answer_id=answer.id, status=answer.status, text=answer.text, rating=answer.rating
            )
        )


async def _answer_row(
    session: AsyncSession,
    round_id: int,
    person_id: int,
    question_id: str,
    existing: Answer | None = None,
) -> Answer:
    answer = existing or await get_answer(session, round_id, person_id, question_id)
    if answer is None:
        # An empty list, not an unloaded one: reading it later must not reach for the database.
        answer = Answer(
            round_id=round_id, person_id=person_id, question_id=question_id, text="", attachments=[]
        )
        session.add(answer)
        try:
            async with session.begin_nested():
                await session.flush()
        except IntegrityError:
            answer = await get_answer(session, round_id, person_id, question_id)
    return answer


async def save_text(
    session: AsyncSession,
    round_id: int,
    person_id: int,
    question_id: str,
    text: str,
    source: SourceMessage | None,
    append: bool,
    existing: Answer | None = None,
    looked_up: bool = False,
) -> Answer:
    """Store typed text as the answer, or add it to the answer being written.

    `existing` saves a query when the caller already loaded the answer (`looked_up`: the caller
    looked and there is none yet). Adding to an answer being written keeps no revision (it is
    one answer arriving in parts); replacing one does.
    """
    if existing is None and looked_up:
        answer = await _first_answer(session, round_id, person_id, question_id, text)
        if answer is not None:
            _remember_part(session, answer, source, text)
            await session.flush()
            return answer
    answer = await _answer_row(session, round_id, person_id, question_id, existing)
    if append and answer.text and answer.status == AnswerStatus.ANSWERED:
        answer.text = answer.text + PART_SEPARATOR + text
    else:
        _remember(session, answer)
        answer.text = text
        await session.execute(delete(AnswerMessage).where(AnswerMessage.answer_id == answer.id))
    answer.status = AnswerStatus.ANSWERED
    answer.updated_at = utcnow()
    _remember_part(session, answer, source, text)
    await session.flush()
    return answer


async def _first_answer(
    session: AsyncSession, round_id: int, person_id: int, question_id: str, text: str
) -> Answer | None:
    """The question's answer, written with its text in one INSERT; None if one arrived meanwhile
    (the same person's update on another device), which the caller then changes instead."""
    answer = Answer(
        round_id=round_id,
        person_id=person_id,
        question_id=question_id,
        status=AnswerStatus.ANSWERED,
        text=text,
        attachments=[],
    )
    session.add(answer)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        return None
    return answer


def _remember_part(
    session: AsyncSession, answer: Answer, source: SourceMessage | None, text: str
) -> None:
    """Note which message brought this part of the answer, so editing it edits the answer."""
    if source is not None:
        session.add(
            AnswerMessage(
                answer_id=answer.id,
                chat_id=source.chat_id,
                message_id=source.message_id,
                part_text=text,
            )
        )


async def attach_file(
    session: AsyncSession,
    round_id: int,
    person_id: int,
    question_id: str,
    kind: str,
    file_id: str,
    name: str | None,
    caption: str | None,
    source: SourceMessage | None,
) -> Answer:
    """Keep a voice note, photo or document as the answer or as evidence beside its text; each
    one sent is kept, beside those sent before."""
    answer = await _answer_row(session, round_id, person_id, question_id)
    answer.attachments.append(AnswerAttachment(kind=kind, file_id=file_id, name=name))
    if caption:
        answer.text = answer.text + PART_SEPARATOR + caption if answer.text else caption
        _remember_part(session, answer, source, caption)
    answer.status = AnswerStatus.ANSWERED
    answer.updated_at = utcnow()
    await session.flush()
    return answer


async def set_status(
    session: AsyncSession, round_id: int, person_id: int, question_id: str, status: AnswerStatus
) -> Answer:
    """Skip or mark 'not my area'; a skip never throws away an answer already given."""
    answer = await _answer_row(session, round_id, person_id, question_id)
    if (
        status == AnswerStatus.SKIPPED
        and answer.status == AnswerStatus.ANSWERED
        and has_content(answer)
    ):
        return answer
    if answer.status != status:
        _remember(session, answer)
        answer.status = status
        answer.updated_at = utcnow()
    await session.flush()
    return answer


async def set_rating(
    session: AsyncSession, round_id: int, person_id: int, question_id: str, rating: str
) -> Answer | None:
    answer = await get_answer(session, round_id, person_id, question_id)
    if answer is not None:
        await rate(session, answer, rating)
    return answer


async def answer_with_statuses(
    session: AsyncSession, round_id: int, person_id: int, question_id: str
) -> tuple[Answer | None, dict[str, str]]:
    """This person's answer to one question of a round, and the status of each question they
    answered in it (one statement: a rating tap reads what it rates and what comes next).

    The answer comes without its attachments, which rating never shows.
    """
    this_one = aliased(Answer)
    rows = await session.execute(
        select(Answer.question_id, Answer.status, this_one)
        .outerjoin(this_one, and_(this_one.id == Answer.id, this_one.question_id == question_id))
        .where(Answer.round_id == round_id, Answer.person_id == person_id)
        .options(raiseload(this_one.attachments))
    )
    statuses, answer = {}, None
    for other_question, status, row in rows.all():
        statuses[other_question] = status
        answer = row or answer
    return answer, statuses


async def rate(session: AsyncSession, answer: Answer, rating: str) -> None:
    """Rate an answer, keeping the state it replaces (see _remember)."""
    if answer.rating == rating:
        return
    _remember(session, answer)
    answer.rating = rating
    answer.updated_at = utcnow()
    await session.flush()


class ClosedRoundError(Exception):
    """The edited message carried an answer of a round that is closed: its record stays."""

    def __init__(self, round_name: str) -> None:
        super().__init__(round_name)
        self.round_name = round_name


async def apply_message_edit(
    session: AsyncSession, source: SourceMessage, new_text: str
) -> Answer | None:
    """The person edited a message that carried an answer: change that part of the answer.

    None if the message carried no answer; ClosedRoundError if its round is closed.
    """
    link = (
        await session.execute(
            select(AnswerMessage).where(
                AnswerMessage.chat_id == source.chat_id,
                AnswerMessage.message_id == source.message_id,
            )
        )
    ).scalar_one_or_none()
    if link is None:
        return None
    answer = await session.get(Answer, link.answer_id)
    round_ = await session.get(AssessmentRound, answer.round_id)
    if round_.closed_at is not None:
        raise ClosedRoundError(round_.name)
    parts = (
        (
            await session.execute(
                select(AnswerMessage)
                .where(AnswerMessage.answer_id == answer.id)
                .order_by(AnswerMessage.id)
            )
        )
        .scalars()
        .all()
    )
    old_text = link.part_text
    link.part_text = new_text
    _remember(session, answer)
    if answer.text == PART_SEPARATOR.join(
        p.part_text if p is not link else old_text for p in parts
    ):
        answer.text = PART_SEPARATOR.join(p.part_text for p in parts)
    else:
        # The answer also holds text from elsewhere (a caption, an edit): replace just this part.
        answer.text = answer.text.replace(old_text, new_text, 1)
    answer.updated_at = utcnow()
    await session.flush()
    return answer


async def conversation_of(session: AsyncSession, person_id: int) -> Conversation:
    conversation = await session.get(Conversation, person_id)
    if conversation is None:
        conversation = Conversation(person_id=person_id)
        session.add(conversation)
    return conversation


def move_to(
    conversation: Conversation, round_id: int | None, question_id: str | None, step: str
) -> None:
    if (conversation.round_id, conversation.question_id, conversation.step) == (
        round_id,
        question_id,
        step,
    ):
        return  # nothing moved: spare the UPDATE
    conversation.round_id, conversation.question_id, conversation.step = round_id, question_id, step
    conversation.updated_at = utcnow()
