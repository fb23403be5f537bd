"""Running as a service: webhook mode, /healthz, the per-update log line, errors and outages.

The bot runs through bot.ops.serve exactly as `python -m bot` does, against the fake Bot API and
real databases (SQLite and PostgreSQL).
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack
from types import SimpleNamespace

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import create_async_engine
from telegram import Update
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot.app import Groups
from bot.core.errors import APOLOGY, DATABASE_UNREACHABLE
from bot.core.logging_setup import TokenRedactingFilter
from bot.core.ordering import PerChatUpdateProcessor
from bot.core.runtime import RUNTIME_KEY
from bot.core.update_log import instrument_handlers
from bot.ops.leadership import LEADERSHIP_KEY, is_leader
from bot.services.inbox import waiting_updates
from storage.db import session_factory
from tests.support.webhook_runner import WEBHOOK_SECRET, running_webhook_bot

WELCOME = "I run your team's Baldrige self-assessment"
# Where nothing listens (port 1 on loopback), and a SQLite file in a folder that does not exist.
UNREACHABLE_URLS = {
    "postgresql": "postgresql+asyncpg://bot:bot@127.0.0.1:1/bot",
    "sqlite": "sqlite+aiosqlite:////nonexistent-folder/for-sure/bot.db",
}


@pytest.fixture
async def service(fake, db):
    async with running_webhook_bot(fake, db.url) as service:
        yield service


def update_lines(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "bot.updates"]


async def inbox_emptied(service, timeout: float = 5.0) -> None:  # noqa: ASYNC109
    """Wait until every received update has left the inbox (handled, replies sent)."""
    sessions = service.application.bot_data[RUNTIME_KEY].sessions
    async with asyncio.timeout(timeout):
        while True:
            async with sessions() as session:
                if await waiting_updates(session) == 0:
                    return
            await asyncio.sleep(0.02)


async def get_health(service) -> tuple[int, dict]:
    url = f"http://127.0.0.1:{service.health_port}/healthz"
    async with aiohttp.ClientSession() as client, client.get(url) as reply:
        return reply.status, await reply.json()


# --- webhook mode ---------------------------------------------------------------------------


async def test_webhook_mode_answers_updates_telegram_posts(fake, service):
    assert fake.webhook_url.endswith("/telegram")
    assert fake.webhook_secret_token == WEBHOOK_SECRET
    alice = fake.person("Alice")

    await alice.command("/start")

    await alice.wait_for_message(contains=WELCOME)
    assert not fake.calls_to("getUpdates"), "webhook mode must not poll"
    assert [d.status for d in fake.webhook_deliveries] == [200]


async def test_webhook_refuses_requests_without_the_right_secret_token(fake, service):
    alice = fake.person("Alice")
    genuine = await alice.command("/start")
    await alice.wait_for_message(contains=WELCOME)
    forged = {key: value for key, value in genuine.items() if key != "update_id"}

    assert await fake.deliver_to_webhook(forged, secret_token=None) == 403
    assert await fake.deliver_to_webhook(forged, secret_token="wrong-secret") == 403
    await fake.wait_idle()
    welcomes = [message for message in alice.messages if WELCOME in message.text]
    assert len(welcomes) == 1, "a forged update must not reach any handler"

    assert await fake.deliver_to_webhook(forged) == 200  # the real secret still works
    await alice.wait_for_message(contains=WELCOME)


async def test_two_instances_share_one_database_and_one_runs_the_schedules(fake, db):
    async with AsyncExitStack() as first_running:
        first = await first_running.enter_async_context(running_webhook_bot(fake, db.url))
        async with running_webhook_bot(fake, db.url) as second:
            leaders = [await is_leader(context_of(s)) for s in (first, second)]
            assert leaders == [True, False]

            alice = fake.person("Alice")  # Telegram now posts to the second instance
            await alice.command("/start")
            await alice.wait_for_message(contains=WELCOME)

            await first_running.aclose()  # stopping the first instance releases the lease
            # The second instance's next renewal takes over.
            assert await second.application.bot_data[LEADERSHIP_KEY].claim() is True
            assert await is_leader(context_of(second)) is True


def context_of(service) -> SimpleNamespace:
    return SimpleNamespace(application=service.application)


# --- health ---------------------------------------------------------------------------------


async def test_health_reports_the_database(service, db):
    assert await get_health(service) == (200, {"status": "ok", "database": "ok"})

    rt = service.application.bot_data[RUNTIME_KEY]
    working_engine = rt.engine
    rt.engine = create_async_engine(UNREACHABLE_URLS[db.backend])
    try:
        assert await get_health(service) == (
            503,
            {"status": "degraded", "database": "unreachable"},
        )
    finally:
        await rt.engine.dispose()
        rt.engine = working_engine

    assert await get_health(service) == (200, {"status": "ok", "database": "ok"})


# --- database outage ------------------------------------------------------------------------


async def test_database_outage_is_explained_and_the_bot_recovers(fake, db, caplog):
    """Each update is tried again a few times (bot/ops/inbox.py); the person hears of the outage
    once, at its last attempt, then the update is kept as dead in the inbox."""
    async with running_webhook_bot(fake, db.url, inbox_retry_seconds=0.05) as service:
        await database_outage_and_recovery(fake, service, db, caplog)


async def database_outage_and_recovery(fake, service, db, caplog) -> None:
    alice = fake.person("Alice")
    rt = service.application.bot_data[RUNTIME_KEY]
    working_engine, working_sessions = rt.engine, rt.sessions
    broken_engine = create_async_engine(UNREACHABLE_URLS[db.backend])

    rt.engine, rt.sessions = broken_engine, session_factory(broken_engine)
    await alice.command("/start")
    await alice.wait_for_message(contains=DATABASE_UNREACHABLE)
    await alice.command("/start")  # the bot keeps running and keeps saying so
    await alice.wait_for_message(contains=DATABASE_UNREACHABLE)

    rt.engine, rt.sessions = working_engine, working_sessions  # the database is back
    await broken_engine.dispose()
    await alice.command("/start")
    await alice.wait_for_message(contains=WELCOME)

    assert "database unreachable in update" in caplog.text

    def errors() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]

    # No trace: an outage is no bug. Only the two updates given up on, for an operator.
    await fake.wait_until(lambda: len(errors()) >= 2)
    assert len(errors()) == 2 and all("marked dead" in error for error in errors()), errors()
    told = [m for m in alice.messages if DATABASE_UNREACHABLE in (m.text or "")]
    assert len(told) == 2  # once per update, not once per attempt


# --- errors and the update log --------------------------------------------------------------


@pytest.fixture
async def quick_retries(fake, db):
    """The bot trying a failed update again at once: the apology comes at its last attempt."""
    async with running_webhook_bot(fake, db.url, inbox_retry_seconds=0.05) as service:
        yield service


async def test_unexpected_error_is_logged_with_its_trace_and_the_person_gets_an_apology(
    fake, quick_retries, caplog
):
    service = quick_retries

    async def broken_start(update, context):
        raise RuntimeError("a bug in a handler")

    # A feature of the test's own with a bug, first in the features' group: within a group only
    # the first matching handler runs, so it takes /start before onboarding's (nothing patched).
    features = service.application.handlers[Groups.FEATURES]
    features.insert(0, CommandHandler("start", broken_start, filters=filters.ChatType.PRIVATE))
    instrument_handlers(service.application, first_feature_group=Groups.FEATURES)
    alice = fake.person("Alice")

    with caplog.at_level(logging.INFO):
        await alice.command("/start")
        await alice.wait_for_message(contains=APOLOGY)
        line, *_retries = await fake.wait_until(lambda: update_lines(caplog))

    failure = next(r for r in caplog.records if r.getMessage().startswith("unhandled error"))
    assert failure.levelno == logging.ERROR
    assert "a bug in a handler" in caplog.text  # the trace
    assert line.outcome == "error"
    assert line.handler == "broken_start"


async def test_a_failing_update_is_tried_again_and_apologised_for_once(fake, db, caplog):
    """The inbox tries a failed update again (bot/ops/inbox.py): the person sees one apology
    for it, however many attempts, and none for an update whose retry succeeds."""
    attempts = {"broken": 0, "flaky": 0}

    async def broken(update, context):
        attempts["broken"] += 1
        raise RuntimeError("a bug in a handler")

    async def flaky(update, context):
        attempts["flaky"] += 1
        if attempts["flaky"] == 1:
            raise RuntimeError("a passing hiccup")
        await update.message.reply_text("flaky done")

    async with running_webhook_bot(fake, db.url, inbox_retry_seconds=0.05) as service:
        features = service.application.handlers[Groups.FEATURES]
        features.insert(0, CommandHandler("broken", broken, filters=filters.ChatType.PRIVATE))
        features.insert(1, CommandHandler("flaky", flaky, filters=filters.ChatType.PRIVATE))
        alice, bob = fake.person("Alice"), fake.person("Bob")
        await alice.command("/broken")
        await bob.command("/flaky")
        await bob.wait_for_message(contains="flaky done")
        await alice.wait_for_message(contains=APOLOGY)
        await fake.wait_until(lambda: "marked dead" in caplog.text)  # its last attempt is over
        await alice.command("/broken")  # and again, later: one apology for that one too
        await alice.wait_for_message(contains=APOLOGY)
        await fake.wait_until(lambda: caplog.text.count("marked dead") == 2)
        await fake.wait_idle()

    assert attempts == {"broken": 2 * 5, "flaky": 2}
    assert [APOLOGY in (m.text or "") for m in alice.messages] == [True] * 2
    assert [m.text for m in bob.messages] == ["flaky done"]


async def test_one_log_line_per_update_without_text_or_token(fake, service, caplog):
    alice = fake.person("Alice")
    secret_words = "my confidential answer about customers"
    # The filter configure_logging puts on the real log handler (httpx logs URLs with the token).
    caplog.handler.addFilter(TokenRedactingFilter(fake.token))

    with caplog.at_level(logging.INFO):
        first = await alice.command("/start")
        await alice.wait_for_message(contains=WELCOME)
        await alice.send(secret_words)
        await alice.wait_for_message()
        await inbox_emptied(service)  # a redelivery meanwhile would meet the row, not the log
        fake.send_update(first)  # Telegram delivers the same update again
        started, typed, again = await fake.wait_until(
            lambda: len(update_lines(caplog)) == 3 and update_lines(caplog)
        )

    assert started.getMessage().startswith(f"update_id={first['update_id']} kind=message ")
    assert (started.handler, started.outcome) == ("start_command", "handled")
    assert started.duration_ms >= 0
    assert typed.outcome == "handled"
    assert (again.update_id, again.outcome) == (first["update_id"], "duplicate")
    assert again.handler == "drop_duplicate_update"
    everything_logged = "\n".join(r.getMessage() for r in caplog.records)
    assert secret_words not in everything_logged
    assert fake.token not in everything_logged


async def test_an_update_no_handler_takes_is_logged_as_ignored(fake, caplog):
    async def photo_only(update, context):
        """Never called: the update below carries text."""

    application = (
        Application.builder()
        .token(fake.token)
        .base_url(fake.base_url)
        .concurrent_updates(PerChatUpdateProcessor())
        .build()
    )
    application.add_handler(MessageHandler(filters.PHOTO, photo_only), 0)
    instrument_handlers(application, first_feature_group=0)
    await application.initialize()
    update = Update.de_json(
        {
            "update_id": 5,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 42, "type": "private"},
                "text": "a text no handler wants",
            },
        },
        application.bot,
    )

    with caplog.at_level(logging.INFO, logger="bot.updates"):
        await application.update_processor.process_update(
            update, application.process_update(update)
        )

    await application.shutdown()
    [line] = caplog.records
    assert line.getMessage().startswith("update_id=5 kind=message handler=- outcome=ignored ")
