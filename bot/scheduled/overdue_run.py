"""The overdue notice: when an improvement action's due date has passed, its owner hears so once,
in their language, with the action's one-tap buttons (started, done, blocked, a progress note).

Like the weekly nudge it rides on the reminder slots (the team already chose when it hears from
the bot), so a team with daily reminders hears the day after the due date at its reminder time.
Each slot's run is recorded in the delivery log under the slot's period; each notice is claimed
there under its own period, "<week>:overdue-a<action id>", before it goes out. The unique key
makes a notice go out once however often a week's slots, restarts or instances try; a notice
already logged in an earlier week keeps the action from being noticed again. The week in the
period is what counts the notice against the weekly cap (bot.domain.reminders.within_cap).
Who hears (open, overdue, not yet told, not away, reachable) is
bot.domain.actions.overdue_notices_due.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot

from bot.core import i18n
from bot.core.i18n import _
from bot.core.render import esc
from bot.core.runtime import Runtime
from bot.domain.actions import ActionFacts, local_today, overdue_notices_due
from bot.domain.reminders import NoReminder, within_cap
from bot.domain.schedule import week_prefix
from bot.manage import plan_view
from bot.scheduled.broadcast import Outgoing, RunOutcome, RunRequest
from bot.scheduled.runs import Composed, RunKind, StartedRun, perform_run
from bot.services.actions import owned_open_actions
from bot.services.deliveries import DeliveryKind, follow_ups_this_week, overdue_notices_of_team
from bot.services.reminders import strictest_weekly_caps
from bot.services.schedules import team_zone
from storage.models import Action, Person, Team
from storage.queries import display_name

OVERDUE_NOTICES = RunKind("overdue notices", DeliveryKind.OVERDUE_RUN, DeliveryKind.OVERDUE)
_MARK = ":overdue-a"


def notice_period(week: str, action_id: int) -> str:
    """The log period of one action's notice sent in `week` ('2027-W10:overdue-a42')."""
    return f"{week}{_MARK}{action_id}"


def noticed_action(period: str) -> int | None:
    """The action a notice's period is about (None: not a notice's period)."""
    _week, mark, action_id = period.partition(_MARK)
    return int(action_id) if mark and action_id.isdigit() else None


@dataclass(frozen=True)
class Notice:
    owner: Person
    action: Action


async def run_overdue_notices(rt: Runtime, bot: Bot, request: RunRequest) -> RunOutcome:
    """One reminder slot's overdue notices (request.period is the slot's, e.g. '2027-W10-mon')."""
    week = week_prefix(request.period).rstrip("-")

    async def read(session: AsyncSession, started: StartedRun) -> list[Notice]:
        team = started.team
        rows = await owned_open_actions(session, team.id)
        owners = {person.id: person for _action, person in rows}
        person_of_chat = {p.telegram_user_id: p.id for p in owners.values()}
        logged = await overdue_notices_of_team(session, team.id)
        # This week's claims go to the broadcast (which resends an abandoned one); a notice
        # logged in an earlier week means the owner was told.
        started.logged.update(logged)
        noticed = {
            (person_of_chat.get(chat), noticed_action(period))
            for chat, period in logged
            if not period.startswith(week + _MARK)
        }
        today = local_today(request.now, team_zone(team, rt.settings.default_timezone))
        wanted = overdue_notices_due(
            [ActionFacts(a.id, a.owner_id, a.status, a.due_date) for a, _p in rows],
            today,
            {p.id: p.reminders_paused_until for p in owners.values()},
            request.now,
            {p.id for p in owners.values() if p.unreachable_since is not None},
            noticed,
        )
        if not wanted:
            return []
        own_periods = [notice_period(week, i) for ids in wanted.values() for i in ids]
        sent = await follow_ups_this_week(session, team.id, week, own_periods)
        allowed, held_back = within_cap(
            wanted,
            {person_of_chat[chat]: n for chat, n in sent.items() if chat in person_of_chat},
            team.weekly_reminder_cap,
            await strictest_weekly_caps(session, team.id),
        )
        if held_back:
            started.outcome.skipped[NoReminder.WEEKLY_CAP.value] = held_back
        by_id = {action.id: action for action, _person in rows}
        return [Notice(owners[o], by_id[i]) for o, ids in allowed.items() for i in ids]

    async def compose(started: StartedRun, notices: list[Notice]) -> Composed:
        team = started.team
        today = local_today(request.now, team_zone(team, rt.settings.default_timezone))
        outgoing = []
        for notice in notices:
            with i18n.use_language(i18n.language_for(notice.owner, team)) as language:
                pack = started.pack.translated(language)
                text = notice_text(notice, team) + "\n\n"
                text += plan_view.card_text(notice.action, pack, display_name(notice.owner), today)
                keyboard = plan_view.card_keyboard(notice.action, owner=True, manager=False)
            outgoing.append(
                _outgoing(notice, text, keyboard, notice_period(week, notice.action.id))
            )
        return outgoing, _run_detail

    return await perform_run(rt, bot, OVERDUE_NOTICES, request, read, compose)


def _run_detail(outcome: RunOutcome) -> str:
    return json.dumps({"sent": outcome.report.sent, "skipped": outcome.skipped})


def notice_text(notice: Notice, team: Team) -> str:
    """The notice's first line, in the current language."""
    return _("⏰ <b>{team}</b>: this improvement action of yours is overdue (due {date}).").format(
        team=esc(team.name), date=f"{notice.action.due_date:%Y-%m-%d}"
    )


def _outgoing(notice: Notice, text: str, keyboard, period: str) -> Outgoing:
    async def send(bot: Bot, chat_id: int) -> object:
        return await bot.send_message(chat_id, text, reply_markup=keyboard)

    return Outgoing(notice.owner.telegram_user_id, (send,), period=period)
