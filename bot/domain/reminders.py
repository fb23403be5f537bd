"""Who gets a reminder, and what it says: pure decisions over plain data.

A member is reminded when they still have questions left in the current round, are not away, can
be reached (they have not blocked the bot) and have not had their weekly number of follow-ups yet,
counted over all their teams against the strictest cap among those teams. Follow-ups are every
message the bot sends a person unasked: reminders, the weekly nudge about their improvement
actions and overdue notices all count against the one cap (`room_this_week`, `within_cap`).
Whether this period's reminder already went out is the delivery log's business, not this
module's: the log's unique key decides that at the moment of sending.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from bot.domain.progress import Statuses, next_question, remaining_questions
from criteria.model import Pack

T = TypeVar("T")


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
    reminders_this_week: int = 0  # follow-ups of any kind, from any of their teams
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
    if room_this_week(member.reminders_this_week, weekly_cap, member.weekly_cap) == 0:
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


def room_this_week(sent_this_week: int, team_cap: int, own_cap: int | None = None) -> int:
    """How many more follow-ups (reminders, nudges, overdue notices) a person may get this week:
    the strictest of the sending team's cap and their own (the lowest among their teams), less
    what they already had this week from any team, of any kind."""
    cap = team_cap if own_cap is None else min(team_cap, own_cap)
    return max(0, cap - sent_this_week)


def within_cap(
    wanted: dict[int, Sequence[T]],
    sent_this_week: dict[int, int],
    team_cap: int,
    own_caps: dict[int, int],
) -> tuple[dict[int, list[T]], int]:
    """Person id -> the first of their wanted follow-ups that still fit this week's cap (each
    item is one message), and how many were held back by it. Those held back are not lost: the
    next slot (next week, when the count starts again) asks again."""
    allowed: dict[int, list[T]] = {}
    held_back = 0
    for person, items in wanted.items():
        room = room_this_week(sent_this_week.get(person, 0), team_cap, own_caps.get(person))
        if room:
            allowed[person] = list(items[:room])
        held_back += max(0, len(items) - room)
    return allowed, held_back
