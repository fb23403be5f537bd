"""The weekly nudge: each owner of open improvement actions hears once a week what is still to do
(overdue ones first marked), with one-tap buttons to mark them started or done.

It runs on the reminder slots rather than a schedule of its own: managers already chose when the
team hears from the bot (days, time, quiet hours), so a third schedule would only be one more
thing to set. The run's period is the week ("2027-W10"), so the first reminder slot of a week
sends it and later slots find the run done in the delivery log; each owner's nudge is claimed
there before it goes out (exactly once across restarts and instances), quiet hours and 429s are
handled by bot/scheduled/runs.py and broadcast.py like every run. Who is nudged (not away, not
unreachable) is bot.domain.actions.owners_to_nudge; a nudge counts against the weekly cap of
follow-ups with reminders and overdue notices (bot.domain.reminders.within_cap).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.core import i18n
from bot.core.callbacks import ActionStep, action_data
from bot.core.i18n import _, ngettext
from bot.core.render import esc, preview
from bot.core.runtime import Runtime
from bot.domain.actions import ActionFacts, DueState, due_state, local_today, owners_to_nudge
from bot.domain.reminders import NoReminder, within_cap
from bot.domain.schedule import week_prefix
from bot.scheduled.broadcast import Outgoing, RunOutcome, RunRequest
from bot.scheduled.overdue_run import run_overdue_notices
from bot.scheduled.reminder_run import run_reminders
from bot.scheduled.runs import Composed, RunKind, StartedRun, perform_run
from bot.services.actions import owned_open_actions
from bot.services.deliveries import DeliveryKind, follow_ups_this_week
from bot.services.reminders import strictest_weekly_caps
from bot.services.schedules import team_zone
from storage.models import Action, Person, Team
from storage.statuses import ActionStatus

NUDGES = RunKind("nudges", DeliveryKind.NUDGE_RUN, DeliveryKind.NUDGE)
ACTIONS_PER_NUDGE = 8  # buttons for this many; /actions has the rest
TITLE_CHARS = 120


async def run_reminders_and_nudges(rt: Runtime, bot: Bot, request: RunRequest) -> RunOutcome:
    """A reminder slot: the reminders of its period, the overdue notices not yet sent, then the
    week's nudges (once a week). In that order, as the weekly cap counts them all: the reminder
    is the oldest promise, an overdue action is news, the nudge a round-up.

    The reminders' outcome is what the scheduler keeps; a notice or nudge run held back by quiet
    hours waits for the same end of them, so it goes on when the reminders do.
    """
    reminders = await run_reminders(rt, bot, request)
    overdue = await run_overdue_notices(rt, bot, request)
    week = week_prefix(request.period).rstrip("-")
    nudges = await run_nudges(rt, bot, replace(request, period=week))
    if reminders.deferred_until is None:
        reminders.deferred_until = overdue.deferred_until or nudges.deferred_until
    return reminders


async def run_nudges(rt: Runtime, bot: Bot, request: RunRequest) -> RunOutcome:
    """Nudge one team's action owners for one week (e.g. '2027-W10'), each at most once."""

    async def read(session: AsyncSession, started: StartedRun) -> list[OwnerNudge]:
        team = started.team
        rows = await owned_open_actions(session, team.id)
        owners = {person.id: person for _action, person in rows}
        chosen = owners_to_nudge(
            [ActionFacts(a.id, a.owner_id, a.status, a.due_date) for a, _p in rows],
            request.now,
            {p.id: p.reminders_paused_until for p in owners.values()},
            {p.id for p in owners.values() if p.unreachable_since is not None},
        )
        if chosen:
            # One nudge is one follow-up: it waits for next week when the cap is reached.
            sent = await follow_ups_this_week(session, team.id, request.period, (request.period,))
            chat = {p.id: p.telegram_user_id for p in owners.values()}
            chosen, held_back = within_cap(
                {owner: [ids] for owner, ids in chosen.items()},
                {owner: sent.get(chat[owner], 0) for owner in chosen},
                team.weekly_reminder_cap,
                await strictest_weekly_caps(session, team.id),
            )
            chosen = {owner: ids for owner, (ids,) in chosen.items()}
            if held_back:
                started.outcome.skipped[NoReminder.WEEKLY_CAP.value] = held_back
        by_id = {action.id: action for action, _person in rows}
        return [OwnerNudge(owners[owner], [by_id[i] for i in ids]) for owner, ids in chosen.items()]

    return await perform_run(rt, bot, NUDGES, request, read, _compose(rt, request))


@dataclass(frozen=True)
class OwnerNudge:
    owner: Person
    actions: list[Action]


def _compose(rt: Runtime, request: RunRequest):
    async def compose(started: StartedRun, nudges: list[OwnerNudge]) -> Composed:
        team = started.team
        today = local_today(request.now, team_zone(team, rt.settings.default_timezone))
        outgoing = []
        for nudge in nudges:
            with i18n.use_language(i18n.language_for(nudge.owner, team)):
                outgoing.append(nudge_message(nudge, team, today))
        return outgoing, lambda outcome: json.dumps({"sent": outcome.report.sent})

    return compose


def nudge_message(nudge: OwnerNudge, team: Team, today) -> Outgoing:
    """The nudge in the current language: the owner's open actions, overdue ones marked, and a
    Started / Done pair of buttons for each of the first few."""
    count = len(nudge.actions)
    lines = [
        ngettext(
            "🛠 <b>{team}</b>: you have {count} improvement action to move forward this week.",
            "🛠 <b>{team}</b>: you have {count} improvement actions to move forward this week.",
            count,
        ).format(team=esc(team.name), count=count)
    ]
    rows = []
    for number, action in enumerate(nudge.actions, start=1):
        due = f" · {action.due_date:%Y-%m-%d}" if action.due_date else ""
        if due_state(action.status, action.due_date, today) is DueState.OVERDUE:
            due += " " + _("⏰ overdue")
        lines.append(f"{number}. {esc(preview(action.title, TITLE_CHARS))}{due}")
        if number <= ACTIONS_PER_NUDGE:
            row = [
                InlineKeyboardButton(
                    f"✅ {number}", callback_data=action_data(ActionStep.DONE, action.id)
                )
            ]
            if action.status != ActionStatus.STARTED:
                row.insert(
                    0,
                    InlineKeyboardButton(
                        f"▶️ {number}", callback_data=action_data(ActionStep.START, action.id)
                    ),
                )
            rows.append(row)
    lines += ["", _("▶️ started, ✅ done; /actions shows each action with all its buttons.")]
    text = "\n".join(lines)
    keyboard = InlineKeyboardMarkup(rows) if rows else None

    async def send(bot: Bot, chat_id: int) -> object:
        return await bot.send_message(chat_id, text, reply_markup=keyboard)

    return Outgoing(nudge.owner.telegram_user_id, (send,))
