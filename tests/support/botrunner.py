"""Runs the real bot Application against the fake Bot API, as `python -m bot` would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from telegram.ext import Application

from bot.__main__ import ALLOWED_UPDATES
from bot.app import build_application
from bot.core.clock import Clock, system_clock
from bot.core.config import Settings
from bot.scheduled import jobs


def settings_for(fake, database_url: str, criteria_dir: Path | None = None, **extra) -> Settings:
    return Settings(
        _env_file=None,
        telegram_bot_token=fake.token,
        database_url=database_url,
        telegram_api_base_url=fake.base_url,
        telegram_api_base_file_url=fake.base_file_url,
        criteria_dir=criteria_dir,
        **extra,
    )


@asynccontextmanager
async def running_bot(
    fake, database_url: str, clock: Clock = system_clock, **settings_extra
) -> AsyncIterator[Application]:
    """Start polling like Application.run_polling does, and stop the same way.

    `clock` is the bot's clock (bot/core/clock.py): a test that decides anything by the time passes
    one standing at the moment it chooses (tests.support.schedules.Clock).
    """
    application = build_application(settings_for(fake, database_url, **settings_extra), clock=clock)
    await application.initialize()
    await application.post_init(application)
    await application.updater.start_polling(
        poll_interval=0, timeout=1, allowed_updates=ALLOWED_UPDATES
    )
    await application.start()
    # Settled before the test acts: the start-up sweep may still be catching up otherwise.
    await jobs.start_sweep_done(application)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        await application.post_shutdown(application)
