"""What handlers and jobs share at run time, built once in post_init and kept in bot_data."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram.ext import CallbackContext

from bot.core.clock import Clock, system_clock
from bot.core.config import Settings
from criteria.loader import PackRegistry

RUNTIME_KEY = "runtime"


@dataclass
class Runtime:
    settings: Settings
    packs: PackRegistry
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    bot_username: str = ""
    clock: Clock = system_clock  # every decision about time reads this (bot/core/clock.py)


def runtime(context: CallbackContext) -> Runtime:
    return context.application.bot_data[RUNTIME_KEY]
