"""Queries the flows need, each a fixed number of SQL statements whatever the team size."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import case
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from bot.domain.progress import TeamProgress, remaining_questions, team_progress
from criteria.model import Pack, Question
from storage.models import Answer, AssessmentRound, Membership, Person, Role


async def person_statuses(session: AsyncSession, round_id: int, person_id: int) -> dict[str, str]:
    """Question id -> answer status of one person in one round (one statement)."""
    rows = await session.execute(
        select(Answer.question_id, Answer.status).where(
            Answer.round_id == round_id, Answer.person_id == person_id
        )
    )
    return dict(rows.all())


async def team_statuses(session: AsyncSession, round_id: int) -> dict[int, dict[str, str]]:
    """Person id -> question id -> status for everyone in a round (one statement)."""
    rows = await session.execute(
        select(Answer.person_id, Answer.question_id, Answer.status).where(
            Answer.round_id == round_id
        )
    )
    statuses: dict[int, dict[str, str]] = defaultdict(dict)
    for person_id, question_id, status in rows.all():
        statuses[person_id][question_id] = status
    return statuses


async def team_members(session: AsyncSession, team_id: int) -> list[tuple[Person, str]]:
    """Members with their role, managers first, then by name (one statement)."""
    rows = await session.execute(
        select(Person, Membership.role)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.team_id == team_id)
        # "member" sorts after "manager" alphabetically, so rank managers explicitly.
        .order_by(case((Membership.role == Role.MANAGER, 0), else_=1), Person.first_name, Person.id)
    )
    return [(person, role) for person, role in rows.all()]


async def current_round(session: AsyncSession, team_id: int) -> AssessmentRound | None:
    """The team's open round: the newest one not closed (one statement)."""
    result = await session.execute(
        select(AssessmentRound)
        .where(AssessmentRound.team_id == team_id, AssessmentRound.closed_at.is_(None))
        .order_by(AssessmentRound.started_at.desc(), AssessmentRound.id.desc())
        .limit(1)
    )
    return result.scalars().first()


async def questions_left(
    session: AsyncSession, pack: Pack, round_id: int, person_id: int
) -> list[Question]:
    """What this person has left in this round, in the order they will be asked."""
    return remaining_questions(pack, await person_statuses(session, round_id, person_id))


async def progress_of_team(
    session: AsyncSession, pack: Pack, team_id: int, round_id: int
) -> TeamProgress:
    """Progress by area and by person, and who is behind where (two statements)."""
    members = await team_members(session, team_id)
    statuses = await team_statuses(session, round_id)
    return team_progress(pack, [(p.id, display_name(p)) for p, _ in members], statuses)


def display_name(person: Person) -> str:
    if person.first_name:
        return person.first_name
    return f"@{person.username}" if person.username else f"#{person.id}"
