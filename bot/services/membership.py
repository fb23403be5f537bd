"""Who is in a team and with what role, as the team admin flows read and change it.

Every function is a fixed number of statements whatever the team size; the permission decisions
themselves live in bot.domain.team_rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from bot.domain.progress import PersonProgress, team_progress
from bot.domain.team_rules import TeamFacts
from bot.services.actions import release_actions
from criteria.model import Pack
from storage.models import Membership, Person, Role, Team, TeamRemoval
from storage.queries import display_name, team_members, team_statuses


async def person_by_telegram_id(session: AsyncSession, telegram_user_id: int) -> Person | None:
    """The person, without creating one (privacy flows must not bring a deleted person back)."""
    return (
        await session.execute(select(Person).where(Person.telegram_user_id == telegram_user_id))
    ).scalar_one_or_none()


async def team_facts(
    session: AsyncSession, team_id: int, actor_id: int, target_id: int | None = None
) -> TeamFacts:
    """The actor's and target's roles in the team and how many managers it has (one statement)."""
    people = [actor_id] if target_id is None else [actor_id, target_id]
    rows = (
        await session.execute(
            select(Membership.person_id, Membership.role).where(
                Membership.team_id == team_id,
                or_(Membership.person_id.in_(people), Membership.role == Role.MANAGER),
            )
        )
    ).all()
    roles = dict(rows)
    return TeamFacts(
        actor_role=roles.get(actor_id),
        target_role=roles.get(target_id) if target_id is not None else None,
        managers=sum(1 for _, role in rows if role == Role.MANAGER),
    )


@dataclass(frozen=True)
class TeamOfPerson:
    team: Team
    role: str
    joined_at: datetime


async def teams_of(session: AsyncSession, person_id: int) -> list[TeamOfPerson]:
    """The person's teams, oldest membership first (one statement)."""
    rows = await session.execute(
        select(Team, Membership.role, Membership.joined_at)
        .join(Membership, Membership.team_id == Team.id)
        .where(Membership.person_id == person_id)
        .order_by(Membership.joined_at, Membership.id)
    )
    return [TeamOfPerson(team, role, joined) for team, role, joined in rows.all()]


async def remove_member(
    session: AsyncSession, team_id: int, person_id: int, removed_by: int | None
) -> bool:
    """Take the person out of the team and remember that a manager did (so the invites they
    still hold no longer bring them back); their answers stay in the rounds' record."""
    result = await session.execute(
        delete(Membership).where(Membership.team_id == team_id, Membership.person_id == person_id)
    )
    if result.rowcount != 1:
        return False
    # One removal per team and person: the latest one is what an invite is compared with.
    await session.execute(
        delete(TeamRemoval).where(
            TeamRemoval.team_id == team_id, TeamRemoval.person_id == person_id
        )
    )
    session.add(TeamRemoval(team_id=team_id, person_id=person_id, removed_by=removed_by))
    # Their unfinished actions go back to the managers as "needs an owner".
    await release_actions(session, team_id, person_id, removed_by)
    await session.flush()
    return True


async def make_manager(session: AsyncSession, team_id: int, person_id: int) -> bool:
    result = await session.execute(
        update(Membership)
        .where(Membership.team_id == team_id, Membership.person_id == person_id)
        .values(role=Role.MANAGER)
    )
    return result.rowcount == 1


@dataclass(frozen=True)
class RosterEntry:
    """One line of /team: who, their role, whether messages reach them, their progress."""

    person_id: int
    name: str
    username: str | None
    role: str
    unreachable_since: datetime | None
    progress: PersonProgress


async def team_roster(
    session: AsyncSession, pack: Pack, team_id: int, round_id: int
) -> list[RosterEntry]:
    """Members, managers first, with their progress in the round (two statements)."""
    members = await team_members(session, team_id)
    statuses = await team_statuses(session, round_id)
    progress = team_progress(pack, [(p.id, display_name(p)) for p, _ in members], statuses)
    return [
        RosterEntry(
            person.id, display_name(person), person.username, role, person.unreachable_since, mine
        )
        for (person, role), mine in zip(members, progress.by_person, strict=True)
    ]


async def forget_active_team(session: AsyncSession, telegram_user_id: int) -> None:
    """The person was told they left; from now on they answer for another of their teams."""
    await session.execute(
        update(Person)
        .where(Person.telegram_user_id == telegram_user_id)
        .values(active_team_id=None)
    )


async def choose_team(session: AsyncSession, person: Person, team_id: int) -> Team | None:
    """Answer for this team from now on, if the person is its member; the team, else None."""
    team = (
        await session.execute(
            select(Team)
            .join(Membership, Membership.team_id == Team.id)
            .where(Team.id == team_id, Membership.person_id == person.id)
        )
    ).scalar_one_or_none()
    if team is not None:
        person.active_team_id = team.id
    return team


async def role_in_team(session: AsyncSession, team_id: int, person_id: int) -> str | None:
    """The person's role in the team, or None when they are not a member."""
    return (
        await session.execute(
            select(Membership.role).where(
                Membership.team_id == team_id, Membership.person_id == person_id
            )
        )
    ).scalar_one_or_none()
