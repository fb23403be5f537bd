"""Queries the flows need, each a fixed number of SQL statements whatever the team size."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, case, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import select

from storage.models import (
    ActionEvent,
    Answer,
    AssessmentRound,
    Conversation,
    Membership,
    Person,
    Role,
    Team,
)


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


def display_name(person: Person) -> str:
    if person.first_name:
        return person.first_name
    return f"@{person.username}" if person.username else f"#{person.id}"


@dataclass(frozen=True)
class TeamOfMember:
    team: Team
    role: str
    open_round: AssessmentRound | None  # the team's current round (see current_round)
    # The team's round before the open one, whose answers are offered as "still true?" (None in
    # a team's first round, which then spares looking for them).
    earlier_round_id: int | None = None


@dataclass(frozen=True)
class PersonState:
    """A person as an update finds them: where they are in the chat and which teams they're in."""

    person: Person
    conversation: Conversation | None
    active_team: Team | None  # the team Person.active_team_id points at, member or not
    teams: list[TeamOfMember]  # newest membership first
    # When their newest wait for a typed note, reason or theme began (bot.services.action_notes)
    # if they have one: read here so that a text with nothing waiting costs no query of its own.
    text_wait_since: datetime | None = None

    def team_left_behind(self) -> Team | None:
        """The team they answered for but were removed from since (its name is shown to them)."""
        if self.active_team is None or any(t.team.id == self.active_team.id for t in self.teams):
            return None
        return self.active_team

    def answering_for(self) -> TeamOfMember | None:
        """The team they answer for: their chosen one, else the one they joined last."""
        if not self.teams:
            return None
        chosen = self.person.active_team_id
        return next((t for t in self.teams if t.team.id == chosen), self.teams[0])


TEXT_WAIT_PREFIX = "ask_"  # bot.services.action_notes.ASK: the kind of a wait's row


def _person_state_query():
    active_team = aliased(Team)
    newer_round = aliased(AssessmentRound)
    open_round_id = (
        select(newer_round.id)
        .where(newer_round.team_id == Membership.team_id, newer_round.closed_at.is_(None))
        .order_by(newer_round.started_at.desc(), newer_round.id.desc())
        .limit(1)
        .correlate(Membership)
        .scalar_subquery()
    )
    earlier_round = aliased(AssessmentRound)
    earlier_round_id = (
        select(func.max(earlier_round.id))
        .where(earlier_round.team_id == Membership.team_id, earlier_round.id < AssessmentRound.id)
        .correlate(Membership, AssessmentRound)
        .scalar_subquery()
    )
    text_wait_since = (
        select(func.max(ActionEvent.at))
        .where(
            ActionEvent.person_id == Person.id,
            ActionEvent.kind.startswith(TEXT_WAIT_PREFIX, autoescape=True),
        )
        .correlate(Person)
        .scalar_subquery()
    )
    return (
        select(
            Person,
            Conversation,
            active_team,
            Team,
            Membership.role,
            AssessmentRound,
            earlier_round_id,
            text_wait_since,
        )
        .select_from(Person)
        .outerjoin(Conversation, Conversation.person_id == Person.id)
        .outerjoin(active_team, active_team.id == Person.active_team_id)
        .outerjoin(Membership, Membership.person_id == Person.id)
        .outerjoin(Team, Team.id == Membership.team_id)
        .outerjoin(AssessmentRound, AssessmentRound.id == open_round_id)
        .where(Person.telegram_user_id == bindparam("telegram_user_id"))
        .order_by(Membership.joined_at.desc(), Membership.id.desc())
    )


# Built once: it runs for nearly every update, and building it (aliases and all) costs more
# than running it.
_PERSON_STATE = _person_state_query()


async def person_state(session: AsyncSession, telegram_user_id: int) -> PersonState | None:
    """The person, their conversation, active team and teams with open rounds (one statement).

    One row per membership, so the cost follows the person's teams, never a team's size.
    """
    rows = (await session.execute(_PERSON_STATE, {"telegram_user_id": telegram_user_id})).all()
    if not rows:
        return None
    person, conversation, active, *_membership, wait_since = rows[0]
    teams = [
        TeamOfMember(team, role, round_, earlier)
        for *_, team, role, round_, earlier, _wait in rows
        if team
    ]
    return PersonState(person, conversation, active, teams, wait_since)
