"""Exactly once: runs caught up, resumed after a crash or a database outage, retaken
claims, operator runs, and 429 storms never send anything twice nor lose a send."""

from __future__ import annotations

from datetime import timedelta

from bot.core.runtime import RUNTIME_KEY
from bot.ops import cli
from bot.scheduled import jobs
from bot.services.deliveries import RUN_RECIPIENT, DeliveryKind, team_period
from storage.models import (
    Delivery,
)
from storage.types import utcnow
from tests.support.botrunner import running_bot, settings_for
from tests.support.databases import failing_statements
from tests.support.schedules import (
    FRIDAY_DIGEST,
    MONDAY,
    REMINDER,
    Clock,
    answer,
    deliveries_of,
    digests_to,
    reminders_to,
    seed_team,
)

# --- exactly once, across restarts -------------------------------------------------------------


async def test_a_restart_catches_up_a_missed_digest_once(fake, db):
    seeded = await seed_team(db, fake, members=("Alice",))
    maria = seeded.people["Maria"]
    # The bot was down at Friday 16:00 and comes back at 16:40, within the grace period.
    clock = Clock(FRIDAY_DIGEST + timedelta(minutes=40))
    async with running_bot(fake, db.url, clock=clock):
        await maria.wait_for_message(contains="Weekly digest")
        await fake.wait_idle()
    async with running_bot(fake, db.url, clock=clock) as app:  # and restarts again
        await fake.wait_idle()
        assert await jobs.sweep(app, FRIDAY_DIGEST + timedelta(minutes=50)) == []
    assert len(digests_to(maria)) == 1
    assert not reminders_to(seeded.people["Alice"])  # Thursday's reminder was too long ago


async def test_a_run_missed_beyond_the_grace_period_is_not_caught_up(fake, db):
    seeded = await seed_team(db, fake, members=("Alice",))
    clock = Clock(FRIDAY_DIGEST + timedelta(hours=4))
    async with running_bot(fake, db.url, clock=clock) as app:
        assert await jobs.sweep(app, clock()) == []
    assert not digests_to(seeded.people["Maria"])


async def test_a_run_killed_midway_sends_the_rest_after_restart(fake, db):
    names = ("Alice", "Bob", "Carol", "Dave", "Erin")
    seeded = await seed_team(db, fake, members=names)
    await answer(db, seeded, "Maria")
    period, slot = "2030-W48-mon", MONDAY
    crashed_at = utcnow() - timedelta(minutes=1)
    async with db.sessions() as session:  # what the killed process left in the log
        session.add(
            Delivery(
                kind=DeliveryKind.REMINDER_RUN,
                recipient_chat_id=RUN_RECIPIENT,
                period=team_period(seeded.team_id, period),
                team_id=seeded.team_id,
                created_at=crashed_at,
            )
        )
        for name, status in (("Alice", "sent"), ("Bob", "sent"), ("Carol", "pending")):
            session.add(
                Delivery(
                    kind=DeliveryKind.REMINDER,
                    period=team_period(seeded.team_id, period),
                    recipient_chat_id=seeded.people[name].user_id,
                    team_id=seeded.team_id,
                    status=status,
                    created_at=crashed_at,
                )
            )
        await session.commit()
    clock = Clock(slot + timedelta(minutes=10))
    async with running_bot(fake, db.url, clock=clock):
        for name in ("Carol", "Dave", "Erin"):
            await seeded.people[name].wait_for_message(contains="self-assessment still has")
        await fake.wait_idle()
    async with running_bot(fake, db.url, clock=clock):
        await fake.wait_idle()
    counts = {name: len(reminders_to(seeded.people[name])) for name in names}
    # Alice and Bob had theirs before the crash; Carol's was in flight and is resent once.
    assert counts == {"Alice": 0, "Bob": 0, "Carol": 1, "Dave": 1, "Erin": 1}
    statuses = {d.recipient_chat_id: d.status for d in await deliveries_of(db, "reminder")}
    assert statuses[seeded.people["Carol"].user_id] == "sent"
    (run,) = await deliveries_of(db, DeliveryKind.REMINDER_RUN)
    assert run.status == "sent"


