"""Progress read from the database: what one person has left, how far a team is.

The counting is bot/domain/progress.py's; this only reads what it counts (a fixed number of
statements whatever the team size), so storage/ never needs to know the domain.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.progress import TeamProgress, remaining_questions, team_progress
from criteria.model import Pack, Question
from storage.queries import display_name, person_statuses, team_members, team_statuses


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
