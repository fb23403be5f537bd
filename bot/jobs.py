"""Schedules as jobs: rebuilt from the Team rows at start and whenever /schedule changes them.

Each team has two one-shot jobs, "reminders:team:<id>" and "digest:team:<id>", set for the
team's next slot as bot/domain/schedule.py computes it (time zone, daylight saving, quiet
hours); when one fires it runs its period and sets the next. One-shot jobs keep the domain the
single place that knows when things run: a cron trigger could not express the quiet-hours shift,
and PTB's run_daily (0 = Sunday) and APScheduler's cron (0 = Monday) number weekdays differently.
Nothing is pickled: the jobs are rebuilt from the database at every start.

A sweep runs at start and every SWEEP_EVERY. It sets jobs for teams created since the start,
and on the leader it runs every slot that passed less than the grace period ago
(REMINDER_GRACE_MINUTES) without a complete run in the delivery log. That catches up a run
missed while the bot was down, finishes one cut short by a crash, and covers a takeover by
another instance; the log's run records make sure each happens once.

Only the instance holding the scheduler lease (bot/leadership.py) sends anything.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram import Bot
from telegram.ext import Application, ContextTypes

from bot.broadcast import RunOutcome
from bot.digest import run_digest
from bot.domain.schedule import ScheduleKind, Slot, catch_up_slot, last_slot, next_slot
from bot.leadership import is_leader
from bot.reminders import run_reminders
from bot.runtime import RUNTIME_KEY, Runtime
from bot.services.deliveries import DeliveryKind, completed_runs
from bot.services.schedules import all_teams, recurrence_of
from storage.models import Team
from storage.types import utcnow

log = logging.getLogger(__name__)

SWEEP_EVERY = timedelta(minutes=5)
SWEEP_JOB_ID = "schedule-sweep"
START_SWEEP_JOB_ID = "schedule-sweep-at-start"
STARTED_AT_KEY = "schedules_started_at"
RUNNING_KEY = "schedule_runs_in_progress"

# The scheduling clock. Tests replace it to stand at a chosen moment; the delivery log's own
# timestamps stay real, so "claimed before this process started" keeps its meaning.
clock: Callable[[], datetime] = utcnow

Runner = Callable[[Runtime, Bot, int, str, datetime, datetime], Awaitable[RunOutcome]]
RUNNERS: dict[ScheduleKind, Runner] = {
    ScheduleKind.REMINDER: run_reminders,
    ScheduleKind.DIGEST: run_digest,
}
RUN_KINDS = {
    ScheduleKind.REMINDER: DeliveryKind.REMINDER_RUN,
    ScheduleKind.DIGEST: DeliveryKind.DIGEST_RUN,
}


@dataclass(frozen=True)
class SlotJob:
    """What a team's job carries: the slot it was set for."""

    team_id: int
    kind: ScheduleKind
    period: str
    at: datetime


def job_id(kind: ScheduleKind, team_id: int) -> str:
    return f"{'reminders' if kind == ScheduleKind.REMINDER else 'digest'}:team:{team_id}"


async def start_schedules(application: Application) -> None:
    """From post_init: a job per team and kind, and the sweep (which runs first, at once)."""
    application.bot_data[STARTED_AT_KEY] = utcnow()
    application.bot_data[RUNNING_KEY] = set()
    if application.job_queue is None:
        log.warning("no job queue (install python-telegram-bot[job-queue]): nothing is scheduled")
        return
    rt: Runtime = application.bot_data[RUNTIME_KEY]
    async with rt.sessions() as session:
        teams = await all_teams(session)
    now = clock()
    for team in teams:
        schedule_team(application, team, now)
    sweep_settings = {
        "replace_existing": True,
        "misfire_grace_time": int(SWEEP_EVERY.total_seconds()),
        "coalesce": True,
    }
    # At once (an interval trigger's first run would come only after a whole interval)...
    application.job_queue.run_once(
        sweep_job,
        when=0,
        name=START_SWEEP_JOB_ID,
        job_kwargs={"id": START_SWEEP_JOB_ID, **sweep_settings},
    )
    # ...then regularly, which also covers taking over from a leader that went away.
    application.job_queue.run_repeating(
        sweep_job,
        interval=SWEEP_EVERY,
        first=SWEEP_EVERY,
        name=SWEEP_JOB_ID,
        job_kwargs={"id": SWEEP_JOB_ID, **sweep_settings},
    )
    log.info("schedules set for %d team(s)", len(teams))


