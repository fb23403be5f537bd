"""/schedule: a team's managers see and change when reminders and digests go out.

    /schedule                          the settings and the next run of each, in local time
    /schedule reminders mon,thu 10:00  (or: off)
    /schedule digest fri 16:00         (or: off)
    /schedule quiet 20:00-08:00        (or: off)
    /schedule timezone Europe/Madrid
    /schedule digest-to-group on|off
    /schedule cap 2                    reminders per person per week

Every change is saved on the team and its jobs are set again at once (bot/jobs.py).
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import select
from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from bot import jobs
from bot.domain.schedule import (
    QuietHours,
    ScheduleError,
    ScheduleKind,
    days_from_column,
    days_to_text,
    next_slot,
    parse_days,
    parse_quiet_hours,
    parse_time,
    parse_zone,
)
from bot.render import esc
from bot.runtime import runtime
from bot.services.schedules import (
    quiet_hours_of,
    recurrence_of,
    set_days_and_time,
    set_quiet_hours,
    team_zone,
)
from bot.turns import open_turn
from storage.models import GroupLink, Role, Team

PRIVATE = filters.ChatType.PRIVATE
MAX_WEEKLY_CAP = 14
HOW_TO_CHANGE = (
    "<b>Change with</b>\n"
    "<code>/schedule reminders mon,thu 10:00</code> (or <code>off</code>)\n"
    "<code>/schedule digest fri 16:00</code> (or <code>off</code>)\n"
    "<code>/schedule quiet 20:00-08:00</code> (or <code>off</code>)\n"
    "<code>/schedule timezone Europe/Madrid</code>\n"
    "<code>/schedule digest-to-group on</code> (or <code>off</code>)\n"
    "<code>/schedule cap 2</code> (reminders per person per week)"
)


def register(app: Application, group: int) -> None:
    app.add_handler(CommandHandler("schedule", schedule_command, filters=PRIVATE), group)


async def schedule_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    rt = runtime(context)
    message = update.effective_message
    args = [arg.strip() for arg in context.args or [] if arg.strip()]
    async with open_turn(rt, update.effective_user) as turn:
        if turn.assessment is None or turn.assessment.role != Role.MANAGER:
            await message.reply_text(
                "Only a team's managers can see and change its schedules. "
                "To pause your own reminders, use /away."
            )
            return
        team = turn.assessment.team
        if args:
            try:
                done = apply_change(team, args[0].lower(), args[1:])
            except ScheduleError as error:
                await message.reply_text(f"{esc(str(error))}\n\n{HOW_TO_CHANGE}")
                return
            await turn.session.flush()
        else:
            done = ""
        has_group = (
            await turn.session.execute(
                select(GroupLink.id).where(GroupLink.team_id == team.id).limit(1)
            )
        ).first() is not None
    if args:
        jobs.schedule_team(context.application, team)
    overview = schedule_text(team, rt.settings.default_timezone, jobs.clock(), has_group)
    await message.reply_text(f"✅ {done}\n\n{overview}" if done else overview)


def apply_change(team: Team, what: str, values: list[str]) -> str:
    """Change one setting on the team; returns what changed, or raises ScheduleError."""
    if what in ("reminders", "reminder", "digest"):
        kind = ScheduleKind.DIGEST if what == "digest" else ScheduleKind.REMINDER
        label = "Digest" if kind == ScheduleKind.DIGEST else "Reminders"
        if values == ["off"]:
            at = team.digest_time if kind == ScheduleKind.DIGEST else team.reminder_time
            set_days_and_time(team, kind, (), at)  # the time stays for when days are set again
            return f"{label}: off."
        if len(values) != 2:
            raise ScheduleError(f"Give the days and the time, like: /schedule {what} mon,thu 10:00")
        days, at = parse_days(values[0]), parse_time(values[1])
        set_days_and_time(team, kind, days, at)
        return f"{label}: {days_to_text(days)} at {at:%H:%M}."
    if what == "quiet":
        quiet = parse_quiet_hours(_single(values, "/schedule quiet 20:00-08:00"))
        set_quiet_hours(team, quiet)
        return f"Quiet hours: {_quiet_text(quiet)}."
    if what in ("timezone", "tz", "zone"):
        team.timezone = parse_zone(_single(values, "/schedule timezone Europe/Madrid"))
        return f"Time zone: {team.timezone}."
    if what in ("digest-to-group", "group"):
        choice = _single(values, "/schedule digest-to-group on").lower()
        if choice not in ("on", "off"):
            raise ScheduleError("Say on or off: /schedule digest-to-group on")
        team.digest_to_group = choice == "on"
        return f"Digest to the team's group: {choice}."
    if what == "cap":
        text = _single(values, "/schedule cap 2")
        if not text.isdigit() or not 1 <= int(text) <= MAX_WEEKLY_CAP:
            raise ScheduleError(f"The cap is a number of reminders from 1 to {MAX_WEEKLY_CAP}.")
        team.weekly_reminder_cap = int(text)
        return f"At most {team.weekly_reminder_cap} reminder(s) per person per week."
    raise ScheduleError(f"I don't know “{what}”.")


def _single(values: list[str], example: str) -> str:
    if len(values) != 1:
        raise ScheduleError(f"Give one value, like: {example}")
    return values[0]


def schedule_text(team: Team, fallback_zone: str, now: datetime, has_group: bool) -> str:
    zone_name = team_zone(team, fallback_zone)
    zone = ZoneInfo(zone_name)
    lines = [f"🗓 <b>Schedules for {esc(team.name)}</b> ({esc(zone_name)})", ""]
    for kind, label, days, at in (
        (ScheduleKind.REMINDER, "Reminders", team.reminder_days, team.reminder_time),
        (ScheduleKind.DIGEST, "Digest", team.digest_days, team.digest_time),
    ):
        lines.append(f"<b>{label}</b>: {_when_text(days, at)}")
        slot = next_slot(kind, recurrence_of(team, kind, fallback_zone), now)
        if slot is not None:
            lines.append(f"   next: {slot.at.astimezone(zone):%a %d %b, %H:%M}")
    quiet = quiet_hours_of(team)
    lines.append(f"<b>Quiet hours</b>: {_quiet_text(quiet)}")
    lines.append(f"<b>Weekly cap</b>: {team.weekly_reminder_cap} reminder(s) per person")
    group = "on" if team.digest_to_group else "off"
    if not has_group:
        group += " (no group linked yet)"
    lines.append(f"<b>Digest to the team's group</b>: {group}")
    return "\n".join(lines) + "\n\n" + HOW_TO_CHANGE


def _when_text(days_column: str, at: time) -> str:
    days = days_from_column(days_column)
    return f"{days_to_text(days)} at {at:%H:%M}" if days else "off"


def _quiet_text(quiet: QuietHours | None) -> str:
    if quiet is None:
        return "off"
    return f"{quiet.start:%H:%M}–{quiet.end:%H:%M} (nothing is sent then; runs wait until the end)"