async def test_a_run_cut_short_by_the_database_is_resumed_by_the_sweep(fake, db):
    seeded = await seed_team(db, fake, members=("Alice", "Bob"))
    await answer(db, seeded, "Maria")
    alice, bob = seeded.people["Alice"], seeded.people["Bob"]

    def claim_for_alice(sql: str, parameters) -> bool:
        return sql.lstrip().upper().startswith("INSERT INTO DELIVERY") and (
            alice.user_id in tuple(parameters or ())
        )

    async with running_bot(fake, db.url) as app:
        with failing_statements(app.bot_data[RUNTIME_KEY].engine, claim_for_alice):
            outcome = await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W48-mon", MONDAY)
        assert (outcome.report.sent, outcome.report.interrupted) == (1, 1)
        (run,) = await deliveries_of(db, DeliveryKind.REMINDER_RUN)
        assert run.status == "pending"  # not complete: the sweep will pick it up

        (resumed,) = await jobs.sweep(app, MONDAY + timedelta(minutes=5))
        assert resumed.start == "resumed" and resumed.report.sent == 1
        assert await jobs.sweep(app, MONDAY + timedelta(minutes=10)) == []
    assert len(reminders_to(alice)) == 1 and len(reminders_to(bob)) == 1


async def test_teams_created_after_the_start_get_their_jobs(fake, db):
    async with running_bot(fake, db.url) as app:
        seeded = await seed_team(db, fake, members=())
        scheduler = app.job_queue.scheduler
        assert scheduler.get_job(f"digest:team:{seeded.team_id}") is None
        await jobs.refresh_jobs(app)
        assert scheduler.get_job(f"digest:team:{seeded.team_id}") is not None
        assert scheduler.get_job(f"reminders:team:{seeded.team_id}") is not None


async def test_a_resent_claim_is_never_taken_a_third_time(fake, db):
    seeded = await seed_team(db, fake, members=("Alice",))
    await answer(db, seeded, "Maria")
    async with db.sessions() as session:
        session.add(
            Delivery(
                kind=DeliveryKind.REMINDER,
                period=team_period(seeded.team_id, "2030-W48-mon"),
                recipient_chat_id=seeded.people["Alice"].user_id,
                team_id=seeded.team_id,
                status="resending",
                created_at=utcnow() - timedelta(hours=1),
            )
        )
        await session.commit()
    async with running_bot(fake, db.url) as app:
        outcome = await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W48-mon", MONDAY)
    assert outcome.report.already_logged == 1 and not reminders_to(seeded.people["Alice"])


async def test_operator_run_job_never_double_sends(fake, db, capsys):
    seeded = await seed_team(db, fake, members=("Alice",), timezone="Europe/Madrid")
    settings = settings_for(fake, db.url)
    now = MONDAY + timedelta(hours=2)
    assert await cli.run_job_now(settings, REMINDER, seeded.team_id, now) == 0
    assert await cli.run_job_now(settings, REMINDER, seeded.team_id, now) == 0
    first, second = capsys.readouterr().out.strip().splitlines()
    assert "2030-W48-mon (started): 2 sent" in first
    assert "already done, nothing sent" in second
    assert len(reminders_to(seeded.people["Alice"])) == 1

    assert await cli.list_jobs(settings) == 0
    listing = capsys.readouterr().out
    assert "Europe/Madrid" in listing and "Front desk <North>" in listing


# --- flood limits ------------------------------------------------------------------------------


async def test_a_429_storm_slows_a_run_down_but_loses_nothing(fake, db):
    names = tuple(f"Member {n}" for n in range(35))
    seeded = await seed_team(db, fake, members=names)
    members = [seeded.people[name] for name in names]
    await answer(db, seeded, "Maria")
    fake.flood_limit(per_second_total=30, per_chat_per_second=1)
    # On top of the flood limit, one chat refuses longer than the rate limiter's 3 retries.
    fake.fail_next("sendMessage", error_code=429, retry_after=1, times=4, chat_id=members[7])
    async with running_bot(fake, db.url) as app:
        outcome = await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W48-mon", MONDAY)
    refused = fake.clear_rejected_calls()
    assert sum(1 for call in refused if call.error_code == 429) >= 4
    assert outcome.report.sent == len(members) and outcome.report.failed == 0
    assert outcome.report.retried_after_429 >= 1  # one outlived the limiter and was waited out
    assert all(len(reminders_to(member)) == 1 for member in members)
