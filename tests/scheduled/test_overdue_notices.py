"""The overdue notice: an action's owner hears once that it is overdue, the day after its due date
at the team's reminder hour, in their language, with one-tap buttons; never again after a restart,
in a later week or from a second instance; not in quiet hours nor while away (later instead);
never about a done or dropped action. Time is the bot's clock, never waited for."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update

from bot.scheduled import jobs
from bot.scheduled.overdue_run import notice_period
from bot.services.deliveries import DeliveryKind, team_period
from storage.models import Action, Person
from storage.statuses import ActionStatus
from tests.support.botrunner import running_bot
from tests.support.groups import stored
from tests.support.schedules import (
    MONDAY,
    REMINDER,
    Clock,
    add_actions,
    answer,
    deliveries_of,
    fire,
    monday_slot_from_two_instances,
    next_run,
    seed_team,
)
from tests.support.webhook_runner import running_webhook_bot

EVERY_DAY = "1,2,3,4,5,6,7"
DUE_TUESDAY = date(2030, 11, 26)
TUESDAY_AFTERNOON = datetime(2030, 11, 26, 15, 0, tzinfo=UTC)
# 10:00 in Madrid (UTC+1 in winter): the team's reminder hour on the day after the due date.
WEDNESDAY_SLOT = datetime(2030, 11, 27, 9, 0, tzinfo=UTC)


async def set_person(db, seeded, name: str, **values) -> None:
    async with db.sessions() as session:
        await session.execute(
            update(Person).where(Person.id == seeded.person_ids[name]).values(**values)
        )
        await session.commit()


def notices_to(fake, person, words: str = "overdue (due") -> list[str]:
    """The texts of the overdue notices Telegram accepted for this person's chat."""
    return [
        str(call.params.get("text"))
        for call in fake.calls_to("sendMessage")
        if call.ok
        and str(call.params.get("chat_id")) == str(person.user_id)
        and words in str(call.params.get("text"))
    ]


async def test_the_notice_goes_once_the_day_after_the_due_date_at_the_teams_hour(fake, db):
    seeded = await seed_team(
        db,
        fake,
        members=("Alice",),
        timezone="Europe/Madrid",
        reminder_days=EVERY_DAY,
        weekly_reminder_cap=9,
    )
    alice = seeded.people["Alice"]
    await answer(db, seeded, "Alice")  # no reminders: only what her actions bring
    await set_person(db, seeded, "Alice", chosen_language="es")
    ids = await add_actions(
        db,
        seeded,
        [
            ("Call the <supplier>", "Alice", ActionStatus.OPEN, DUE_TUESDAY),
            ("Fix the form", "Alice", ActionStatus.DONE, date(2030, 11, 20)),
            ("Old idea", "Alice", ActionStatus.DROPPED, date(2030, 11, 20)),
            ("Train temps", "Alice", ActionStatus.STARTED, date(2030, 12, 20)),
        ],
    )
    reminders = f"reminders:team:{seeded.team_id}"
    clock = Clock(TUESDAY_AFTERNOON)  # the due day itself: not overdue yet
    async with running_bot(fake, db.url, clock=clock) as app:
        await jobs.start_sweep_done(app)
        await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W48-tue", TUESDAY_AFTERNOON)
        await fake.wait_idle()
        assert notices_to(fake, alice, "(vencía el") == []
        assert next_run(app, reminders) == WEDNESDAY_SLOT
        clock.now = WEDNESDAY_SLOT
        await fire(app, reminders)
        notice = await alice.wait_for_message(contains="(vencía el")
        assert "Front desk <North>" in notice.text and "2030-11-26" in notice.text
        assert "Call the <supplier>" in notice.text
        assert "Fix the form" not in notice.text and "Old idea" not in notice.text
        assert len(notice.button_texts) == 4  # started, done, blocked, a progress note
        # Thursday's slot, the same week: not again.
        clock.now = WEDNESDAY_SLOT + timedelta(days=1)
        await fire(app, reminders)
        await fake.wait_idle()
        await alice.press(notice, notice.button_texts[0])  # ▶️ started, in one tap
        await alice.wait_for_edit(notice)
    async with running_bot(fake, db.url, clock=clock) as app:  # a restart
        await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W48-wed", WEDNESDAY_SLOT)
        await jobs.sweep(app, WEDNESDAY_SLOT + timedelta(days=1, minutes=5))
        next_monday = MONDAY + timedelta(days=7, hours=-1)  # a new week: still told once
        await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W49-mon", next_monday)
        await fake.wait_idle()
    assert len(notices_to(fake, alice, "(vencía el")) == 1
    sent = await deliveries_of(db, DeliveryKind.OVERDUE)
    period = notice_period("2030-W48", ids["Call the <supplier>"])
    assert [(d.recipient_chat_id, d.period, d.status) for d in sent] == [
        (alice.user_id, team_period(seeded.team_id, period), "sent")
    ]
    (started,) = await stored(db, Action, Action.id == ids["Call the <supplier>"])
    assert started.status == ActionStatus.STARTED


