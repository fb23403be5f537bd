"""What /export reads before gathering a round: which rounds a team has, and who may export."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from storage.models import AssessmentRound, Membership


async def rounds_of_team(session: AsyncSession, team_id: int, limit: int) -> list[AssessmentRound]:
    """The team's newest rounds, newest first."""
    result = await session.execute(
        select(AssessmentRound)
        .where(AssessmentRound.team_id == team_id)
        .order_by(AssessmentRound.started_at.desc(), AssessmentRound.id.desc())
        .limit(limit)
    )
    return list(result.scalars())


async def role_in_team(session: AsyncSession, person_id: int, team_id: int) -> str | None:
    """The person's role in the team, or None if they are not in it."""
    result = await session.execute(
        select(Membership.role).where(
            Membership.person_id == person_id, Membership.team_id == team_id
        )
    )
    return result.scalar_one_or_none()
