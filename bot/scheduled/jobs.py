"""Schedules as jobs: rebuilt from the Team rows at start and whenever /schedule changes them.

Each team has two one-shot jobs, "reminders:team:<id>" and "digest:team:<id>", set for the
team's next slot as bot/domain/schedule.py computes it (time zone, daylight saving, quiet
hours); when one fires it runs its period and sets the next. One-shot jobs keep the domain the
single place that knows when things run: a cron trigger could not express the quiet-hours shift,
and PTB's run_daily (0 = Sunday) and APScheduler's cron (0 = Monday) number weekdays differently.
Nothing is pickled: the jobs are rebuilt from the database at every start.

Several instances may share the database, and /schedule re-plans jobs only on the instance that
handled it. So a job re-reads its team when it fires and runs only if its slot is still on the
team's current schedule (and only on the leader); and a sweep, at start and every SWEEP_EVERY on
every instance, replaces each job that no longer matches its team's next slot, sets jobs for
new teams and drops those of deleted ones. The leader also does that at every lease renewal
(seconds), and a new leader sweeps as soon as it takes the lease: a slot whose leader died just
before it goes out within the lease time plus a renewal.

On the leader the sweep also runs every slot that passed less than the grace period ago
(REMINDER_GRACE_MINUTES, counting only time outside quiet hours) without a complete run in the
delivery log. That catches up a run missed while the bot was down, finishes one cut short by a
crash, and covers a takeover by another instance; the log's run records make sure each happens
once. Nothing is sent in quiet hours: a catch-up that falls in them, a job that fires late into
them, or a run that reaches them is deferred to their end by an "after-quiet-hours:..." job.

Only the instance holding the scheduler lease (bot/ops/leadership.py) sends anything.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram import Bot
from telegram.ext import Application, ContextTypes

from bot.core.runtime import RUNTIME_KEY, Runtime
from bot.domain.schedule import (
    ScheduleKind,
    Slot,
    catch_up_slot,
    is_scheduled,
    job_is_current,
    last_slot,
    next_slot,
)
from bot.ops.leadership import LEADERSHIP_KEY, is_leader
from bot.scheduled.broadcast import RunOutcome, RunRequest
from bot.scheduled.digest_run import run_digest
from bot.scheduled.nudge_run import run_reminders_and_nudges
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
START_SWEEP_DONE_KEY = "schedule_start_sweep_done"

Runner = Callable[[Runtime, Bot, RunRequest], Awaitable[RunOutcome]]
RUNNERS: dict[ScheduleKind, Runner] = {
    # The weekly nudges to action owners ride on the reminder slots (bot/scheduled/nudge_run.py).
    ScheduleKind.REMINDER: run_reminders_and_nudges,
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
    slot: Slot


@dataclass(frozen=True)
class DeferredRun:
    """What an after-quiet-hours job carries: whose run waits for the end of quiet hours."""

    team_id: int
    kind: ScheduleKind
    at: datetime  # the end of the quiet hours it waits for


def planned_for(job) -> datetime | None:
    """The moment, by the bot's clock, a slot or after-quiet-hours job was set for."""
    if isinstance(job.data, SlotJob):
        return job.data.slot.at
    if isinstance(job.data, DeferredRun):
        return job.data.at
    return None


def clock_of(application: Application) -> datetime:
    """Now, by the Application's clock (bot/core/clock.py). The delivery log's own timestamps stay
    on the system clock, so "claimed before this process started" keeps its meaning."""
    return application.bot_data[RUNTIME_KEY].clock()


def _delay_until(application: Application, at: datetime) -> timedelta:
    """How long until `at` by the bot's clock. Jobs wait that long rather than for an absolute
    instant of the system clock, so the scheduler follows the bot's clock (bot/core/clock.py): the
    same in production, and a test standing at another moment still schedules as it would then.
    """
    return max(at - clock_of(application), timedelta(0))


def job_id(kind: ScheduleKind, team_id: int) -> str:
    return f"{'reminders' if kind == ScheduleKind.REMINDER else 'digest'}:team:{team_id}"


def deferred_job_id(kind: ScheduleKind, team_id: int) -> str:
    return f"after-quiet-hours:{job_id(kind, team_id)}"


