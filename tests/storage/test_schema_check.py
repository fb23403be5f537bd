"""The start-up check that skips Alembic when the database is already at head."""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.script import ScriptDirectory

from storage.migrate import (
    alembic_config,
    migration_heads,
    schema_is_current,
    upgrade_if_behind,
    upgrade_to_head,
)
from tests.support.databases import open_database


def test_the_heads_read_from_the_scripts_are_alembics():
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert migration_heads() == frozenset(scripts.get_heads())


async def test_a_database_is_migrated_only_when_behind(empty_database_url):
    database = open_database("any", empty_database_url)
    try:
        assert not await schema_is_current(database.engine)  # a new, empty database
        assert await upgrade_if_behind(database.engine, empty_database_url)
        assert await schema_is_current(database.engine)
        # A restart on a migrated database: nothing to run.
        assert not await upgrade_if_behind(database.engine, empty_database_url)

        config = alembic_config(empty_database_url)
        await asyncio.to_thread(command.downgrade, config, "-1")
        assert not await schema_is_current(database.engine)
        assert await upgrade_if_behind(database.engine, empty_database_url)
        assert await schema_is_current(database.engine)
        await asyncio.to_thread(upgrade_to_head, empty_database_url)  # still a no-op
        assert await schema_is_current(database.engine)
    finally:
        await database.dispose()
