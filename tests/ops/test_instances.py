"""Two bot instances on one database: every scheduled message goes out once, and the second
instance takes over the schedules when the leader stops.

Both instances run through bot.ops.serve in webhook mode, as they would behind a load balancer (the
fake Bot API posts each update to the instance that set the webhook last). Time is the
clock both are built with (bot/core/clock.py, as if NTP-synchronised); jobs are fired by running
their callbacks as PTB does. The operator commands run as `python -m bot ...` processes.
"""

from __future__ import annotations

import asyncio
import os
import sys
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from telegram.ext import MessageHandler, filters

from bot.app import Groups
from bot.ops.leadership import RENEW_JOB_ID, is_leader
from bot.scheduled import jobs
from bot.services.deliveries import DeliveryKind, team_period
from tests.support.schedules import (
    FRIDAY_DIGEST,
    MONDAY,
    REMINDER,
    Clock,
    deliveries_of,
    digests_to,
    fire,
    next_run,
    reminders_to,
    seed_team,
)
from tests.support.webhook_runner import WEBHOOK_SECRET, running_webhook_bot

ROOT = Path(__file__).resolve().parents[2]
THURSDAY = MONDAY + timedelta(days=3)


def reminder_sends(fake, person) -> int:
    """How many reminders Telegram accepted for this person's chat."""
    return sum(
        1
        for call in fake.calls_to("sendMessage")
        if call.ok
        and str(call.params.get("chat_id")) == str(person.user_id)
        and "self-assessment still has" in str(call.params.get("text"))
    )


async def python_m_bot(fake, database_url: str, cwd: Path, *args: str) -> tuple[int, str]:
    """`python -m bot ARGS` configured through its environment, as an operator runs it."""
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": fake.token,
        "DATABASE_URL": database_url,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "TELEGRAM_API_BASE_FILE_URL": fake.base_file_url,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,  # no .env file there
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return process.returncode, out.decode()


def context_of(application) -> SimpleNamespace:
    return SimpleNamespace(application=application)


async def test_two_instances_send_once_and_the_second_takes_over(fake, db, tmp_path):
    clock = Clock(MONDAY - timedelta(minutes=1))
    seeded = await seed_team(db, fake, members=("Alice", "Bob", "Carol"))
    people = list(seeded.people.values())  # the manager has questions left too
    maria, reminders = seeded.people["Maria"], f"reminders:team:{seeded.team_id}"
    async with AsyncExitStack() as first_running:
        first = (
            await first_running.enter_async_context(running_webhook_bot(fake, db.url, clock=clock))
        ).application
        async with running_webhook_bot(fake, db.url, clock=clock) as second_service:
            second = second_service.application
            assert [await is_leader(context_of(app)) for app in (first, second)] == [True, False]

            # Monday 10:00: both instances' jobs fire, both sweeps run, the second instance
            # runs the slot as if it were leader too, and an operator starts the same run.
            clock.now = MONDAY
            team = str(seeded.team_id)
            operator = ("run-job", "reminders", "--team", team, "--now", MONDAY.isoformat())
            await asyncio.gather(
                fire(first, reminders),
                fire(second, reminders),
                fire(first, jobs.SWEEP_JOB_ID),
                fire(second, jobs.SWEEP_JOB_ID),
                jobs.run_slot(second, seeded.team_id, REMINDER, "2030-W48-mon", MONDAY),
                python_m_bot(fake, db.url, tmp_path, *operator),
            )
            await fake.wait_idle()
            assert [reminder_sends(fake, person) for person in people] == [1] * len(people)
            assert next_run(first, reminders) == next_run(second, reminders) == THURSDAY

            # The manager moves Thursday's reminders to 11:00; the second instance handles it.
            await maria.command("/schedule", "reminders thu 11:00")
            await maria.wait_for_message(contains="Reminders: thu at 11:00")
            assert next_run(second, reminders) == THURSDAY + timedelta(hours=1)
            # The first instance's job still says 10:00: when it fires, it sends nothing.
            clock.now = THURSDAY
            await fire(first, reminders)
            await fake.wait_idle()
            assert [reminder_sends(fake, person) for person in people] == [1] * len(people)
            assert next_run(first, reminders) == THURSDAY + timedelta(hours=1)

            # The leader stops; at its next renewal the second instance takes over...
            await first_running.aclose()
            await fire(second, RENEW_JOB_ID)
            assert await is_leader(context_of(second))
            # ...and runs the next period.
            clock.now = THURSDAY + timedelta(hours=1)
            await fire(second, reminders)
            await fake.wait_idle()

    assert [reminder_sends(fake, person) for person in people] == [2] * len(people)
    runs = {run.period: run.status for run in await deliveries_of(db, DeliveryKind.REMINDER_RUN)}
    assert runs == {
        team_period(seeded.team_id, "2030-W48-mon"): "sent",
        team_period(seeded.team_id, "2030-W48-thu"): "sent",
    }
    _, listing = await python_m_bot(fake, db.url, tmp_path, "jobs")
    assert "Front desk <North>" in listing and "11:00 (11:00 UTC)" in listing