async def start_schedules(application: Application) -> None:
    """From post_init: a job per team and kind, and the sweep (which runs first, at once)."""
    application.bot_data[STARTED_AT_KEY] = utcnow()
    application.bot_data[RUNNING_KEY] = set()
    start_sweep_done = application.bot_data[START_SWEEP_DONE_KEY] = asyncio.Event()
    if application.job_queue is None:
        log.warning("no job queue (install python-telegram-bot[job-queue]): nothing is scheduled")
        start_sweep_done.set()
        return
    rt: Runtime = application.bot_data[RUNTIME_KEY]
    async with rt.sessions() as session:
        teams = await all_teams(session)
    now = clock_of(application)
    for team in teams:
        schedule_team(application, team, now)
    sweep_settings = {
        "replace_existing": True,
        "misfire_grace_time": int(SWEEP_EVERY.total_seconds()),
        "coalesce": True,
    }
    # At once (an interval trigger's first run would come only after a whole interval)...
    application.job_queue.run_once(
        start_sweep_job,
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
    leadership = application.bot_data.get(LEADERSHIP_KEY)
    if leadership is not None:
        leadership.on_renewed.append(on_lease_renewed)
    log.info("schedules set for %d team(s)", len(teams))


async def on_lease_renewed(application: Application, gained: bool) -> None:
    """On the leader, every renewal: follow schedules changed on other instances; a new leader
    also runs at once what its predecessor left (a slot it died just before), not at its next
    sweep."""
    try:
        await refresh_jobs(application)
        if gained:
            await sweep(application, clock_of(application))
    except Exception:
        log.exception("catching up after the lease renewal failed; the sweep tries again")


def _misfire_grace(application: Application) -> int:
    """A job that fires late (the bot was busy or asleep) still runs, if not too late."""
    rt: Runtime = application.bot_data[RUNTIME_KEY]
    return max(int(timedelta(minutes=rt.settings.reminder_grace_minutes).total_seconds()), 1)


def schedule_team(
    application: Application, team: Team, now: datetime | None = None
) -> dict[ScheduleKind, Slot | None]:
    """(Re)set both of a team's jobs to their next slots; returns those slots."""
    rt: Runtime = application.bot_data[RUNTIME_KEY]
    now = now or clock_of(application)
    upcoming = {}
    for kind in ScheduleKind:
        slot = next_slot(kind, recurrence_of(team, kind, rt.settings.default_timezone), now)
        upcoming[kind] = slot
        name = job_id(kind, team.id)
        if application.job_queue is None:
            continue
        if slot is None:
            _remove_jobs(application, name)
            continue
        application.job_queue.run_once(
            slot_job,
            when=_delay_until(application, slot.at),
            data=SlotJob(team.id, slot),
            name=name,
            job_kwargs={
                "id": name,
                "replace_existing": True,
                "misfire_grace_time": _misfire_grace(application),
            },
        )
    return upcoming


def _remove_jobs(application: Application, name: str) -> None:
    for job in application.job_queue.get_jobs_by_name(name):
        job.schedule_removal()


async def slot_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """A team's slot came: run it if it is still on the team's schedule (on the leader only),
    then set the team's next one."""
    planned: SlotJob = context.job.data
    application = context.application
    rt: Runtime = application.bot_data[RUNTIME_KEY]
    async with rt.sessions() as session:
        team = await session.get(Team, planned.team_id)
    if team is None:
        for kind in ScheduleKind:
            _remove_jobs(application, job_id(kind, planned.team_id))
        return
    slot = planned.slot
    try:
        recurrence = recurrence_of(team, slot.kind, rt.settings.default_timezone)
        if not is_scheduled(slot.kind, recurrence, slot):
            # Changed (or switched off) on another instance since this job was set.
            log.info("team %s's %s schedule changed: %s not run", team.id, slot.kind, slot.period)
        elif await is_leader(context):
            await run_slot(application, team.id, slot.kind, slot.period, clock_of(application))
        else:
            log.debug("not the scheduler lease holder: %s left to the leader", planned)
    finally:
        schedule_team(application, team, max(clock_of(application), slot.at))


async def start_sweep_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        await sweep_job(context)
    finally:
        context.application.bot_data[START_SWEEP_DONE_KEY].set()


async def start_sweep_done(application: Application) -> None:
    """Wait until the start-up sweep has run (caught up what was missed, deferred what waits):
    before that, what the schedules will do next is not settled yet."""
    await application.bot_data[START_SWEEP_DONE_KEY].wait()


async def sweep_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    await refresh_jobs(context.application)
    if await is_leader(context):
        await sweep(context.application, clock_of(context.application))


async def refresh_jobs(application: Application, now: datetime | None = None) -> None:
    """Make every team's jobs match its schedule as stored now, on every instance.

    Sets jobs for teams created since the start, replaces those whose slot is no longer the
    team's next (changed through another instance), and drops those of deleted teams.
    """
    rt: Runtime = application.bot_data[RUNTIME_KEY]
    now = now or clock_of(application)
    async with rt.sessions() as session:
        teams = await all_teams(session)
    for team in teams:
        if not all(_has_current_job(application, team, kind, now) for kind in ScheduleKind):
            log.info("team %s's jobs set again from its current schedule", team.id)
            schedule_team(application, team, now)
    existing = {team.id for team in teams}
    for job in application.job_queue.jobs():
        if isinstance(job.data, SlotJob) and job.data.team_id not in existing:
            job.schedule_removal()


def _has_current_job(
    application: Application, team: Team, kind: ScheduleKind, now: datetime
) -> bool:
    rt: Runtime = application.bot_data[RUNTIME_KEY]
    recurrence = recurrence_of(team, kind, rt.settings.default_timezone)
    jobs = application.job_queue.get_jobs_by_name(job_id(kind, team.id))
    if not jobs:
        return next_slot(kind, recurrence, now) is None  # switched off: rightly without one
    return any(
        isinstance(job.data, SlotJob) and job_is_current(kind, recurrence, job.data.slot, now)
        for job in jobs
    )


async def sweep(
    application: Application, now: datetime, team_ids: set[int] | None = None
) -> list[RunOutcome]:
    """Run every slot missed within the grace period and not yet complete (see module doc).

    Of all teams, or only of `team_ids`. A catch-up due in quiet hours is deferred to their end.
    """
    rt: Runtime = application.bot_data[RUNTIME_KEY]
    grace = timedelta(minutes=rt.settings.reminder_grace_minutes)
    async with rt.sessions() as session:
        teams = [
            team for team in await all_teams(session) if team_ids is None or team.id in team_ids
        ]
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
        catch_up = catch_up_slot(kind, recurrence, now, grace, team.created_at, done)
        if catch_up is None:
            continue
        if catch_up.run_at > now:
            defer_run(application, team.id, kind, catch_up.run_at)
            continue
        log.info("catching up %s of team %s for %s", kind, team.id, slot.period)
        outcome = await run_slot(application, team.id, kind, slot.period, now)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def defer_run(application: Application, team_id: int, kind: ScheduleKind, until: datetime) -> None:
    """Have a team's run (missed, started late, or stopped by quiet hours) go on at `until`."""
    if application.job_queue is None:
        return
    name = deferred_job_id(kind, team_id)
    log.info("team %s's %s waits for the end of quiet hours (%s)", team_id, kind, until)
    application.job_queue.run_once(
        deferred_run_job,
        when=_delay_until(application, until),
        data=DeferredRun(team_id, kind, until),
        name=name,
        job_kwargs={
            "id": name,
            "replace_existing": True,
            "misfire_grace_time": _misfire_grace(application),
        },
    )


async def deferred_run_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Quiet hours ended: the leader's sweep of that team runs what waited, if still due."""
    deferred: DeferredRun = context.job.data
    if await is_leader(context):
        await sweep(context.application, clock_of(context.application), {deferred.team_id})


async def run_slot(
    application: Application, team_id: int, kind: ScheduleKind, period: str, now: datetime
) -> RunOutcome | None:
    """Run one period of one team's schedule, unless this process is running it already.

    What quiet hours hold back (all of it, or the rest of a run that reached them) is deferred
    to their end.
    """
    running: set = application.bot_data.setdefault(RUNNING_KEY, set())
    key = (team_id, kind, period)
    if key in running:
        return None
    running.add(key)
    try:
        rt: Runtime = application.bot_data[RUNTIME_KEY]
        claimed_before = application.bot_data.get(STARTED_AT_KEY) or utcnow()
        request = RunRequest(team_id, period, now, claimed_before, rt.clock)
        outcome = await RUNNERS[kind](rt, application.bot, request)
    except Exception:
        # The run record stays pending, so the next sweep (within the grace period) resumes it.
        log.exception("%s run for team %s (%s) failed", kind, team_id, period)
        return None
    finally:
        running.discard(key)
    if outcome.deferred_until is not None:
        defer_run(application, team_id, kind, outcome.deferred_until)
    return outcome
