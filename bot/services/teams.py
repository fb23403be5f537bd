"""Teams, memberships, invites and rounds.

An invite made by a person (a manager's /invite, /newteam) has created_by set; the one the bot
makes for a group's Join button has created_by NULL. That one never brings back someone a manager
removed (bot.domain.team_rules.invite_admits_removed), since everyone in the group can tap it.
An invite whose maker has since used /forget reads the same way: that errs on the safe side.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from bot.domain.team_rules import invite_admits_removed
from criteria.model import Pack
from storage.models import AssessmentRound, Invite, Membership, Person, Role, Team, TeamRemoval
from storage.queries import PersonState, person_state

DEFAULT_INVITE_LIFETIME = timedelta(days=30)
# The group's Join link is reused while it has at least this long left, so a link posted in the
# group keeps working for a while after it was shown.
STANDING_INVITE_MIN_LEFT = timedelta(days=7)
TEAM_NAME_MAX = 100


class JoinOutcome(StrEnum):
    JOINED = "joined"
    ALREADY_MEMBER = "already_member"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED_UP = "used_up"
    REVOKED = "revoked"
    REMOVED = "removed"  # a manager removed them, and this invite is older than that


@dataclass(frozen=True)
class JoinResult:
    outcome: JoinOutcome
    team: Team | None = None
    role: str | None = None


def new_invite_token() -> str:
    # 128 random bits, URL-safe: fits a deep-link payload ([A-Za-z0-9_-], at most 64 chars).
    return secrets.token_urlsafe(16)


async def create_team(
    session: AsyncSession,
    founder: Person,
    name: str,
    pack: Pack,
    timezone: str,
    now: datetime,
    pack_key: str | None = None,
) -> tuple[Team, AssessmentRound, Invite]:
    """A team with its first round, the founder as manager, and a member invite to share.

    `pack_key` names the pack where it is not its id (an uploaded pack, "upload:<row>").
    """
    team = await found_team(session, founder, name, pack_key or pack.id, timezone)
    round_, invite = await open_first_round(session, team, founder.id, pack, now, pack_key)
    return team, round_, invite


async def found_team(
    session: AsyncSession, founder: Person, name: str, pack_key: str, timezone: str
) -> Team:
    """The team and its founder as manager, without a round yet (the framework comes next)."""
    team = Team(name=name.strip()[:TEAM_NAME_MAX], pack_id=pack_key, timezone=timezone)
    session.add(team)
    await session.flush()
    session.add(Membership(team_id=team.id, person_id=founder.id, role=Role.MANAGER))
    founder.active_team_id = team.id
    await session.flush()
    return team


async def open_first_round(
    session: AsyncSession,
    team: Team,
    founder_id: int,
    pack: Pack,
    now: datetime,
    pack_key: str | None = None,
) -> tuple[AssessmentRound, Invite]:
    """Round 1 on `pack` and a member invite; the team's pack becomes `pack`."""
    team.pack_id = pack_key or pack.id
    session.add(team)
    round_ = AssessmentRound(
        team_id=team.id, name="Round 1", pack_id=team.pack_id, pack_version=pack.version
    )
    session.add(round_)
    invite = await create_invite(session, team.id, founder_id, now=now)
    await session.flush()
    return round_, invite


async def create_invite(
    session: AsyncSession,
    team_id: int,
    created_by: int | None,
    role: str = Role.MEMBER,
    lifetime: timedelta | None = DEFAULT_INVITE_LIFETIME,
    max_uses: int | None = None,
    *,
    now: datetime,
) -> Invite:
    invite = Invite(
        token=new_invite_token(),
        team_id=team_id,
        role=role,
        created_by=created_by,
        expires_at=now + lifetime if lifetime else None,
        max_uses=max_uses,
    )
    session.add(invite)
    await session.flush()
    return invite


