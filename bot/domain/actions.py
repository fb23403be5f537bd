"""Improvement plans, pure: the OFIs of an area as items, due dates, what is overdue, who is
nudged this week. No Telegram, no database: the handlers and services ask here.

Dates are the team's calendar dates: "today" is the clock's moment seen in the team's time zone
(`local_today`), so a due date means the same day to everyone in the team, across daylight saving.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.core.i18n import N_
from storage.statuses import OPEN_ACTION_STATUSES, ActionStatus

OFI_KEY_CHARS = 8
# "- x", "* x", "• x", "1. x", "2) x": the ways people start an item in a chat message.
_BULLET = re.compile(r"^\s*(?:[-*•·–—]+|\d{1,3}[.)])\s*")
_SPACES = re.compile(r"\s+")
# How many days ahead the due-date buttons offer.
DUE_CHOICES = (7, 14, 30, 90)


@dataclass(frozen=True)
class OfiItem:
    """One opportunity for improvement: its stable key and its text."""

    key: str
    text: str


def ofi_key(text: str) -> str:
    """A short stable key for an item's text: the same words (any case, spacing or bullet) give
    the same key, so editing one item of an area never changes the other items' keys."""
    normal = _SPACES.sub(" ", _BULLET.sub("", text)).strip().casefold()
    return hashlib.sha1(normal.encode()).hexdigest()[:OFI_KEY_CHARS]


def ofi_items(improvements: str | None) -> list[OfiItem]:
    """The improvements text of an area split into items: one per line or bullet, empty lines
    and repeats left out, in the order written."""
    items, seen = [], set()
    for line in (improvements or "").splitlines():
        text = _BULLET.sub("", line).strip()
        if not text:
            continue
        key = ofi_key(text)
        if key in seen:
            continue
        seen.add(key)
        items.append(OfiItem(key, text))
    return items


# A key theme's impact and effort: a tap each, low to high (None: not rated).
LOW, MEDIUM, HIGH = 1, 2, 3
LEVELS = (LOW, MEDIUM, HIGH)
LEVEL_NAMES = {LOW: N_("low"), MEDIUM: N_("medium"), HIGH: N_("high")}  # translated when shown


def priority_order(rank: int, impact: int | None, effort: int | None) -> tuple[int, int, int]:
    """The sort key of a priority: the biggest impact first, then the least effort, then the
    order the managers picked them in (their rank). Unrated comes after every rating, so rating
    a priority is what moves it up; picking order alone decides among the unrated."""
    return (-(impact or 0), effort or len(LEVELS) + 1, rank)


def local_today(now: datetime, zone: str) -> date:
    """The team's calendar date at this moment."""
    return now.astimezone(ZoneInfo(zone)).date()


def week_of(day: date) -> tuple[date, date]:
    """Monday and Sunday of the week holding `day`."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


class DueState(StrEnum):
    """How an action stands against its due date, for lists, digests and nudges."""

    CLOSED = "closed"  # done or dropped
    NO_DATE = "no_date"
    OVERDUE = "overdue"
    THIS_WEEK = "this_week"  # due today or later this week
    LATER = "later"


def due_state(status: str, due: date | None, today: date) -> DueState:
    """Overdue once the due date has passed in the team's calendar (the due day itself is not)."""
    if status not in OPEN_ACTION_STATUSES:
        return DueState.CLOSED
    if due is None:
        return DueState.NO_DATE
    if due < today:
        return DueState.OVERDUE
    if due <= week_of(today)[1]:
        return DueState.THIS_WEEK
    return DueState.LATER


def is_overdue(status: str, due: date | None, today: date) -> bool:
    return due_state(status, due, today) is DueState.OVERDUE


@dataclass(frozen=True)
class ActionFacts:
    """What the nudge rule needs of one action."""

    action_id: int
    owner_id: int | None
    status: str
    due: date | None


def owners_to_nudge(
    actions: Iterable[ActionFacts],
    now: datetime,
    paused_until: dict[int, datetime | None],
    unreachable: set[int] = frozenset(),
) -> dict[int, list[int]]:
    """Owner id -> their open actions, for this week's nudge: every owner with something still to
    do, except those away (/away: paused until after `now`) or who blocked the bot; actions with
    no owner nudge nobody (they are in the managers' digest)."""
    nudged: dict[int, list[int]] = {}
    for action in actions:
        owner = action.owner_id
        if owner is None or action.status not in OPEN_ACTION_STATUSES or owner in unreachable:
            continue
        paused = paused_until.get(owner)
        if paused is not None and paused > now:
            continue
        nudged.setdefault(owner, []).append(action.action_id)
    return nudged