async def test_a_new_leader_catches_up_at_once_and_follows_schedule_changes(fake, db):
    """The leader goes away 20 s before the digest slot: the other instance sends the digest and
    the reminders as soon as it takes the lease, once, not at its next 5-minute sweep."""
    digest_slot = FRIDAY_DIGEST
    clock = Clock(digest_slot - timedelta(seconds=20))
    seeded = await seed_team(db, fake, members=("Alice", "Bob"), reminder_days="5")
    seeded_team = str(seeded.team_id)
    async with AsyncExitStack() as first_running:
        first = (
            await first_running.enter_async_context(running_webhook_bot(fake, db.url, clock=clock))
        ).application
        async with running_webhook_bot(fake, db.url, clock=clock) as second_service:
            second = second_service.application
            maria = seeded.people["Maria"]
            # A change handled by the instance that is not the leader...
            await maria.command("/schedule", "reminders fri 16:00")
            await maria.wait_for_message(contains="Reminders: fri at 16:00")
            # ...reaches the leader at its next lease renewal (seconds), not its next sweep.
            await fire(first, RENEW_JOB_ID)
            assert next_run(first, f"reminders:team:{seeded_team}") == digest_slot

            await first_running.aclose()  # the leader is gone 20 s before the slot
            clock.now = digest_slot
            await fire(second, f"digest:team:{seeded_team}")  # not the leader yet: nothing
            await fire(second, f"reminders:team:{seeded_team}")
            await fake.wait_idle()
            assert digests_to(maria) == []

            clock.now = digest_slot + timedelta(seconds=30)  # its next renewal takes the lease
            await fire(second, RENEW_JOB_ID)
            assert await is_leader(context_of(second))
            await fake.wait_idle()
            assert len(digests_to(maria)) == 1
            assert [len(reminders_to(seeded.people[n])) for n in ("Alice", "Bob")] == [1, 1]
            await fire(second, RENEW_JOB_ID)  # renewing again sends nothing more
            await fake.wait_idle()
    assert len(digests_to(maria)) == 1
    assert [len(reminders_to(seeded.people[n])) for n in ("Alice", "Bob")] == [1, 1]


async def test_a_chat_next_update_waits_on_every_instance_until_the_first_is_finished(fake, db):
    """One person's second message reaches another instance while the first is still replying
    (its answer committed, its replies not all sent): that instance leaves it alone, and it is
    handled after the first one's last reply, not beside it."""
    if db.url.startswith("sqlite"):
        return  # several instances need PostgreSQL; SQLite keeps one chat's order in memory
    seeded = await seed_team(db, fake, members=("Alice",))
    alice = seeded.people["Alice"]
    events: list[str] = []
    release = asyncio.Event()

    async def first(update, context):
        await update.message.reply_text("first saved")  # commits the update as handled
        events.append("first committed")
        await release.wait()  # the seam: the instance still has replies to send
        await update.message.reply_text("first done")
        events.append("first done")

    async def second(update, context):
        events.append("second started")
        await update.message.reply_text("second done")

    def with_test_handlers(application) -> None:
        # The test's own feature, first in the features' group (nothing of the bot's patched).
        features = application.handlers[Groups.FEATURES]
        features.insert(0, MessageHandler(filters.Regex("^hold first$"), first))
        features.insert(1, MessageHandler(filters.Regex("^hold second$"), second))

    async with running_webhook_bot(fake, db.url) as one:
        one_url = fake.webhook_url
        async with running_webhook_bot(fake, db.url) as other:  # Telegram now posts to this one
            for service in (one, other):
                with_test_handlers(service.application)
            try:
                await alice.send("hold first")
                await alice.wait_for_message(contains="first saved")
                await fake.wait_until(lambda: events == ["first committed"])

                # The load balancer sends the next update to the first instance.
                await one.application.bot.set_webhook(url=one_url, secret_token=WEBHOOK_SECRET)
                await alice.send("hold second")
                await fake.wait_until(lambda: len(fake.delivered_update_ids) == 2)
                assert await one.inbox.look_for_work() == []  # the chat is still the other's
                assert await other.inbox.look_for_work() == []
                assert events == ["first committed"]
            finally:
                release.set()  # else stopping would wait for the held update forever
            await alice.wait_for_message(contains="second done")
    assert events == ["first committed", "first done", "second started"]