async def join_with_invite(
    session: AsyncSession, person: Person, token: str, now: datetime
) -> JoinResult:
    """Use an invite token; the person's answering switches to the team they joined."""
    invite = (
        await session.execute(select(Invite).where(Invite.token == token))
    ).scalar_one_or_none()
    if invite is None:
        return JoinResult(JoinOutcome.UNKNOWN)
    team = await session.get(Team, invite.team_id)
    existing = (
        await session.execute(
            select(Membership).where(
                Membership.team_id == invite.team_id, Membership.person_id == person.id
            )
        )
    ).scalar_one_or_none()
    if existing is not None:
        person.active_team_id = team.id
        return JoinResult(JoinOutcome.ALREADY_MEMBER, team, existing.role)
    removal = await removal_of(session, team.id, person.id)
    if removal is not None and not invite_admits_removed(
        invite.created_at, invite.created_by is not None, removal.removed_at
    ):
        return JoinResult(JoinOutcome.REMOVED, team)
    if invite.revoked_at is not None:
        return JoinResult(JoinOutcome.REVOKED, team)
    if invite.expires_at is not None and invite.expires_at <= now:
        return JoinResult(JoinOutcome.EXPIRED, team)
    # Count the use atomically, so two people racing for the last use cannot both get it.
    claimed = await session.execute(
        update(Invite)
        .where(Invite.id == invite.id)
        .where((Invite.max_uses.is_(None)) | (Invite.uses < Invite.max_uses))
        .values(uses=Invite.uses + 1)
    )
    if claimed.rowcount == 0:
        return JoinResult(JoinOutcome.USED_UP, team)
    try:
        async with session.begin_nested():
            session.add(Membership(team_id=team.id, person_id=person.id, role=invite.role))
    except IntegrityError:
        return JoinResult(JoinOutcome.ALREADY_MEMBER, team, invite.role)
    if removal is not None:  # a manager let them back in with a new invite
        await session.delete(removal)
    person.active_team_id = team.id
    return JoinResult(JoinOutcome.JOINED, team, invite.role)


async def removal_of(session: AsyncSession, team_id: int, person_id: int) -> TeamRemoval | None:
    """The record of a manager removing this person from this team, if one did."""
    return (
        await session.execute(
            select(TeamRemoval).where(
                TeamRemoval.team_id == team_id, TeamRemoval.person_id == person_id
            )
        )
    ).scalar_one_or_none()


async def standing_invite(session: AsyncSession, team_id: int, now: datetime) -> Invite:
    """The team's member link for group Join buttons: reused while it is open and has a while
    left, else made anew (by the bot: created_by NULL, so it never admits a removed person)."""
    reusable = (
        (
            await session.execute(
                select(Invite)
                .where(
                    Invite.team_id == team_id,
                    Invite.created_by.is_(None),
                    Invite.role == Role.MEMBER,
                    Invite.max_uses.is_(None),
                    Invite.revoked_at.is_(None),
                    Invite.expires_at > now + STANDING_INVITE_MIN_LEFT,
                )
                .order_by(Invite.expires_at.desc(), Invite.id.desc())
                .limit(1)
            )
        )
        .scalars()
        .first()
    )
    if reusable is not None:
        return reusable
    return await create_invite(session, team_id, None, now=now)


async def revoke_invites(session: AsyncSession, team_id: int, now: datetime) -> int:
    """Withdraw every invite of the team that could still be used; how many there were."""
    result = await session.execute(
        update(Invite)
        .where(
            Invite.team_id == team_id,
            Invite.revoked_at.is_(None),
            Invite.expires_at.is_(None) | (Invite.expires_at > now),
            Invite.max_uses.is_(None) | (Invite.uses < Invite.max_uses),
        )
        .values(revoked_at=now)
    )
    return result.rowcount


@dataclass(frozen=True)
class Assessment:
    """What a person is answering now: their team, its open round, and their role there."""

    team: Team
    round: AssessmentRound
    role: str
    earlier_round_id: int | None = None  # the team's round before this one, if any


def assessment_of(state: PersonState | None) -> Assessment | None:
    """The team the person answers for (their chosen one, else their newest) and its open round,
    from what storage.queries.person_state read."""
    team = state.answering_for() if state is not None else None
    if team is None or team.open_round is None:
        return None
    return Assessment(team.team, team.open_round, team.role, team.earlier_round_id)


async def active_assessment(session: AsyncSession, person: Person) -> Assessment | None:
    """assessment_of the person as the database has them now (one statement)."""
    return assessment_of(await person_state(session, person.telegram_user_id))
