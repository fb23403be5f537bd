"""When reminders and digests run: weekly slots in a team's time zone, quiet hours, period keys.

Pure: no Telegram, no database. Every instant in and out is timezone-aware; local wall-clock
times are resolved through zoneinfo on each date, so "Monday 10:00 Europe/London" stays 10:00
on both sides of a daylight-saving change. A time that does not exist on a given date (inside the
spring-forward gap) resolves to the same wall time on the old offset, which lands just after the
gap; a time that happens twice (autumn) runs at its first occurrence, once.

A slot has a nominal local date (the day it was scheduled for) and an effective instant (after the
quiet-hours shift). The period key comes from the nominal date, so a Thursday 21:00 reminder moved
to Friday 08:00 by quiet hours is still Thursday's reminder in the delivery log.

Quiet hours hold at the moment of sending too, not only when a slot is computed: a run that would
start inside them (caught up after a restart, started late) waits for their end
(`sending_window`), and one still going when they begin stops and resumes at their end. Such a
run is deferred, not missed: the catch-up grace period counts only time in which sending was
allowed (`sendable_time`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.i18n import N_

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # ISO order: Monday is 1
_FULL_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME_PATTERN = re.compile(r"^(?P<hour>[01]?\d|2[0-3])[:.h](?P<minute>[0-5]\d)$")
# Enough days to see every weekday twice over, plus the quiet-hours shift into the next day.
_LOOKAROUND_DAYS = 9


class ScheduleKind(StrEnum):
    REMINDER = "reminder"
    DIGEST = "digest"


class ScheduleError(ValueError):
    """Bad schedule input, said to the manager in their language.

    `template` is the English text (a gettext message id) and `params` fill it; str() gives
    the English text.
    """

    def __init__(self, template: str, **params: object) -> None:
        super().__init__(template.format(**params))
        self.template = template
        self.params = params


@dataclass(frozen=True)
class QuietHours:
    """A daily window in local time in which nothing is sent; may cross midnight (20:00-08:00)."""

    start: time
    end: time


@dataclass(frozen=True)
class Recurrence:
    """A weekly schedule: ISO weekdays (Monday = 1) at one local time, in one zone."""

    days: tuple[int, ...]
    at: time
    zone: str
    quiet: QuietHours | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)


@dataclass(frozen=True)
class Slot:
    """One run of a schedule."""

    kind: ScheduleKind
    local_date: date  # the nominal day, before any quiet-hours shift
    at: datetime  # when it runs, in UTC, after the shift

    @property
    def period(self) -> str:
        return period_key(self.kind, self.local_date)


def period_key(kind: ScheduleKind, local_date: date) -> str:
    """The delivery-log period: reminders once per scheduled day, digests once per ISO week."""
    year, week, weekday = local_date.isocalendar()
    if kind == ScheduleKind.DIGEST:
        return f"{year}-W{week:02d}"
    return f"{year}-W{week:02d}-{WEEKDAY_NAMES[weekday - 1]}"


def week_prefix(period: str) -> str:
    """'2026-W48-mon' -> '2026-W48-': what every reminder period of that week starts with."""
    return period[:8] + "-"


def current_period(kind: ScheduleKind, now: datetime, zone: str) -> str:
    """The period an unscheduled run at `now` (an operator's or a manager's) belongs to."""
    return period_key(kind, now.astimezone(ZoneInfo(zone)).date())


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """Wall-clock `at` on `day` as a UTC instant (fold=0: first occurrence, or after a gap)."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def effective_instant(day: date, at: time, tz: ZoneInfo, quiet: QuietHours | None) -> datetime:
    """When a run nominally at `at` on `day` happens, moved to the end of quiet hours if needed."""
    nominal = local_instant(day, at, tz)
    return quiet_until(quiet, tz, nominal) or nominal


# Quiet hours as stretches of real time: each day's window, resolved in the zone on its own date
# (a window across a daylight-saving change is an hour longer or shorter, as the clock says).


