"""What the reminder run reads from the database: the round's members in a few statements."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import select

from bot.domain.reminders import MemberState
from bot.services.deliveries import follow_ups_this_week
from storage.models import AssessmentRound, Conversation, Membership, Person, Team
from storage.queries import display_name, team_members, team_statuses


async def reminder_candidates(
    session: AsyncSession, team_id: int, round_id: int, week_prefix: str, period: str
) -> list[MemberState]:
    """Every current member with what the reminder decision needs (five statements).

    People who left the team have no membership, so they are not here at all.
    """
    members = await team_members(session, team_id)
    statuses = await team_statuses(session, round_id)
    positions = dict(
        (
            await session.execute(
                select(Conversation.person_id, Conversation.question_id)
                .join(Membership, Membership.person_id == Conversation.person_id)
                .where(Membership.team_id == team_id, Conversation.round_id == round_id)
            )
        ).all()
    )
    week = week_prefix.rstrip("-")
    sent_this_week = await follow_ups_this_week(session, team_id, week, (period,))
    caps = await strictest_weekly_caps(session, team_id)
    return [
        MemberState(
            person_id=person.id,
            chat_id=person.telegram_user_id,
            name=display_name(person),
            statuses=statuses.get(person.id, {}),
            paused_until=person.reminders_paused_until,
            unreachable_since=person.unreachable_since,
            reminders_this_week=sent_this_week.get(person.telegram_user_id, 0),
            weekly_cap=caps.get(person.id),
            current_question_id=positions.get(person.id),
            chosen_language=person.chosen_language,
            telegram_language=person.language_code,
        )
        for person, _role in members
    ]


async def strictest_weekly_caps(session: AsyncSession, team_id: int) -> dict[int, int]:
    """Person id -> the lowest weekly reminder cap among all the teams of this team's members."""
    in_this_team = aliased(Membership)
    rows = await session.execute(
        select(Membership.person_id, func.min(Team.weekly_reminder_cap))
        .join(Team, Team.id == Membership.team_id)
        .where(
            Membership.person_id.in_(
                select(in_this_team.person_id).where(in_this_team.team_id == team_id)
            )
        )
        .group_by(Membership.person_id)
    )
    return dict(rows.all())


async def switch_to_round_team(session: AsyncSession, telegram_user_id: int, round_id: int) -> bool:
    """Make the team of an open round the person's active team, if they are its member.

    Returns whether anything changed; the caller commits.
    """
    row = (
        await session.execute(
            select(Person, AssessmentRound.team_id)
            .join(Membership, Membership.person_id == Person.id)
            .join(AssessmentRound, AssessmentRound.team_id == Membership.team_id)
            .where(
                Person.telegram_user_id == telegram_user_id,
                AssessmentRound.id == round_id,
                AssessmentRound.closed_at.is_(None),
            )
        )
    ).first()
    if row is None or row[0].active_team_id == row[1]:
        return False
    row[0].active_team_id = row[1]
    return True
