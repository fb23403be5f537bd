"""Apply Alembic migrations from code, so the bot brings its database to head at start.

Alembic itself (and every migration script) is imported only when there is something to do:
`schema_is_current` compares the database's alembic_version with the heads read from the
scripts' text, which is what a restart on an already migrated database needs.
"""

from __future__ import annotations

import asyncio
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_REVISION = re.compile(r"^revision(?:\s*:\s*str)?\s*=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision(?:\s*:[^=]+)?\s*=\s*(.+)$", re.MULTILINE)


def alembic_config(database_url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_to_head(database_url: str) -> None:
    """Blocking: run from a thread when an event loop is already running."""
    from alembic import command

    command.upgrade(alembic_config(database_url), "head")


async def upgrade_to_head_async(database_url: str) -> None:
    # env.py runs its own event loop, so it must not share the caller's thread.
    await asyncio.to_thread(upgrade_to_head, database_url)


@cache
def migration_heads() -> frozenset[str]:
    """The revisions no other script builds on, read from the scripts' `revision` and
    `down_revision` lines (tests/storage check this against Alembic's own answer)."""
    revisions, parents = set(), set()
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = script.read_text(encoding="utf-8")
        revision = _REVISION.search(source)
        if revision is None:
            continue
        revisions.add(revision.group(1))
        down = _DOWN_REVISION.search(source)
        if down is not None:
            parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    return frozenset(revisions - parents)


async def schema_is_current(engine: AsyncEngine) -> bool:
    """True when the database's alembic_version holds exactly the scripts' heads."""
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
            stored = {row[0] for row in rows}
    except DBAPIError:  # no alembic_version table yet: a new database
        return False
    return stored == migration_heads()


async def upgrade_if_behind(engine: AsyncEngine, database_url: str) -> bool:
    """Bring the schema to head unless it is there already; True when migrations ran."""
    if await schema_is_current(engine):
        return False
    await upgrade_to_head_async(database_url)
    return True
