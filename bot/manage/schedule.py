"""/schedule: a team's managers see and change when reminders and digests go out.

    /schedule                          the settings and the next run of each, in local time
    /schedule reminders mon,thu 10:00  (or: off)
    /schedule digest fri 16:00         (or: off)
    /schedule quiet 20:00-08:00        (or: off)
    /schedule timezone Europe/Madrid
    /schedule digest-to-group on|off
    /schedule cap 2                    reminders per person per week

Every change is saved on the team and its jobs are set again at once (bot/scheduled/jobs.py).
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import Application, ContextTypes

from bot.core.commands import Chat, Need, command_handler
from bot.core.i18n import N_, _, day_and_date, ngettext
from bot.core.private_gate import refused
from bot.core.render import esc
from bot.core.runtime import runtime
from bot.core.turns import open_turn
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
from bot.scheduled import jobs
from bot.services import groups
from bot.services.schedules import (
    quiet_hours_of,
    recurrence_of,
    set_days_and_time,
    set_quiet_hours,
    team_zone,
)
from storage.models import Team

MANAGERS_ONLY_TEXT = N_(
    "Only a team's managers can see and change its schedules. "
    "To pause your own reminders, use /away."
)
MAX_WEEKLY_CAP = 14
HOW_TO_CHANGE = N_(
    "<b>Change with</b>\n"
    "<code>/schedule reminders mon,thu 10:00</code> (or <code>off</code>)\n"
    "<code>/schedule digest fri 16:00</code> (or <code>off</code>)\n"
    "<code>/schedule quiet 20:00-08:00</code> (or <code>off</code>)\n"
    "<code>/schedule timezone Europe/Madrid</code>\n"
    "<code>/schedule digest-to-group on</code> (or <code>off</code>)\n"
    "<code>/schedule cap 2</code> (reminders per person per week)"
)


def register(app: Application, group: int) -> None:
    app.add_handler(command_handler(Chat.PRIVATE, "schedule", schedule_command), group)


async def schedule_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    rt = runtime(context)
    message = update.effective_message
    args = [arg.strip() for arg in context.args or [] if arg.strip()]
    async with open_turn(rt, update.effective_user) as turn:
        if await refused(turn, message, Need.MANAGER, MANAGERS_ONLY_TEXT):
            return
        team = turn.assessment.team
        if args:
            try:
                done = apply_change(team, args[0].lower(), args[1:])
            except ScheduleError as error:
                problem = _(error.template).format(**error.params)
                await message.reply_text(f"{esc(problem)}\n\n{_(HOW_TO_CHANGE)}")
                return
            await turn.session.flush()
        else:
            done = ""
        has_group = await groups.has_group(turn.session, team.id)
    if args:
        jobs.schedule_team(context.application, team)
    overview = schedule_text(team, rt.settings.default_timezone, rt.clock(), has_group)
    await message.reply_text(f"✅ {done}\n\n{overview}" if done else overview)


def apply_change(team: Team, what: str, values: list[str]) -> str:
    """Change one setting on the team; returns what changed, or raises ScheduleError."""
    if what in ("reminders", "reminder", "digest"):
        kind = ScheduleKind.DIGEST if what == "digest" else ScheduleKind.REMINDER
        label = _("Digest") if kind == ScheduleKind.DIGEST else _("Reminders")
        if values == ["off"]:
            at = team.digest_time if kind == ScheduleKind.DIGEST else team.reminder_time
            set_days_and_time(team, kind, (), at)  # the time stays for when days are set again
            return _("{label}: off.").format(label=label)
        if len(values) != 2:
            raise ScheduleError(
                N_("Give the days and the time, like: /schedule {what} mon,thu 10:00"), what=what
            )
        days, at = parse_days(values[0]), parse_time(values[1])
        set_days_and_time(team, kind, days, at)
        return _("{label}: {days} at {time}.").format(
            label=label, days=days_to_text(days), time=f"{at:%H:%M}"
        )
    if what == "quiet":
        quiet = parse_quiet_hours(_single(values, "/schedule quiet 20:00-08:00"))
        set_quiet_hours(team, quiet)
        return _("Quiet hours: {quiet}.").format(quiet=_quiet_text(quiet))
    if what in ("timezone", "tz", "zone"):
        team.timezone = parse_zone(_single(values, "/schedule timezone Europe/Madrid"))
        return _("Time zone: {zone}.").format(zone=team.timezone)
    if what in ("digest-to-group", "group"):
        choice = _single(values, "/schedule digest-to-group on").lower()
        if choice not in ("on", "off"):
            raise ScheduleError(N_("Say on or off: /schedule digest-to-group on"))
        team.digest_to_group = choice == "on"
        return _("Digest to the team's group: {choice}.").format(choice=_on_off(choice == "on"))
    if what == "cap":
        text = _single(values, "/schedule cap 2")
        if not text.isdigit() or not 1 <= int(text) <= MAX_WEEKLY_CAP:
            raise ScheduleError(
                N_("The cap is a number of reminders from 1 to {count}."), count=MAX_WEEKLY_CAP
            )
        team.weekly_reminder_cap = int(text)
        cap = team.weekly_reminder_cap
        return ngettext(
            "At most {count} reminder per person per week.",
            "At most {count} reminders per person per week.",
            cap,
        ).format(count=cap)
    raise ScheduleError(N_("I don't know “{what}”."), what=what)


def _single(values: list[str], example: str) -> str:
    if len(values) != 1:
        raise ScheduleError(N_("Give one value, like: {example}"), example=example)
    return values[0]


def _on_off(on: bool) -> str:
    return _("on") if on else _("off")


def schedule_text(team: Team, fallback_zone: str, now: datetime, has_group: bool) -> str:
    zone_name = team_zone(team, fallback_zone)
    zone = ZoneInfo(zone_name)
    lines = [
        _("🗓 <b>Schedules for {team}</b> ({zone})").format(
            team=esc(team.name), zone=esc(zone_name)
        ),
        "",
    ]
    for kind, label, days, at in (
        (ScheduleKind.REMINDER, _("Reminders"), team.reminder_days, team.reminder_time),
        (ScheduleKind.DIGEST, _("Digest"), team.digest_days, team.digest_time),
    ):
        lines.append(f"<b>{label}</b>: {_when_text(days, at)}")
        slot = next_slot(kind, recurrence_of(team, kind, fallback_zone), now)
        if slot is not None:
            lines.append(
                "   "
                + _("next: {when}").format(
                    when=day_and_date(slot.at.astimezone(zone), with_time=True)
                )
            )
    quiet = quiet_hours_of(team)
    lines.append(_("<b>Quiet hours</b>: {quiet}").format(quiet=_quiet_text(quiet)))
    lines.append(
        ngettext(
            "<b>Weekly cap</b>: {count} reminder per person",
            "<b>Weekly cap</b>: {count} reminders per person",
            team.weekly_reminder_cap,
        ).format(count=team.weekly_reminder_cap)
    )
    group = _on_off(team.digest_to_group)
    if not has_group:
        group += " " + _("(no group linked yet)")
    lines.append(_("<b>Digest to the team's group</b>: {choice}").format(choice=group))
    return "\n".join(lines) + "\n\n" + _(HOW_TO_CHANGE)


def _when_text(days_column: str, at: time) -> str:
    days = days_from_column(days_column)
    if not days:
        return _("off")
    return _("{days} at {time}").format(days=days_to_text(days), time=f"{at:%H:%M}")


def _quiet_text(quiet: QuietHours | None) -> str:
    if quiet is None:
        return _("off")
    return _("{start}–{end} (nothing is sent then; runs wait until the end)").format(
        start=f"{quiet.start:%H:%M}", end=f"{quiet.end:%H:%M}"
    )
