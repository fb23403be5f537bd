"""/schedule and /away: settings shown and changed, jobs following them, pauses and returns."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from bot.scheduled import jobs
from bot.scheduled.reminder_run import PAUSE_FOR_A_WEEK_LABEL
from storage.models import (
    Person,
    Team,
)
from tests.support.botrunner import running_bot
from tests.support.schedules import (
    REMINDER,
    WEDNESDAY_NOON,
    Clock,
    job_named,
    reminders_to,
    seed_team,
)

# --- /away --------------------------------------------------------------------------------------


async def test_away_until_a_date_and_back(fake, db):
    seeded = await seed_team(db, fake, members=("Alice",))
    alice = seeded.people["Alice"]
    clock = Clock(WEDNESDAY_NOON)  # outside quiet hours: the run sends what it may
    async with running_bot(fake, db.url, clock=clock) as app:
        await alice.command("/away", "2026-02-30")
        await alice.wait_for_message(contains="not a date on the calendar")
        await alice.command("/away", "2020-01-01")
        await alice.wait_for_message(contains="not in the future")
        until = (clock() + timedelta(days=10)).date()
        await alice.command("/away", until.isoformat())
        await alice.wait_for_message(contains=f"No reminders until {until:%a %d %b}")

        outcome = await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W48-mon", clock())
        assert outcome.skipped == {"away": 1} and not reminders_to(alice)
        later = clock() + timedelta(days=11)
        await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W48-thu", later)
        assert len(reminders_to(alice)) == 1

        await alice.command("/away", (clock() + timedelta(days=400)).date().isoformat())
        await alice.wait_for_message(contains="up to a year")
        await alice.command("/away", "off")
        await alice.wait_for_message(contains="Reminders are back on")
    async with db.sessions() as session:
        assert (
            await session.get(Person, seeded.person_ids["Alice"])
        ).reminders_paused_until is None


async def test_reminder_button_pauses_for_a_week(fake, db):
    seeded = await seed_team(db, fake, members=("Alice",))
    alice = seeded.people["Alice"]
    clock = Clock(WEDNESDAY_NOON)  # outside quiet hours: the reminder goes out
    async with running_bot(fake, db.url, clock=clock) as app:
        await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W48-mon", clock())
        reminder = await alice.wait_for_message(contains="self-assessment still has")
        await alice.press(reminder, PAUSE_FOR_A_WEEK_LABEL)
        await alice.wait_for_message(contains="No reminders until")
    async with db.sessions() as session:
        paused = (await session.get(Person, seeded.person_ids["Alice"])).reminders_paused_until
        assert timedelta(days=6) < paused - clock() <= timedelta(days=7)


# --- /schedule ---------------------------------------------------------------------------------


async def test_schedule_shows_and_changes_settings_and_jobs(fake, db):
    clock = Clock(WEDNESDAY_NOON)
    seeded = await seed_team(db, fake, members=("Alice",), timezone="Europe/Madrid")
    maria, alice = seeded.people["Maria"], seeded.people["Alice"]
    async with running_bot(fake, db.url, clock=clock) as app:
        await maria.command("/schedule")
        overview = await maria.wait_for_message(contains="Schedules for")
        assert "Reminders: mon,thu at 10:00" in overview.text
        assert "next: Thu 28 Nov, 10:00" in overview.text
        assert "Digest: fri at 16:00" in overview.text and "next: Fri 29 Nov, 16:00" in (
            overview.text
        )

        await maria.command("/schedule", "reminders tue,fri 21:30")
        changed = await maria.wait_for_message(contains="Reminders: tue,fri at 21:30")
        # 21:30 is in the default quiet hours (20:00-08:00): Friday's run waits until Saturday.
        assert "next: Sat 30 Nov, 08:00" in changed.text
        job = job_named(app, f"reminders:team:{seeded.team_id}")
        assert jobs.planned_for(job) == datetime(2030, 11, 30, 7, 0, tzinfo=UTC)
        assert job.job.misfire_grace_time == 180 * 60

        await maria.command("/schedule", "quiet off")
        changed = await maria.wait_for_message(contains="Quiet hours: off")
        assert "next: Fri 29 Nov, 21:30" in changed.text
        await maria.command("/schedule", "timezone America/New_York")
        await maria.wait_for_message(contains="Time zone: America/New_York")
        await maria.command("/schedule", "digest-to-group on")
        await maria.wait_for_message(contains="(no group linked yet)")
        await maria.command("/schedule", "digest off")
        await maria.wait_for_message(contains="Digest: off")
        assert app.job_queue.scheduler.get_job(f"digest:team:{seeded.team_id}") is None

        for bad, reply in (
            ("reminders funday 10:00", "is not a day"),
            ("reminders mon 25:00", "is not a time"),
            ("timezone Mars/Base", "not a time zone I know"),
            ("cap 0", "from 1 to 14"),
            ("bedtime 22:00", "I don't know"),
        ):
            await maria.command("/schedule", bad)
            await maria.wait_for_message(contains=reply)

        await alice.command("/schedule")
        await alice.wait_for_message(contains="Only a team's managers")
    async with db.sessions() as session:
        team = await session.get(Team, seeded.team_id)
    assert (team.reminder_days, team.reminder_time) == ("2,5", time(21, 30))
    assert team.quiet_start is None and team.timezone == "America/New_York"
    assert team.digest_to_group and team.digest_days == ""
