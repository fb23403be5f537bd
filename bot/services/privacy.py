"""A person's own data: everything stored about them, and deleting all of it.

The export and the deletion walk the same tables, so what /mydata shows is what /forget removes:
the person row, memberships, answers with their revisions and source messages, the conversation,
and the delivery log entries addressed to their chat. Deleting the person row removes the rest
through ON DELETE CASCADE (memberships, answers -> revisions and messages, conversation); invites
they created and groups they linked keep existing with the creator set to NULL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import case, delete, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, select

from bot.domain.team_rules import must_hand_over
from storage.models import (
    Answer,
    AnswerMessage,
    AnswerRevision,
    AssessmentRound,
    Conversation,
    Delivery,
    Invite,
    Membership,
    Person,
    Role,
    Team,
)


def _plain(row: SQLModel, leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
    """A row as JSON-ready values (dates as ISO text)."""
    values = {}
    for key, value in row.model_dump().items():
        if key in leave_out:
            continue
        if isinstance(value, datetime | date | time):
            value = value.isoformat()
        values[key] = value
    return values


async def person_data(session: AsyncSession, person: Person) -> dict[str, Any]:
    """Everything stored about the person, as one JSON-ready document (seven statements)."""
    memberships = (
        await session.execute(
            select(Membership, Team.name)
            .join(Team, Team.id == Membership.team_id)
            .where(Membership.person_id == person.id)
            .order_by(Membership.id)
        )
    ).all()
    answer_rows = (
        await session.execute(
            select(Answer, AssessmentRound.name, Team.name)
            .join(AssessmentRound, AssessmentRound.id == Answer.round_id)
            .join(Team, Team.id == AssessmentRound.team_id)
            .where(Answer.person_id == person.id)
            .order_by(Answer.round_id, Answer.id)
        )
    ).all()
    mine = select(Answer.id).where(Answer.person_id == person.id)
    revisions = (
        await session.execute(
            select(AnswerRevision)
            .where(AnswerRevision.answer_id.in_(mine))
            .order_by(AnswerRevision.id)
        )
    ).scalars()
    messages = (
        await session.execute(
            select(AnswerMessage)
            .where(AnswerMessage.answer_id.in_(mine))
            .order_by(AnswerMessage.id)
        )
    ).scalars()
    conversation = await session.get(Conversation, person.id)
    deliveries = (
        await session.execute(
            select(Delivery)
            .where(Delivery.recipient_chat_id == person.telegram_user_id)
            .order_by(Delivery.id)
        )
    ).scalars()
    invites = (
        await session.execute(
            select(Invite).where(Invite.created_by == person.id).order_by(Invite.id)
        )
    ).scalars()

    history: dict[int, list[dict]] = {}
    for revision in revisions:
        history.setdefault(revision.answer_id, []).append(_plain(revision, ("answer_id",)))
    sources: dict[int, list[dict]] = {}
    for message in messages:
        sources.setdefault(message.answer_id, []).append(_plain(message, ("answer_id",)))
    return {
        "profile": _plain(person),
        "memberships": [
            {"team": team_name, **_plain(membership, ("person_id",))}
            for membership, team_name in memberships
        ],
        "answers": [
            {
                "team": team_name,
                "round": round_name,
                **_plain(answer, ("person_id",)),
                "history": history.get(answer.id, []),
                "source_messages": sources.get(answer.id, []),
            }
            for answer, round_name, team_name in answer_rows
        ],
        "conversation": _plain(conversation, ("person_id",)) if conversation else None,
        "deliveries": [_plain(delivery) for delivery in deliveries],
        # Invite tokens are left out: a link that still works is not personal data to pass on.
        "invites_created": [_plain(invite, ("token", "created_by")) for invite in invites],
    }


@dataclass(frozen=True)
class TeamToHandOver:
    team_id: int
    name: str


async def teams_to_hand_over(session: AsyncSession, person_id: int) -> list[TeamToHandOver]:
    """Teams this person is the only manager of while others are in them (one statement)."""
    managers = func.sum(case((Membership.role == Role.MANAGER, 1), else_=0))
    counts = (
        select(Membership.team_id, managers.label("managers"), func.count().label("members"))
        .group_by(Membership.team_id)
        .subquery()
    )
    rows = await session.execute(
        select(Team.id, Team.name, Membership.role, counts.c.managers, counts.c.members)
        .join(Membership, Membership.team_id == Team.id)
        .join(counts, counts.c.team_id == Team.id)
        .where(Membership.person_id == person_id)
        .order_by(Team.name)
    )
    return [
        TeamToHandOver(team_id, name)
        for team_id, name, role, manager_count, member_count in rows.all()
        if must_hand_over(role, int(manager_count or 0), member_count)
    ]


async def forget_person(session: AsyncSession, person: Person) -> None:
    """Delete the person and everything about them; teams only they were in go too."""
    own_teams = (
        select(Membership.team_id)
        .group_by(Membership.team_id)
        .having(func.count() == 1, func.max(Membership.person_id) == person.id)
    )
    await session.execute(delete(Team).where(Team.id.in_(own_teams)))
    await session.execute(
        delete(Delivery).where(Delivery.recipient_chat_id == person.telegram_user_id)
    )
    await session.execute(delete(Person).where(Person.id == person.id))
