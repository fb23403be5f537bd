"""Assessment rounds: opening a new one, due dates, and answers carried over from the last one.

Earlier rounds are closed, never deleted: their answers stay the record of that round.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from bot.services import answers
from criteria.model import Pack
from storage.models import Answer, AnswerAttachment, AnswerStatus, AssessmentRound, Team
from storage.types import utcnow


async def newest_rounds(session: AsyncSession, team_id: int, limit: int) -> list[AssessmentRound]:
    """The team's newest rounds, newest first."""
    result = await session.execute(
        select(AssessmentRound)
        .where(AssessmentRound.team_id == team_id)
        .order_by(AssessmentRound.started_at.desc(), AssessmentRound.id.desc())
        .limit(limit)
    )
    return list(result.scalars())


async def round_count(session: AsyncSession, team_id: int) -> int:
    return (
        await session.execute(
            select(func.count())
            .select_from(AssessmentRound)
            .where(AssessmentRound.team_id == team_id)
        )
    ).scalar_one()


async def open_new_round(
    session: AsyncSession,
    team: Team,
    current: AssessmentRound | None,
    name: str,
    due: date | None,
    pack: Pack,
    pack_key: str | None = None,
) -> AssessmentRound | None:
    """Close `current` and open a round on `pack` (named `pack_key` where that is not its id:
    an uploaded pack); None if `current` was closed meanwhile (another manager was quicker),
    so two taps never open two rounds. The team's pack becomes the round's."""
    if current is not None:
        closed = await session.execute(
            update(AssessmentRound)
            .where(AssessmentRound.id == current.id, AssessmentRound.closed_at.is_(None))
            .values(closed_at=utcnow())
        )
        if closed.rowcount != 1:
            return None
    new_round = AssessmentRound(
        team_id=team.id,
        name=name,
        pack_id=pack_key or pack.id,
        pack_version=pack.version,
        due_date=due,
    )
    session.add(new_round)
    team.pack_id = new_round.pack_id
    session.add(team)
    await session.flush()
    return new_round


async def previous_answer(
    session: AsyncSession, earlier_round_id: int | None, person_id: int, question_id: str
) -> Answer | None:
    """The person's answer to this question in the team's round before this one (one statement,
    none when there is no earlier round); only an answer with something in it counts."""
    if earlier_round_id is None:
        return None
    return (
        await session.execute(
            select(Answer).where(
                Answer.round_id == earlier_round_id,
                Answer.person_id == person_id,
                Answer.question_id == question_id,
                Answer.status == AnswerStatus.ANSWERED,
            )
        )
    ).scalar_one_or_none()


async def carry_over(
    session: AsyncSession, round_id: int, person_id: int, previous: Answer
) -> Answer:
    """Copy last round's answer (text, rating, attachment) as this round's answer."""
    answer = await answers.save_text(
        session, round_id, person_id, previous.question_id, previous.text, None, append=False
    )
    answer.rating = previous.rating
    answer.attachments = [
        AnswerAttachment(kind=a.kind, file_id=a.file_id, name=a.name) for a in previous.attachments
    ]
    await session.flush()
    return answer
