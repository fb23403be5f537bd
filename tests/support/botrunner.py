"""Runs the real bot Application against the fake Bot API, as `python -m bot` would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from telegram.ext import Application

from bot.app import build_application
from bot.core.clock import Clock, system_clock
from bot.core.config import Settings
from bot.ops.serve import running
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
    """Run the bot as `python -m bot` does (bot.ops.serve: polling into the inbox), and stop it
    the same way.

    `clock` is the bot's clock (bot/core/clock.py): a test that decides anything by the time passes
    one standing at the moment it chooses (tests.support.schedules.Clock).
    """
    settings_extra.setdefault("health_port", 0)
    settings = settings_for(fake, database_url, **settings_extra)
    application = build_application(settings, clock=clock)
    async with running(application, settings, health_address="127.0.0.1"):
        # Settled before the test acts: the start-up sweep may still be catching up otherwise.
        await jobs.start_sweep_done(application)
        yield application
