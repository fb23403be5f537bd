"""How `python -m bot` runs: receive updates (long polling, or a webhook), serve /healthz, stop
cleanly on SIGTERM.

Polling is the default. Setting WEBHOOK_URL switches to the webhook endpoint, which checks
Telegram's X-Telegram-Bot-Api-Secret-Token header on every request (403 without the right one).
Several instances against one database need webhook mode: Telegram hands long-polled updates to
a single consumer. Either way an update is confirmed to Telegram only once it is stored in the
inbox (bot/ops/receive.py), and handled from there (bot/ops/inbox.py).

The lifecycle is written out (rather than Application.run_polling) so the health server shares
the bot's event loop and the stop order is explicit: stop receiving, let in-flight updates and
jobs finish, then close the database last. A SIGTERM therefore loses nothing a person typed:
what was received gets answered or handed back to the inbox, and what was not received stays
with Telegram. A SIGKILL loses nothing either: what was confirmed is in the inbox.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application

from bot.core.config import Settings
from bot.core.runtime import RUNTIME_KEY
from bot.ops.health import start_health_server
from bot.ops.inbox import InboxWorker
from bot.ops.leadership import instance_name
from bot.ops.receive import PollingReceiver, WebhookServer, start_webhook_server

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [
    "message",
    "edited_message",
    "callback_query",
    "my_chat_member",
    "chat_member",
    "poll",
    "poll_answer",
]
# Retries of deleteWebhook/setWebhook at start, so a network blip does not cost a restart.
BOOTSTRAP_RETRIES = 3


@dataclass
class Service:
    """A running bot: the Application, where its health endpoint answers, its inbox worker."""

    application: Application
    health_port: int
    inbox: InboxWorker


@asynccontextmanager
async def running(
    application: Application, settings: Settings, *, health_address: str = "0.0.0.0"
) -> AsyncIterator[Service]:
    """Start everything `python -m bot` runs; on exit stop it in the order that loses nothing."""
    await application.initialize()
    health = receiver = worker = None
    try:
        await application.post_init(application)
        await application.start()
        worker = InboxWorker(
            application,
            application.bot_data[RUNTIME_KEY].inbox_sessions,
            instance_name(),
            lease=timedelta(seconds=settings.inbox_claim_seconds),
            retry_after=timedelta(seconds=settings.inbox_retry_seconds),
        )
        worker.start()
        receiver = await _start_receiving(application, settings, worker)
        health = await start_health_server(
            lambda: _current_engine(application), settings.health_port, health_address
        )
        yield Service(application, health.port, worker)
    finally:
        # Each step runs even when one before it failed: a bot left polling would fight the
        # next one for getUpdates, and the database must be closed last whatever happened.
        if receiver is not None:
            await _logged(receiver.stop(), "stopping receiving")  # no new updates from here on
        if worker is not None:
            # Finishes the updates it runs, hands back the rest.
            await _logged(worker.stop(), "stopping the inbox worker")
        if application.running:
            await application.stop()  # waits for running jobs
        if application.post_stop is not None:
            await application.post_stop(application)
        if health is not None:
            await health.stop()
        await application.shutdown()
        await application.post_shutdown(application)  # closes the database: last


async def _logged(step, what: str) -> None:
    try:
        await step
    except Exception:
        log.exception("%s failed; stopping goes on", what)


async def _start_receiving(
    application: Application, settings: Settings, worker: InboxWorker
) -> WebhookServer | PollingReceiver:
    bot = application.bot
    if settings.webhook_mode:
        server = await start_webhook_server(
            bot,
            worker.store,
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            path=settings.webhook_path,
            secret=settings.webhook_secret_token.get_secret_value(),
        )
        await _bootstrap(
            lambda: bot.set_webhook(
                url=settings.full_webhook_url,
                secret_token=settings.webhook_secret_token.get_secret_value(),
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=settings.drop_pending_updates,
            )
        )
        log.info(
            "receiving updates by webhook on %s:%s/%s",
            settings.webhook_listen,
            settings.webhook_port,
            settings.webhook_path,
        )
        return server
    await _bootstrap(lambda: bot.delete_webhook(drop_pending_updates=settings.drop_pending_updates))
    receiver = PollingReceiver(bot, worker.store, ALLOWED_UPDATES)
    receiver.start()
    log.info("receiving updates by long polling")
    return receiver


async def _bootstrap(call) -> None:
    """setWebhook/deleteWebhook with a few retries, so a network blip does not cost a restart."""
    for attempt in range(BOOTSTRAP_RETRIES + 1):
        try:
            await call()
            return
        except TelegramError as error:
            if attempt == BOOTSTRAP_RETRIES or isinstance(error, InvalidToken):
                raise
            log.warning("bootstrapping failed (%r); trying again", error)
            await asyncio.sleep(1)


def _current_engine(application: Application) -> AsyncEngine | None:
    runtime = application.bot_data.get(RUNTIME_KEY)
    return runtime.engine if runtime is not None else None


async def serve_until_stopped(settings: Settings) -> None:
    """Run until SIGTERM or SIGINT (docker stop, Ctrl+C)."""
    # Imported here, after the caller configured logging, so import-time logs are formatted.
    from bot.app import build_application

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    application = build_application(settings)
    async with running(application, settings):
        await stop.wait()
        log.info("stop requested: finishing the updates in progress")
    log.info("stopped")


def serve(settings: Settings) -> None:
    asyncio.run(serve_until_stopped(settings))
