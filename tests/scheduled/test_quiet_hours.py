"""Quiet hours hold at send time: a run caught up, started late or reaching them waits for
their end."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from bot.scheduled import broadcast, jobs
from bot.services.deliveries import DeliveryKind
from tests.support.botrunner import running_bot
from tests.support.schedules import (
    REMINDER,
    Clock,
    answer,
    deliveries_of,
    fire,
    next_run,
    reminders_to,
    seed_team,
)

# --- quiet hours hold when sending -------------------------------------------------------------


EVENING = datetime(2030, 11, 25, 19, 30, tzinfo=UTC)  # Monday, half an hour before quiet hours
NEXT_MORNING = datetime(2030, 11, 26, 8, 0, tzinfo=UTC)  # when the quiet hours end


async def evening_team(db, fake, members=("Alice",), at=time(19, 30)):
    """A team reminded on Mondays at `at` (UTC), with the default quiet hours 20:00-08:00."""
    return await seed_team(db, fake, members=members, reminder_days="1", reminder_time=at)


async def test_a_run_caught_up_in_quiet_hours_waits_until_they_end(fake, db):
    seeded = await evening_team(db, fake)
    alice, waiting = seeded.people["Alice"], f"after-quiet-hours:reminders:team:{seeded.team_id}"
    # The bot was down at 19:30 and comes back at 21:30, inside the quiet hours.
    clock = Clock(EVENING + timedelta(hours=2))
    async with running_bot(fake, db.url, clock=clock) as app:
        await fake.wait_until(lambda: next_run(app, waiting))  # the start-up sweep ran
        await fake.wait_idle()
        assert not reminders_to(alice)
        assert next_run(app, waiting) == NEXT_MORNING

        clock.now = NEXT_MORNING  # not missed: it could send for only 30 minutes of the grace
        await fire(app, waiting)
        assert len(reminders_to(alice)) == 1
        assert await jobs.sweep(app, NEXT_MORNING + timedelta(minutes=5)) == []
    assert len(reminders_to(alice)) == 1


async def test_a_job_started_late_into_quiet_hours_waits_until_they_end(fake, db):
    seeded = await evening_team(db, fake)
    alice, name = seeded.people["Alice"], f"reminders:team:{seeded.team_id}"
    waiting = f"after-quiet-hours:{name}"
    clock = Clock(EVENING - timedelta(hours=1))
    async with running_bot(fake, db.url, clock=clock) as app:
        clock.now = EVENING + timedelta(minutes=35)  # the scheduler was 35 minutes late
        await fire(app, name)
        assert not reminders_to(alice) and next_run(app, waiting) == NEXT_MORNING
        assert next_run(app, name) == EVENING + timedelta(days=7)
        assert not await deliveries_of(db, DeliveryKind.REMINDER_RUN), "not started at all"

        clock.now = NEXT_MORNING
        await fire(app, waiting)
        assert len(reminders_to(alice)) == 1


async def test_a_run_reaching_quiet_hours_stops_and_resumes_when_they_end(fake, db):
    # More people than are sent to at once, so some are claimed only after others were sent.
    names = tuple(f"Member {n}" for n in range(broadcast.SENDS_IN_FLIGHT + 4))
    seeded = await evening_team(db, fake, members=names, at=time(19, 59))
    await answer(db, seeded, "Maria")
    slot = datetime(2030, 11, 25, 19, 59, tzinfo=UTC)
    name = f"reminders:team:{seeded.team_id}"
    clock = Clock(slot - timedelta(hours=1))
    async with running_bot(fake, db.url, clock=clock) as app:

        def two_minutes_pass_with_the_first_message() -> datetime:
            return slot + (timedelta(minutes=2) if fake.calls_to("sendMessage") else timedelta(0))

        clock.follow(two_minutes_pass_with_the_first_message)
        await fire(app, name)
        await fake.wait_idle()
        before_quiet = [n for n in names if reminders_to(seeded.people[n])]
        assert 0 < len(before_quiet) < len(names)
        (run,) = await deliveries_of(db, DeliveryKind.REMINDER_RUN)
        assert run.status == "pending"

        clock.now = NEXT_MORNING
        await fire(app, f"after-quiet-hours:{name}")
    assert all(len(reminders_to(seeded.people[n])) == 1 for n in names)
    (run,) = await deliveries_of(db, DeliveryKind.REMINDER_RUN)
    assert run.status == "sent"


async def test_a_send_waiting_out_a_429_into_quiet_hours_is_given_back(fake, db):
    seeded = await evening_team(db, fake, members=("Alice", "Bob"), at=time(19, 59))
    await answer(db, seeded, "Maria")
    alice, bob = seeded.people["Alice"], seeded.people["Bob"]
    # Half a second before quiet hours, Alice's chat refuses for longer than the rate limiter
    # retries: waiting out the 429 would end inside them.
    half_a_second_before = datetime(2030, 11, 25, 19, 59, 59, 500000, tzinfo=UTC)
    # Started an hour before: the start-up sweep has nothing to catch up, the test runs the slot.
    clock = Clock(half_a_second_before - timedelta(hours=1))
    fake.fail_next("sendMessage", error_code=429, retry_after=1, times=4, chat_id=alice)
    async with running_bot(fake, db.url, clock=clock) as app:
        clock.now = half_a_second_before
        outcome = await jobs.run_slot(
            app, seeded.team_id, REMINDER, "2030-W48-mon", half_a_second_before
        )
        assert (outcome.report.sent, outcome.report.deferred) == (1, 1)
        assert outcome.deferred_until == NEXT_MORNING
        assert len(reminders_to(bob)) == 1 and not reminders_to(alice)
        logged = {d.recipient_chat_id for d in await deliveries_of(db, DeliveryKind.REMINDER)}
        assert logged == {bob.user_id}, "Alice's claim was given back, not left pending"

        clock.now = NEXT_MORNING
        await fire(app, f"after-quiet-hours:reminders:team:{seeded.team_id}")
    assert len(reminders_to(alice)) == 1 and len(reminders_to(bob)) == 1
    fake.clear_rejected_calls()
