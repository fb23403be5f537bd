"""The bot's log under the real logging setup: one line per update, no library chatter."""

from __future__ import annotations

import asyncio
import logging
from contextlib import contextmanager

from bot.core.logging_setup import configure_logging
from bot.export.bundle import build_exports
from bot.export.data import gather_round_report
from criteria.loader import DEFAULT_PACK_ID, load_packs
from storage.db import create_engine, session_factory
from storage.migrate import upgrade_to_head_async
from storage.models import AssessmentRound, Team

CHATTY_LIBRARIES = ("fontTools", "alembic")


@contextmanager
def real_logging(level: str):
    """configure_logging as `python -m bot` runs it, undone afterwards for the other tests."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    touched = [logging.getLogger(name) for name in (*CHATTY_LIBRARIES, "httpx", "apscheduler")]
    saved_levels = [logger.level for logger in touched]
    configure_logging(level)
    try:
        yield
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        for logger, saved in zip(touched, saved_levels, strict=True):
            logger.setLevel(saved)


async def test_migrations_and_exports_leave_no_info_lines_of_their_libraries(tmp_path, capsys):
    pack = load_packs().get(DEFAULT_PACK_ID)
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    with real_logging("INFO"):
        logging.getLogger("bot.updates").info("update_id=1 kind=message")  # the contract's line
        await upgrade_to_head_async(url)  # a migration, as at every start
        engine = create_engine(url)
        try:
            async with session_factory(engine)() as session:
                team = Team(name="Front desk", pack_id=pack.id)
                session.add(team)
                await session.flush()
                round_ = AssessmentRound(
                    team_id=team.id, name="Round 1", pack_id=pack.id, pack_version=pack.version
                )
                session.add(round_)
                await session.commit()
                report = await gather_round_report(session, pack, team.id, round_.id)
        finally:
            await engine.dispose()
        files = await asyncio.to_thread(build_exports, report)  # the PDF subsets its fonts
    logged = capsys.readouterr().err.splitlines()

    assert any(file.filename.endswith(".pdf") for file in files)
    assert any("INFO bot.updates: update_id=1" in line for line in logged)  # the log is on
    chatter = [line for line in logged for name in CHATTY_LIBRARIES if f" INFO {name}" in line]
    assert chatter == [], chatter[:3]
