"""A team's schedules as stored in its row, read into the domain and changed by /schedule."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from bot.domain.schedule import (
    QuietHours,
    Recurrence,
    ScheduleError,
    ScheduleKind,
    SendingWindow,
    days_from_column,
    days_to_column,
    parse_zone,
    sending_window,
)
from storage.models import Team


def team_zone(team: Team, fallback: str) -> str:
    """The team's zone; a stored name this system no longer knows falls back, rather than fail."""
    try:
        return parse_zone(team.timezone)
    except ScheduleError:
        return fallback


def quiet_hours_of(team: Team) -> QuietHours | None:
    if team.quiet_start is None or team.quiet_end is None or team.quiet_start == team.quiet_end:
        return None
    return QuietHours(team.quiet_start, team.quiet_end)


def recurrence_of(team: Team, kind: ScheduleKind, fallback_zone: str) -> Recurrence:
    if kind == ScheduleKind.DIGEST:
        days, at = team.digest_days, team.digest_time
    else:
        days, at = team.reminder_days, team.reminder_time
    return Recurrence(
        days_from_column(days), at, team_zone(team, fallback_zone), quiet_hours_of(team)
    )


def team_sending_window(team: Team, fallback_zone: str, now: datetime) -> SendingWindow:
    """When the team's runs may send, from `now` on (its quiet hours, in its zone)."""
    return sending_window(quiet_hours_of(team), team_zone(team, fallback_zone), now)


async def all_teams(session: AsyncSession) -> list[Team]:
    return list((await session.execute(select(Team).order_by(Team.id))).scalars())


def set_days_and_time(team: Team, kind: ScheduleKind, days: tuple[int, ...], at: time) -> None:
    if kind == ScheduleKind.DIGEST:
        team.digest_days, team.digest_time = days_to_column(days), at
    else:
        team.reminder_days, team.reminder_time = days_to_column(days), at


def set_quiet_hours(team: Team, quiet: QuietHours | None) -> None:
    team.quiet_start, team.quiet_end = (quiet.start, quiet.end) if quiet else (None, None)