def quiet_windows(
    quiet: QuietHours | None, tz: ZoneInfo, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The quiet windows (UTC begin, end) that overlap [start, end), in time order."""
    if quiet is None or quiet.start == quiet.end:
        return []
    crosses_midnight = quiet.start > quiet.end
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date()
    windows = []
    while day <= last:
        begin = local_instant(day, quiet.start, tz)
        finish = local_instant(day + timedelta(days=crosses_midnight), quiet.end, tz)
        if begin < end and finish > start:
            windows.append((begin, finish))
        day += timedelta(days=1)
    return windows


def quiet_until(quiet: QuietHours | None, tz: ZoneInfo, moment: datetime) -> datetime | None:
    """If `moment` is inside quiet hours, when they end (UTC); else None."""
    for begin, finish in quiet_windows(quiet, tz, moment, moment + timedelta(microseconds=1)):
        if begin <= moment < finish:
            return finish
    return None


def sendable_time(
    quiet: QuietHours | None, tz: ZoneInfo, start: datetime, end: datetime
) -> timedelta:
    """How much of [start, end) lies outside quiet hours: the time a run could have been sending."""
    if end <= start:
        return timedelta(0)
    quiet_time = sum(
        (
            min(finish, end) - max(begin, start)
            for begin, finish in quiet_windows(quiet, tz, start, end)
        ),
        timedelta(0),
    )
    return end - start - quiet_time


@dataclass(frozen=True)
class SendingWindow:
    """When a run starting at some moment may send."""

    opens: datetime  # that moment, or the end of the quiet hours it falls in
    closes: datetime | None  # when the next quiet hours begin (None: no quiet hours)
    reopens: datetime | None  # when those end: where a run stopped at `closes` resumes

    def is_open(self, moment: datetime) -> bool:
        return self.opens <= moment and (self.closes is None or moment < self.closes)


def sending_window(quiet: QuietHours | None, zone: str, now: datetime) -> SendingWindow:
    """When sending is allowed from `now` on, in the team's zone (see the module doc)."""
    tz = ZoneInfo(zone)
    opens = quiet_until(quiet, tz, now) or now
    upcoming = [
        window
        for window in quiet_windows(quiet, tz, opens, opens + timedelta(days=2))
        if window[0] > opens
    ]
    if not upcoming:
        return SendingWindow(opens, None, None)
    closes, reopens = upcoming[0]
    return SendingWindow(opens, closes, reopens)


def slots_around(kind: ScheduleKind, recurrence: Recurrence, now: datetime) -> list[Slot]:
    """Every slot from about a week before `now` to a week after, in time order."""
    if not recurrence.days:
        return []
    tz = recurrence.tz
    today = now.astimezone(tz).date()
    slots = []
    for offset in range(-_LOOKAROUND_DAYS, _LOOKAROUND_DAYS + 1):
        day = today + timedelta(days=offset)
        if day.isoweekday() in recurrence.days:
            at = effective_instant(day, recurrence.at, tz, recurrence.quiet)
            slots.append(Slot(kind, day, at))
    return sorted(slots, key=lambda slot: (slot.at, slot.local_date))


def next_slot(kind: ScheduleKind, recurrence: Recurrence, now: datetime) -> Slot | None:
    """The first slot strictly after `now` (None when no days are chosen)."""
    return next((s for s in slots_around(kind, recurrence, now) if s.at > now), None)


def last_slot(kind: ScheduleKind, recurrence: Recurrence, now: datetime) -> Slot | None:
    """The latest slot at or before `now`."""
    past = [s for s in slots_around(kind, recurrence, now) if s.at <= now]
    return past[-1] if past else None


def is_scheduled(kind: ScheduleKind, recurrence: Recurrence, slot: Slot) -> bool:
    """Whether `slot` (same day, same instant) is still one of the schedule's slots."""
    return slot.kind == kind and slot in slots_around(kind, recurrence, slot.at)


def job_is_current(
    kind: ScheduleKind, recurrence: Recurrence, planned: Slot, now: datetime
) -> bool:
    """Whether a job set for `planned` is still right at `now`, after the schedule may have changed.

    A job whose time has come (it is about to fire) is right while its slot is still scheduled;
    a future one only if it is the schedule's next slot.
    """
    if planned.at <= now:
        return is_scheduled(kind, recurrence, planned)
    return planned == next_slot(kind, recurrence, now)


@dataclass(frozen=True)
class CatchUp:
    """A slot to run because it was missed, and when: now, or when quiet hours end."""

    slot: Slot
    run_at: datetime


def catch_up_slot(
    kind: ScheduleKind,
    recurrence: Recurrence,
    now: datetime,
    grace: timedelta,
    not_before: datetime,
    completed_periods: frozenset[str] | set[str],
) -> CatchUp | None:
    """The slot to run because it was missed (or cut short) while the bot was down, and when.

    Only the latest past slot qualifies, never one from before `not_before` (the team did not
    exist yet), never one whose run is recorded as complete (so a missed run is caught up once
    and a second restart finds nothing to do), and only while it is less than `grace` late,
    counting only the time outside quiet hours: a run that could not send at night is deferred,
    not missed. If `now` is inside quiet hours, it runs when they end.
    """
    slot = last_slot(kind, recurrence, now)
    if slot is None or slot.at < not_before or slot.period in completed_periods:
        return None
    if sendable_time(recurrence.quiet, recurrence.tz, slot.at, now) > grace:
        return None
    return CatchUp(slot, quiet_until(recurrence.quiet, recurrence.tz, now) or now)


# Parsing and formatting what managers type in /schedule.


def parse_days(text: str) -> tuple[int, ...]:
    """'mon,thu' or 'mon-fri' -> ISO weekday numbers, sorted, without repeats."""
    days: set[int] = set()
    for part in text.lower().replace(" ", "").split(","):
        if not part:
            continue
        if "-" in part:
            first, _, last = part.partition("-")
            start, stop = _weekday(first), _weekday(last)
            if stop < start:
                raise ScheduleError(
                    N_("“{part}” runs backwards; write it like mon-fri."), part=part
                )
            days.update(range(start, stop + 1))
        else:
            days.add(_weekday(part))
    if not days:
        raise ScheduleError(N_("Name at least one day, like mon,thu or mon-fri."))
    return tuple(sorted(days))


def _weekday(name: str) -> int:
    """'mon', 'thurs' or 'friday' -> ISO weekday number."""
    if len(name) >= 3:
        for number, full_name in enumerate(_FULL_WEEKDAY_NAMES, start=1):
            if full_name.startswith(name):
                return number
    raise ScheduleError(
        N_("“{name}” is not a day; use mon, tue, wed, thu, fri, sat or sun."), name=name
    )


def parse_time(text: str) -> time:
    """'10:00', '9:30' or '16h00' -> a time."""
    match = _TIME_PATTERN.match(text.strip().lower())
    if match is None:
        raise ScheduleError(N_("“{text}” is not a time; write it as HH:MM, like 10:00."), text=text)
    return time(int(match["hour"]), int(match["minute"]))


def parse_quiet_hours(text: str) -> QuietHours | None:
    """'20:00-08:00' -> QuietHours; 'off' -> None."""
    if text.strip().lower() in ("off", "none"):
        return None
    start, separator, end = text.partition("-")
    if not separator:
        raise ScheduleError(N_("Write quiet hours as START-END, like 20:00-08:00, or “off”."))
    quiet = QuietHours(parse_time(start), parse_time(end))
    if quiet.start == quiet.end:
        raise ScheduleError(N_("Quiet hours need different start and end times."))
    return quiet


def parse_zone(text: str) -> str:
    name = text.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(
            N_("“{name}” is not a time zone I know; use an IANA name like Europe/Madrid."),
            name=name,
        ) from None
    return name


def days_to_text(days: tuple[int, ...]) -> str:
    return ",".join(WEEKDAY_NAMES[day - 1] for day in days)


def days_from_column(value: str) -> tuple[int, ...]:
    """The Team column ('1,4') -> (1, 4); anything unreadable is dropped, not guessed."""
    days = {int(part) for part in value.split(",") if part.strip().isdigit()}
    return tuple(sorted(day for day in days if 1 <= day <= 7))


def days_to_column(days: tuple[int, ...]) -> str:
    return ",".join(str(day) for day in days)
