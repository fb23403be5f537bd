"""What handlers and jobs share at run time, built once in post_init and kept in bot_data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram.ext import CallbackContext

from bot.core.clock import Clock, system_clock
from bot.core.config import Settings
from criteria.loader import PackRegistry

if TYPE_CHECKING:
    from bot.export.data import RoundReport
    from bot.export.limits import ExportFile

RUNTIME_KEY = "runtime"


def build_exports(report: RoundReport, upload_limit: int) -> list[ExportFile]:
    """The export files, built in the worker process (bot/export/worker.py): the spreadsheet,
    PDF and chart libraries never load into the bot's own."""
    from bot.export.worker import pictures

    return pictures.run("bot.export.bundle:build_exports", report, upload_limit)


@dataclass
class Runtime:
    settings: Settings
    packs: PackRegistry
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    # The inbox's (bot/ops/inbox.py): on PostgreSQL a pool of its own (storage.db.unpinged_engine)
    inbox_engine: AsyncEngine | None = None
    inbox_sessions: async_sessionmaker[AsyncSession] | None = None
    bot_username: str = ""
    clock: Clock = system_clock  # every decision about time reads this (bot/core/clock.py)
    # What /export runs in a worker thread (report, upload limit -> files): a seam so a test can
    # hold one export open and see everyone else still answered meanwhile.
    build_export_files: Callable[[RoundReport, int], list[ExportFile]] = build_exports


def runtime(context: CallbackContext) -> Runtime:
    return context.application.bot_data[RUNTIME_KEY]
