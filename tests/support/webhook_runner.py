"""Runs the real bot in webhook mode against the fake Bot API, through bot.ops.serve like
production.

The fake learns the webhook from the bot's setWebhook call and POSTs updates to it with the
secret token header, as Telegram does.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.app import build_application
from bot.core.clock import Clock, system_clock
from bot.ops.serve import Service, running
from bot.scheduled import jobs
from tests.support.botrunner import settings_for

WEBHOOK_SECRET = "test-secret_token-0123456789"


def free_port() -> int:
    """A port nobody listens on now (PTB needs the webhook port before it can bind it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@asynccontextmanager
async def running_webhook_bot(
    fake, database_url: str, clock: Clock = system_clock, **settings_extra
) -> AsyncIterator[Service]:
    """The bot receiving by webhook on 127.0.0.1, with /healthz on a free port of its own."""
    port = free_port()
    settings = settings_for(
        fake,
        database_url,
        webhook_url=f"http://127.0.0.1:{port}",
        webhook_listen="127.0.0.1",
        webhook_port=port,
        webhook_secret_token=WEBHOOK_SECRET,
        health_port=0,
        **settings_extra,
    )
    application = build_application(settings, clock=clock)
    async with running(application, settings, health_address="127.0.0.1") as service:
        await jobs.start_sweep_done(application)  # settled before the test acts
        yield service