def overdue_notices_due(
    actions: Iterable[ActionFacts],
    today: date,
    paused_until: dict[int, datetime | None],
    now: datetime,
    unreachable: set[int] = frozenset(),
    noticed: set[tuple[int, int]] = frozenset(),
) -> dict[int, list[int]]:
    """Owner id -> their actions to send an overdue notice about now: open, past their due date
    in the team's calendar, and not yet `noticed` (owner id, action id: each owner hears of each
    action once, ever). Owners away or unreachable hear later, when they are back."""
    due: dict[int, list[int]] = {}
    for action in actions:
        owner = action.owner_id
        if owner is None or owner in unreachable or (owner, action.action_id) in noticed:
            continue
        if not is_overdue(action.status, action.due, today):
            continue
        paused = paused_until.get(owner)
        if paused is not None and paused > now:
            continue
        due.setdefault(owner, []).append(action.action_id)
    return due


def due_choice(days: int, today: date) -> date:
    """The date a due-date button stands for."""
    if days not in DUE_CHOICES:
        raise ValueError(f"not a due-date choice: {days}")
    return today + timedelta(days=days)


# Typed dates in the order people of a language write them; ISO is always understood.
_DATE_ORDER = {"en": "mdy", "es": "dmy", "ru": "dmy"}
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_LOCAL = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{2}|\d{4})$")


def parse_typed_date(text: str, language: str, today: date) -> date | None:
    """A date typed as the person's language writes it (en 12/31/2027, es 31/12/2027,
    ru 31.12.2027) or as YYYY-MM-DD; None when it is no date or lies in the past."""
    text = text.strip()
    try:
        if match := _ISO.match(text):
            day = date(int(match[1]), int(match[2]), int(match[3]))
        elif match := _LOCAL.match(text):
            first, second, year = int(match[1]), int(match[2]), int(match[3])
            year += 2000 if year < 100 else 0
            order = _DATE_ORDER.get(language, "dmy")
            month, day_of_month = (first, second) if order == "mdy" else (second, first)
            day = date(year, month, day_of_month)
        else:
            return None
    except ValueError:
        return None
    return day if day >= today else None


@dataclass(frozen=True)
class PlanItem:
    """An action as the digest reads it: what, whose (None: needs an owner), where it stands."""

    title: str
    owner: str | None
    status: str
    due: date | None
    done_on: date | None = None  # the team's date it was marked done


@dataclass(frozen=True)
class PlanSummary:
    """The digest's actions section: done since last week, due this week, overdue, blocked."""

    done: tuple[PlanItem, ...]
    due_this_week: tuple[PlanItem, ...]
    overdue: tuple[PlanItem, ...]
    blocked: tuple[PlanItem, ...]

    @property
    def empty(self) -> bool:
        return not (self.done or self.due_this_week or self.overdue or self.blocked)


def plan_summary(items: Iterable[PlanItem], today: date) -> PlanSummary:
    """Sort a team's actions into the digest's four lists. Done counts within the last seven
    days; a blocked action is listed as blocked even when also overdue (the block is the news)."""
    since = today - timedelta(days=7)
    done, due_week, overdue, blocked = [], [], [], []
    for item in sorted(items, key=lambda i: (i.due is None, i.due or today, i.title)):
        if item.status == ActionStatus.DONE:
            if item.done_on is not None and item.done_on > since:
                done.append(item)
            continue
        if item.status == ActionStatus.BLOCKED:
            blocked.append(item)
            continue
        state = due_state(item.status, item.due, today)
        if state is DueState.OVERDUE:
            overdue.append(item)
        elif state is DueState.THIS_WEEK:
            due_week.append(item)
    return PlanSummary(tuple(done), tuple(due_week), tuple(overdue), tuple(blocked))


def area_result(agreed_rating: str | None, agreed_score: int | None = None) -> str | int | None:
    """What "how the scores moved" compares per area between two rounds: the agreed score on the
    process bands when the team set one (an int, a percentage), else the consensus's agreed
    maturity rating (a level id)."""
    return agreed_score if agreed_score is not None else agreed_rating


def result_moves(
    previous: dict[str, str | int | None],
    current: dict[str, str | int | None],
    area_ids: Iterable[str],
) -> list[tuple[str, str | int | None, str | int | None]]:
    """(area id, before, now) for every area with a result in either round, in `area_ids` order."""
    return [
        (area_id, previous.get(area_id), current.get(area_id))
        for area_id in area_ids
        if previous.get(area_id) is not None or current.get(area_id) is not None
    ]
