"""/away: a person pauses their reminders for a day, a week or until a date, and /away off.

Only reminders pause; answering, digests for managers and everything else carry on. The pause
is a timestamp on the person (Person.reminders_paused_until) that the reminder run compares
with its own clock, so it needs no job of its own and survives restarts.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.core.callbacks import AWAY_PATTERN, away_data
from bot.core.commands import Chat, command_handler
from bot.core.i18n import N_, _, day_and_date
from bot.core.runtime import runtime
from bot.core.turns import Turn, open_turn
from bot.services.people import pause_reminders
from bot.services.schedules import team_zone

AWAY_SPANS = {"day": timedelta(days=1), "week": timedelta(days=7)}
# Marked only: away_button translates them when the button is drawn.
AWAY_LABELS = {
    "day": N_("🔕 1 day"),
    "week": N_("🔕 1 week"),
    "date": N_("📅 Until a date…"),
    "off": N_("🔔 I'm back"),
}
BACK_ON_TEXT = N_("🔔 Reminders are back on.")
LONGEST_PAUSE = timedelta(days=366)
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def register(app: Application, group: int) -> None:
    app.add_handler(command_handler(Chat.PRIVATE, "away", away_command), group)
    app.add_handler(CallbackQueryHandler(away_pressed, pattern=AWAY_PATTERN), group)


def away_button(choice: str, label: str | None = None) -> InlineKeyboardButton:
    return InlineKeyboardButton(label or _(AWAY_LABELS[choice]), callback_data=away_data(choice))


async def away_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/away, /away off, /away YYYY-MM-DD."""
    message = update.effective_message
    argument = " ".join(context.args or []).strip().lower()
    async with open_turn(runtime(context), update.effective_user) as turn:
        zone = _zone_of(turn, runtime(context).settings.default_timezone)
        now = turn.now
        if not argument:
            await message.reply_text(
                _status_text(turn, zone, now), reply_markup=_keyboard(turn, now)
            )
            return
        if argument in ("off", "back", "on"):
            pause_reminders(turn.person, None)
            await message.reply_text(_(BACK_ON_TEXT))
            return
        if not DATE_PATTERN.match(argument):
            await message.reply_text(
                _(
                    "Pause your reminders: <code>/away</code> shows buttons for a day or a week, "
                    "<code>/away {date}</code> pauses them until that date, "
                    "<code>/away off</code> turns them back on."
                ).format(date=_example_date(now))
            )
            return
        until, problem = _pause_until_date(argument, zone, now)
        if problem:
            await message.reply_text(problem)
            return
        pause_reminders(turn.person, until)
        await message.reply_text(_paused_text(until, zone, date_given=True))


async def away_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The buttons under /away and under reminders; they only ever change the presser's pause."""
    query = update.callback_query
    choice = AWAY_PATTERN.match(query.data)["choice"]
    async with open_turn(runtime(context), update.effective_user) as turn:
        if choice == "date":
            await query.answer()
            await context.bot.send_message(
                query.message.chat.id,
                _(
                    "Send the date reminders should start again, like <code>/away {date}</code>."
                ).format(date=_example_date(turn.now)),
            )
            return
        zone = _zone_of(turn, runtime(context).settings.default_timezone)
        if choice == "off":
            pause_reminders(turn.person, None)
            text = _(BACK_ON_TEXT)
        else:
            until = turn.now + AWAY_SPANS[choice]
            pause_reminders(turn.person, until)
            text = _paused_text(until, zone, date_given=False)
    await query.answer(_("Done"))
    await context.bot.send_message(query.message.chat.id, text)


def _zone_of(turn: Turn, fallback: str) -> ZoneInfo:
    if turn.assessment is None:
        return ZoneInfo(fallback)
    return ZoneInfo(team_zone(turn.assessment.team, fallback))


def _pause_until_date(text: str, zone: ZoneInfo, now: datetime) -> tuple[datetime, str | None]:
    """Reminders start again at the beginning of that day in the person's team's time zone."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return now, _("{date} is not a date on the calendar. Write it as YYYY-MM-DD.").format(
            date=text
        )
    until = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    if until <= now:
        return now, _("That date is not in the future. Pick a later one, like tomorrow's.")
    if until - now > LONGEST_PAUSE:
        return now, _("I can pause reminders for up to a year. Pick an earlier date.")
    return until, None


def _status_text(turn: Turn, zone: ZoneInfo, now: datetime) -> str:
    paused = turn.person.reminders_paused_until
    if paused is not None and paused > now:
        state = _("🔕 Your reminders are paused until {when}.").format(when=_when(paused, zone))
    else:
        state = _("🔔 Your reminders are on.")
    return (
        state
        + "\n\n"
        + _(
            "Tap below to pause them for a day or a week, or send "
            "<code>/away {date}</code> to pause them until a date."
        ).format(date=_example_date(now))
    )


def _keyboard(turn: Turn, now: datetime) -> InlineKeyboardMarkup:
    rows = [[away_button("day"), away_button("week")], [away_button("date")]]
    paused = turn.person.reminders_paused_until
    if paused is not None and paused > now:
        rows.append([away_button("off")])
    return InlineKeyboardMarkup(rows)


def _paused_text(until: datetime, zone: ZoneInfo, date_given: bool) -> str:
    when = day_and_date(until.astimezone(zone)) if date_given else _when(until, zone)
    return _(
        "🔕 No reminders until {when}; they start again by themselves. "
        "Send <code>/away off</code> to turn them back on sooner. Your answers stay where they are."
    ).format(when=when)


def _when(moment: datetime, zone: ZoneInfo) -> str:
    return day_and_date(moment.astimezone(zone), with_time=True)


def _example_date(now: datetime) -> str:
    return (now + timedelta(days=14)).date().isoformat()