def schedule_team(
    application: Application, team: Team, now: datetime | None = None
) -> dict[ScheduleKind, Slot | None]:
    """(Re)set both of a team's jobs to their next slots; returns those slots."""
    rt: Runtime = application.bot_data[RUNTIME_KEY]
    now = now or clock()
    grace = int(timedelta(minutes=rt.settings.reminder_grace_minutes).total_seconds())
    upcoming = {}
    for kind in ScheduleKind:
        slot = next_slot(kind, recurrence_of(team, kind, rt.settings.default_timezone), now)
        upcoming[kind] = slot
        name = job_id(kind, team.id)
        if application.job_queue is None:
            continue
        if slot is None:
            for job in application.job_queue.get_jobs_by_name(name):
                job.schedule_removal()
            continue
        application.job_queue.run_once(
            slot_job,
            when=slot.at,
            data=SlotJob(team.id, kind, slot.period, slot.at),
            name=name,
            job_kwargs={
                "id": name,
                "replace_existing": True,
                # A bot that was busy or asleep at the slot still runs it, if not too late.
                "misfire_grace_time": max(grace, 1),
            },
        )
    return upcoming


async def slot_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """A team's slot came: run it (on the leader), then set the team's next one."""
    slot: SlotJob = context.job.data
    try:
        if await is_leader(context):
            await run_slot(context.application, slot.team_id, slot.kind, slot.period, clock())
        else:
            log.debug("not the scheduler lease holder: %s left to the leader", slot)
    finally:
        rt: Runtime = context.application.bot_data[RUNTIME_KEY]
        async with rt.sessions() as session:
            team = await session.get(Team, slot.team_id)
        if team is not None:
            schedule_team(context.application, team, max(clock(), slot.at))


async def sweep_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    await schedule_new_teams(context.application)
    if await is_leader(context):
        await sweep(context.application, clock())


async def schedule_new_teams(application: Application) -> None:
    """Teams created since the start (/newteam) get their jobs here, on every instance."""
    rt: Runtime = application.bot_data[RUNTIME_KEY]
    async with rt.sessions() as session:
        teams = await all_teams(session)
    scheduler = application.job_queue.scheduler
    for team in teams:
        if any(scheduler.get_job(job_id(kind, team.id)) is None for kind in ScheduleKind):
            schedule_team(application, team)


async def sweep(application: Application, now: datetime) -> list[RunOutcome]:
    """Run every slot missed within the grace period and not yet complete (see module doc)."""
    rt: Runtime = application.bot_data[RUNTIME_KEY]
    grace = timedelta(minutes=rt.settings.reminder_grace_minutes)
    async with rt.sessions() as session:
        teams = await all_teams(session)
        latest = [
            (team, kind, slot)
            for team in teams
            for kind in ScheduleKind
            if (
                slot := last_slot(
                    kind, recurrence_of(team, kind, rt.settings.default_timezone), now
                )
            )
            is not None
        ]
        complete = await completed_runs(
            session, [(RUN_KINDS[kind], team.id, slot.period) for team, kind, slot in latest]
        )
    outcomes = []
    for team, kind, slot in latest:
        done = {slot.period} if (RUN_KINDS[kind], team.id, slot.period) in complete else set()
        recurrence = recurrence_of(team, kind, rt.settings.default_timezone)
        if catch_up_slot(kind, recurrence, now, grace, team.created_at, done) is None:
            continue
        log.info("catching up %s of team %s for %s", kind, team.id, slot.period)
        outcome = await run_slot(application, team.id, kind, slot.period, now)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


async def run_slot(
    application: Application, team_id: int, kind: ScheduleKind, period: str, now: datetime
) -> RunOutcome | None:
    """Run one period of one team's schedule, unless this process is running it already."""
    running: set = application.bot_data.setdefault(RUNNING_KEY, set())
    key = (team_id, kind, period)
    if key in running:
        return None
    running.add(key)
    try:
        rt: Runtime = application.bot_data[RUNTIME_KEY]
        claimed_before = application.bot_data.get(STARTED_AT_KEY) or utcnow()
        return await RUNNERS[kind](rt, application.bot, team_id, period, now, claimed_before)
    except Exception:
        # The run record stays pending, so the next sweep (within the grace period) resumes it.
        log.exception("%s run for team %s (%s) failed", kind, team_id, period)
        return None
    finally:
        running.discard(key)