async def test_no_notice_in_quiet_hours_or_while_away_but_after(fake, db):
    # UTC, quiet hours 20:00-08:00 (the defaults), reminders every day at 10:00.
    seeded = await seed_team(
        db, fake, members=("Alice", "Bob"), reminder_days=EVERY_DAY, weekly_reminder_cap=9
    )
    alice, bob = seeded.people["Alice"], seeded.people["Bob"]
    for name in ("Alice", "Bob"):
        await answer(db, seeded, name)
    await add_actions(
        db,
        seeded,
        [
            ("Call the supplier", "Alice", ActionStatus.OPEN, date(2030, 11, 20)),
            ("Train temps", "Bob", ActionStatus.BLOCKED, date(2030, 11, 20)),
        ],
    )
    thursday = datetime(2030, 11, 28, 10, 0, tzinfo=UTC)
    await set_person(db, seeded, "Bob", reminders_paused_until=thursday - timedelta(hours=1))
    late_tuesday = datetime(2030, 11, 26, 22, 0, tzinfo=UTC)
    clock = Clock(late_tuesday)
    async with running_bot(fake, db.url, clock=clock) as app:
        outcome = await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W48-tue", late_tuesday)
        assert outcome.deferred_until == datetime(2030, 11, 27, 8, 0, tzinfo=UTC)
        await fake.wait_idle()
        assert notices_to(fake, alice) == notices_to(fake, bob) == []
        clock.now = outcome.deferred_until  # quiet hours are over; Bob is still away
        await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W48-tue", clock.now)
        await fake.wait_idle()
        assert len(notices_to(fake, alice)) == 1 and notices_to(fake, bob) == []
        clock.now = thursday  # Bob is back
        await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W48-thu", thursday)
        await fake.wait_idle()
    assert len(notices_to(fake, alice)) == 1
    (to_bob,) = notices_to(fake, bob)
    assert "Train temps" in to_bob


async def test_two_instances_on_one_database_send_the_notice_once(fake, db):
    seeded = await seed_team(db, fake, members=("Alice",), weekly_reminder_cap=9)
    alice = seeded.people["Alice"]
    await answer(db, seeded, "Alice")
    await add_actions(
        db, seeded, [("Call the supplier", "Alice", ActionStatus.OPEN, date(2030, 11, 20))]
    )
    clock = Clock(MONDAY - timedelta(minutes=1))
    async with (
        running_webhook_bot(fake, db.url, clock=clock) as first_service,
        running_webhook_bot(fake, db.url, clock=clock) as second_service,
    ):
        first, second = first_service.application, second_service.application
        clock.now = MONDAY
        await monday_slot_from_two_instances(first, second, seeded.team_id)
        await fake.wait_idle()
    assert len(notices_to(fake, alice)) == 1
    runs = await deliveries_of(db, DeliveryKind.OVERDUE_RUN)
    assert [(r.period, r.status) for r in runs] == [
        (team_period(seeded.team_id, "2030-W48-mon"), "sent")
    ]


async def test_a_429_on_the_notice_is_waited_out_and_it_goes_once(fake, db):
    seeded = await seed_team(db, fake, members=("Alice",), weekly_reminder_cap=9)
    alice = seeded.people["Alice"]
    await answer(db, seeded, "Alice")
    await answer(db, seeded, "Maria")
    await add_actions(
        db, seeded, [("Call the supplier", "Alice", ActionStatus.OPEN, date(2030, 11, 20))]
    )
    # Longer than the rate limiter's own retries: the run waits it out itself.
    fake.fail_next("sendMessage", error_code=429, retry_after=1, times=4, chat_id=alice)
    async with running_bot(fake, db.url, clock=Clock(MONDAY)) as app:
        await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W48-mon", MONDAY)
        await fake.wait_idle()
    refused = fake.clear_rejected_calls()
    assert sum(1 for call in refused if call.error_code == 429) == 4
    assert len(notices_to(fake, alice)) == 1
    (sent,) = await deliveries_of(db, DeliveryKind.OVERDUE)
    assert sent.status == "sent"
