"""The weekly cap counts every follow-up a person gets unasked: reminders, overdue notices and
the weekly nudge together, across their teams; what the cap holds back waits for next week."""

from __future__ import annotations

from datetime import date, timedelta

from bot.scheduled import jobs
from bot.services.deliveries import DeliveryKind
from storage.statuses import ActionStatus
from tests.support.botrunner import running_bot
from tests.support.schedules import (
    MONDAY,
    REMINDER,
    Clock,
    add_actions,
    deliveries_of,
    reminders_to,
    seed_team,
)

THURSDAY = MONDAY + timedelta(days=3)
NEXT_MONDAY = MONDAY + timedelta(days=7)


def follow_ups(alice) -> list[str]:
    """What Alice got, by kind, in order: reminder, overdue notice, nudge."""
    kinds = []
    for message in alice.messages:
        if "self-assessment still has" in message.text:
            kinds.append("reminder")
        elif "is overdue (due" in message.text:
            kinds.append("overdue")
        elif "to move forward this week" in message.text:
            kinds.append("nudge")
    return kinds


async def test_reminders_notices_and_nudges_share_one_weekly_cap(fake, db):
    # The default schedule: reminders Monday and Thursday at 10:00, at most 2 follow-ups a week.
    seeded = await seed_team(db, fake, members=("Alice",))
    alice = seeded.people["Alice"]
    await add_actions(
        db,
        seeded,
        [
            ("Call the supplier", "Alice", ActionStatus.OPEN, date(2030, 11, 20)),
            ("Train temps", "Alice", ActionStatus.OPEN, None),
        ],
    )
    clock = Clock(MONDAY)
    async with running_bot(fake, db.url, clock=clock) as app:
        await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W48-mon", MONDAY)
        await fake.wait_idle()
        # Monday: her reminder and the overdue notice fill the week; the nudge waits.
        assert follow_ups(alice) == ["reminder", "overdue"]
        clock.now = THURSDAY
        outcome = await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W48-thu", THURSDAY)
        await fake.wait_idle()
        assert outcome.skipped == {"weekly_cap": 1}  # Alice's Thursday reminder
        assert follow_ups(alice) == ["reminder", "overdue"]
        # A new week: a reminder and, at last, the nudge; the notice was sent once already.
        clock.now = NEXT_MONDAY
        await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W49-mon", NEXT_MONDAY)
        await fake.wait_idle()
    assert follow_ups(alice) == ["reminder", "overdue", "reminder", "nudge"]
    assert len(reminders_to(alice)) == 2
    nudges = await deliveries_of(db, DeliveryKind.NUDGE)
    assert [d.period.split(":")[1] for d in nudges] == ["2030-W49"]
