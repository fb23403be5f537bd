"""The weekly nudge to owners of open improvement actions: once a week across the reminder
slots, a restart and two instances on one database; away and done owners left alone; a tap on
the nudge updates the action. Time is the bot's clock, never waited for."""

from __future__ import annotations

from datetime import date, timedelta

from bot.ops.leadership import is_leader
from bot.scheduled import jobs
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
    monday_slot_from_two_instances,
    seed_team,
)
from tests.support.webhook_runner import running_webhook_bot

THURSDAY = MONDAY + timedelta(days=3)
WEEK = "2030-W48"


async def seed_actions(db, seeded) -> dict[str, int]:
    """Alice owns an overdue and a started action; Bob (away) one; Carol's is done. Alice has
    answered every question, so her week's follow-ups are the overdue notice and the nudge (the
    weekly cap of two counts all kinds)."""
    await answer(db, seeded, "Alice")
    actions = await add_actions(
        db,
        seeded,
        [
            ("Call the supplier", "Alice", ActionStatus.OPEN, date(2030, 11, 20)),
            ("Write the <steps> down", "Alice", ActionStatus.STARTED, date(2030, 12, 20)),
            ("Train temps", "Bob", ActionStatus.OPEN, date(2030, 12, 1)),
            ("Fix the form", "Carol", ActionStatus.DONE, date(2030, 11, 1)),
        ],
    )
    async with db.sessions() as session:
        bob = await session.get(Person, seeded.person_ids["Bob"])
        bob.reminders_paused_until = MONDAY + timedelta(days=7)
        await session.commit()
    return actions


def nudge_sends(fake, person) -> int:
    """How many nudges Telegram accepted for this person's chat (edits later change the text)."""
    return sum(
        1
        for call in fake.calls_to("sendMessage")
        if call.ok
        and str(call.params.get("chat_id")) == str(person.user_id)
        and "to move forward this week" in str(call.params.get("text"))
    )


async def test_owners_are_nudged_once_a_week_and_update_from_the_nudge(fake, db):
    seeded = await seed_team(db, fake, members=("Alice", "Bob", "Carol"))
    alice, bob, carol = (seeded.people[name] for name in ("Alice", "Bob", "Carol"))
    await seed_actions(db, seeded)
    clock = Clock(MONDAY)
    async with running_bot(fake, db.url, clock=clock) as app:
        await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W48-mon", MONDAY)
        nudge = await alice.wait_for_message(contains="2 improvement actions")
        assert "1. Call the supplier · 2030-11-20 ⏰ overdue" in nudge.text
        assert "2. Write the <steps> down · 2030-12-20" in nudge.text
        assert nudge.button_texts == ["▶️ 1", "✅ 1", "✅ 2"]
        # Thursday's reminder slot is the same week: no second nudge.
        clock.now = THURSDAY
        await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W48-thu", THURSDAY)
        await fake.wait_idle()
        # One tap on the nudge: the overdue action is started.
        await alice.press(nudge, "▶️ 1")
        await alice.wait_for_edit(nudge)
        assert "▶️ started" in nudge.text and "Call the supplier" in nudge.text
    async with running_bot(fake, db.url, clock=clock) as app:  # a restart: nothing again
        await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W48-mon", MONDAY)
        await jobs.sweep(app, THURSDAY + timedelta(minutes=5))
        await fake.wait_idle()
    assert nudge_sends(fake, alice) == 1
    assert nudge_sends(fake, bob) == nudge_sends(fake, carol) == 0  # away; nothing open
    sent = await deliveries_of(db, DeliveryKind.NUDGE)
    assert [(d.recipient_chat_id, d.period) for d in sent] == [
        (alice.user_id, team_period(seeded.team_id, WEEK))
    ]
    (started,) = await stored(db, Action, Action.title == "Call the supplier")
    assert started.status == ActionStatus.STARTED


async def test_two_instances_on_one_database_nudge_once(fake, db):
    clock = Clock(MONDAY - timedelta(minutes=1))
    seeded = await seed_team(db, fake, members=("Alice", "Bob", "Carol"))
    alice = seeded.people["Alice"]
    await seed_actions(db, seeded)
    async with (
        running_webhook_bot(fake, db.url, clock=clock) as first_service,
        running_webhook_bot(fake, db.url, clock=clock) as second_service,
    ):
        first, second = first_service.application, second_service.application
        assert await is_leader(type("C", (), {"application": first})()) is True
        clock.now = MONDAY
        await monday_slot_from_two_instances(first, second, seeded.team_id)
        await fake.wait_idle()
    assert nudge_sends(fake, alice) == 1
    runs = await deliveries_of(db, DeliveryKind.NUDGE_RUN)
    assert [(r.period, r.status) for r in runs] == [(team_period(seeded.team_id, WEEK), "sent")]
