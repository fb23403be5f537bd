"""Who gets a reminder, and what it says: pure decisions over plain data.

A member is reminded when they still have questions left in the current round, are not away, can
be reached (they have not blocked the bot) and have not had their weekly number of reminders yet,
counted over all their teams against the strictest cap among those teams. Whether this period's
reminder already went out is the delivery log's business, not this module's: the log's unique
key decides that at the moment of sending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.progress import Statuses, next_question, remaining_questions
from criteria.model import Pack


class NoReminder(StrEnum):
    """Why a member gets no reminder this time."""

    FINISHED = "finished"
    AWAY = "away"
    UNREACHABLE = "unreachable"
    WEEKLY_CAP = "weekly_cap"


@dataclass(frozen=True)
class MemberState:
    """What the decision needs to know about one member of the round."""

    person_id: int
    chat_id: int
    name: str
    statuses: Statuses
    paused_until: datetime | None = None
    unreachable_since: datetime | None = None
    reminders_this_week: int = 0  # from any of their teams
    weekly_cap: int | None = None  # the strictest cap among their teams (None: this team's)
    current_question_id: str | None = None  # where their conversation stands in this round
    # What decides the language the reminder is written in (with the team's default).
    chosen_language: str | None = None  # their /language choice
    telegram_language: str | None = None  # their Telegram app's language_code


@dataclass(frozen=True)
class AreaLeft:
    title: str
    questions: int


@dataclass(frozen=True)
class ReminderPlan:
    person_id: int
    chat_id: int
    name: str
    questions_left: int
    areas_left: tuple[AreaLeft, ...]
    resume_question_id: str  # the question the one-tap button opens


def plan_reminder(
    pack: Pack, member: MemberState, now: datetime, weekly_cap: int
) -> ReminderPlan | NoReminder:
    """The reminder to send this member now, or the reason there is none.

    `weekly_cap` is the sending team's; the member's own (stricter) one wins.
    """
    remaining = remaining_questions(pack, member.statuses)
    if not remaining:
        return NoReminder.FINISHED
    if member.unreachable_since is not None:
        return NoReminder.UNREACHABLE
    if member.paused_until is not None and member.paused_until > now:
        return NoReminder.AWAY
    if member.weekly_cap is not None:
        weekly_cap = min(weekly_cap, member.weekly_cap)
    if member.reminders_this_week >= weekly_cap:
        return NoReminder.WEEKLY_CAP
    counts: dict[str, int] = {}
    for question in remaining:
        title = pack.area_of(question.id).title
        counts[title] = counts.get(title, 0) + 1
    return ReminderPlan(
        person_id=member.person_id,
        chat_id=member.chat_id,
        name=member.name,
        questions_left=len(remaining),
        areas_left=tuple(AreaLeft(title, count) for title, count in counts.items()),
        resume_question_id=_resume_point(pack, member),
    )


def _resume_point(pack: Pack, member: MemberState) -> str:
    """Where they stopped if that is still a question of this pack, else what comes next."""
    known = {question.id for question in pack.questions()}
    if member.current_question_id in known:
        return member.current_question_id
    return next_question(pack, member.statuses).id
