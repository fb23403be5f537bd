"""The scheduled jobs themselves: slots on the leader, schedules changed on another instance, and
local time kept across daylight saving."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import delete, update

from bot.ops.leadership import LEADERSHIP_KEY, Leadership
from bot.scheduled import jobs
from bot.services.deliveries import DeliveryKind, team_period
from storage.models import (
    Team,
)
from tests.support.botrunner import running_bot
from tests.support.schedules import (
    MONDAY,
    WEDNESDAY_NOON,
    Clock,
    deliveries_of,
    fire,
    job_named,
    next_run,
    reminders_to,
    seed_team,
)

# --- the jobs themselves, and schedules changed on another instance ----------------------------


async def test_a_slot_job_runs_its_slot_on_the_leader_and_sets_the_next(fake, db):
    clock = Clock(MONDAY - timedelta(hours=1))
    seeded = await seed_team(db, fake, members=("Alice",))
    alice, name = seeded.people["Alice"], f"reminders:team:{seeded.team_id}"
    async with running_bot(fake, db.url, clock=clock) as app:
        assert next_run(app, name) == MONDAY
        clock.now = MONDAY
        await fire(app, name)
        assert len(reminders_to(alice)) == 1
        assert next_run(app, name) == MONDAY + timedelta(days=3)  # Thursday 10:00

        # Another instance holds the lease now: this one's Thursday job sends nothing...
        await app.bot_data[LEADERSHIP_KEY].release()
        assert await Leadership(db.sessions, holder="another instance").claim()
        clock.now = MONDAY + timedelta(days=3)
        await fire(app, name)
        # ...but still sets the next slot, ready for when it leads again.
        assert next_run(app, name) == MONDAY + timedelta(days=7)
    assert len(reminders_to(alice)) == 1
    assert [run.period for run in await deliveries_of(db, DeliveryKind.REMINDER_RUN)] == [
        team_period(seeded.team_id, "2030-W48-mon")
    ]


async def test_a_job_whose_schedule_changed_elsewhere_does_not_fire(fake, db):
    clock = Clock(MONDAY - timedelta(hours=1))
    seeded = await seed_team(db, fake, members=("Alice",))
    name = f"reminders:team:{seeded.team_id}"
    async with running_bot(fake, db.url, clock=clock) as app:
        assert next_run(app, name) == MONDAY
        # /schedule handled by another instance: reminders move to Monday 11:00.
        async with db.sessions() as session:
            await session.execute(update(Team).values(reminder_time=time(11, 0)))
            await session.commit()
        clock.now = MONDAY
        await fire(app, name)  # this instance's job still says 10:00
        assert not reminders_to(seeded.people["Alice"])
        assert next_run(app, name) == MONDAY + timedelta(hours=1)

        # Switched off elsewhere: the job goes away instead of firing.
        async with db.sessions() as session:
            await session.execute(update(Team).values(reminder_days=""))
            await session.commit()
        clock.now = MONDAY + timedelta(hours=1)
        await fire(app, name)
        assert next_run(app, name) is None
    assert not reminders_to(seeded.people["Alice"])
    assert not await deliveries_of(db, DeliveryKind.REMINDER_RUN)


async def test_the_sweep_sets_each_job_to_the_current_schedule(fake, db):
    clock = Clock(WEDNESDAY_NOON)
    changed = await seed_team(db, fake, members=())
    kept = await seed_team(db, fake, manager="Omar", members=())
    gone = await seed_team(db, fake, manager="Ines", members=())
    async with running_bot(fake, db.url, clock=clock) as app:
        kept_job = job_named(app, f"reminders:team:{kept.team_id}")
        async with db.sessions() as session:  # what other instances did meanwhile
            await session.execute(
                update(Team)
                .where(Team.id == changed.team_id)
                .values(reminder_days="2", digest_days="")
            )
            await session.execute(delete(Team).where(Team.id == gone.team_id))
            await session.commit()

        await fire(app, jobs.SWEEP_JOB_ID)

        assert next_run(app, f"reminders:team:{changed.team_id}") == datetime(
            2030, 12, 3, 10, 0, tzinfo=UTC
        )
        assert next_run(app, f"digest:team:{changed.team_id}") is None
        assert next_run(app, f"reminders:team:{gone.team_id}") is None
        assert next_run(app, f"digest:team:{gone.team_id}") is None
        # A job that is still right is left alone, not set again.
        assert job_named(app, f"reminders:team:{kept.team_id}").job is kept_job.job
        assert jobs.planned_for(kept_job) == datetime(2030, 11, 28, 10, 0, tzinfo=UTC)


# --- daylight saving, through the jobs ---------------------------------------------------------


async def test_jobs_keep_local_time_across_daylight_saving(fake, db):
    # Monday 10:00 in London: 10:00 UTC in winter, 09:00 UTC in summer time.
    clock = Clock(datetime(2030, 3, 28, 12, 0, tzinfo=UTC))  # BST starts Sunday 31 March
    seeded = await seed_team(
        db, fake, members=("Alice",), timezone="Europe/London", reminder_days="1"
    )
    name = f"reminders:team:{seeded.team_id}"
    async with running_bot(fake, db.url, clock=clock) as app:
        first_summer_monday = datetime(2030, 4, 1, 9, 0, tzinfo=UTC)
        assert next_run(app, name) == first_summer_monday
        clock.now = first_summer_monday
        await fire(app, name)
        assert next_run(app, name) == datetime(2030, 4, 8, 9, 0, tzinfo=UTC)
    assert len(reminders_to(seeded.people["Alice"])) == 1

    clock.now = datetime(2030, 10, 24, 12, 0, tzinfo=UTC)  # BST ends Sunday 27 October
    async with running_bot(fake, db.url, clock=clock) as app:
        assert next_run(app, name) == datetime(2030, 10, 28, 10, 0, tzinfo=UTC)
    (run,) = await deliveries_of(db, DeliveryKind.REMINDER_RUN)
    assert run.period == team_period(seeded.team_id, "2030-W14-mon")
