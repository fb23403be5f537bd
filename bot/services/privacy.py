"""A person's own data: everything stored about them, and deleting all of it.

The export and the deletion walk the same tables, so what /mydata shows is what /forget removes:
every table that refers to a person. The person row, memberships, answers with their revisions
and source messages, the conversation, their votes in consensus polls, their removals from teams,
and the delivery log entries addressed to their chat go; deleting the person row removes them
through ON DELETE CASCADE. What belongs to a team and not to them stays, with their name taken
off (ON DELETE SET NULL): invites they created, groups they linked, removals they made.
What a team agreed in consensus (strengths, improvements) is the team's, stored without authors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import case, delete, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, select

from bot.domain.team_rules import must_hand_over
from bot.services.actions import plan_data
from bot.services.packs import forget_unused_uploads, uploads_of
from bot.services.scores import scores_of_person
from storage.models import (
    Answer,
    AnswerMessage,
    AnswerRevision,
    AssessmentRound,
    Consensus,
    ConsensusVote,
    Conversation,
    Delivery,
    GroupLink,
    Invite,
    Membership,
    Person,
    Role,
    Team,
    TeamRemoval,
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


async def _with_team_name(
    session: AsyncSession, model: type[SQLModel], condition: Any
) -> list[tuple[Any, str]]:
    """(row, its team's name) of a table that has a team_id, oldest first (one statement)."""
    rows = await session.execute(
        select(model, Team.name)
        .join(Team, Team.id == model.team_id)
        .where(condition)
        .order_by(model.id)
    )
    return rows.all()


async def person_data(session: AsyncSession, person: Person) -> dict[str, Any]:
    """Everything stored about the person, as one JSON-ready document (fifteen statements)."""
    memberships = await _with_team_name(session, Membership, Membership.person_id == person.id)
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
    votes = (
        await session.execute(
            select(ConsensusVote, Consensus.area_id, AssessmentRound.name, Team.name)
            .join(Consensus, Consensus.id == ConsensusVote.consensus_id)
            .join(AssessmentRound, AssessmentRound.id == Consensus.round_id)
            .join(Team, Team.id == AssessmentRound.team_id)
            .where(ConsensusVote.person_id == person.id)
            .order_by(ConsensusVote.id)
        )
    ).all()
    links = await _with_team_name(session, GroupLink, GroupLink.linked_by == person.id)
    removed_from = await _with_team_name(session, TeamRemoval, TeamRemoval.person_id == person.id)
    removals_made = await _with_team_name(session, TeamRemoval, TeamRemoval.removed_by == person.id)
    scores = await scores_of_person(session, person.id)
    uploads = await uploads_of(session, person.id)

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
                # Loaded with the answers (selectin): the files' Telegram ids, kinds and names.
                "attachments": [_plain(file, ("answer_id",)) for file in answer.attachments],
                "history": history.get(answer.id, []),
                "source_messages": sources.get(answer.id, []),
            }
            for answer, round_name, team_name in answer_rows
        ],
        "conversation": _plain(conversation, ("person_id",)) if conversation else None,
        "deliveries": [_plain(delivery) for delivery in deliveries],
        # Invite tokens are left out: a link that still works is not personal data to pass on.
        "invites_created": [_plain(invite, ("token", "created_by")) for invite in invites],
        "consensus_votes": [
            {
                "team": team_name,
                "round": round_name,
                "area_id": area_id,
                **_plain(vote, ("person_id",)),
            }
            for vote, area_id, round_name, team_name in votes
        ],
        "groups_linked": [
            {"team": team_name, **_plain(link, ("linked_by",))} for link, team_name in links
        ],
        "removed_from_teams": [
            {"team": team_name, **_plain(removal, ("person_id", "removed_by"))}
            for removal, team_name in removed_from
        ],
        # Whom they removed is the other person's data: only the team and when.
        "removals_made": [
            {"team": team_name, **_plain(removal, ("person_id", "removed_by"))}
            for removal, team_name in removals_made
        ],
        "scores": scores,
        # Frameworks they sent as .yaml files, with the files' text.
        "uploaded_packs": [_plain(upload, ("uploaded_by",)) for upload in uploads],
        # Improvement plans: actions they own or created, their changes, themes they chose.
        **await plan_data(session, person.id),
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
    # Their frameworks no team uses go; those a team uses stay with it (the person's link goes
    # with the person: uploaded_by is set to NULL).
    await forget_unused_uploads(session, person.id)
    await session.execute(
        delete(Delivery).where(Delivery.recipient_chat_id == person.telegram_user_id)
    )
    await session.execute(delete(Person).where(Person.id == person.id))
