"""Alembic environment: runs migrations over the async engine for SQLite and PostgreSQL.

Several instances starting at once all migrate at start. On PostgreSQL they queue on an advisory
lock held for the migration's transaction: the first brings the schema to head, the others then
find it there and do nothing (without it, two would create the same tables and one would fail
with a unique violation in pg_type). SQLite needs no lock: its writers queue anyway.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.db import create_engine

config = context.config
target_metadata = SQLModel.metadata
# Any constant shared by every instance of this bot: "baldrige" in ASCII, as a bigint.
MIGRATION_LOCK_KEY = 0x62616C6472696765


def _configure(connection: Connection | None = None, **kwargs) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only alter tables by copying them
        compare_type=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _run_sync(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Released by the commit at the end, when the schema is at head for everyone.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_sync)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
