"""Several instances starting at once on one empty PostgreSQL database all migrate it.

Each instance brings the schema to head at start (storage.migrate). The instances here are real
processes, released at the same moment once each has imported everything, so their migrations
overlap as they do when a deployment starts several replicas together.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from storage.db import create_engine
from storage.migrate import alembic_config
from tests.support.databases import create_postgres_database, drop_postgres_database

ROOT = Path(__file__).resolve().parents[2]
INSTANCES = 3
# Imports first, then waits for the word to go, so that every process migrates at once.
MIGRATE_ON_GO = """
import sys
from storage.migrate import upgrade_to_head
print("ready", flush=True)
sys.stdin.readline()
upgrade_to_head(sys.argv[1])
"""


async def start_instance(url: str) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        MIGRATE_ON_GO,
        url,
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert await process.stdout.readline() == b"ready\n"
    return process


async def test_instances_starting_together_all_migrate_one_fresh_database():
    name = f"bot_migrations_{os.getpid()}"
    url = create_postgres_database(name)
    try:
        instances = [await start_instance(url) for _ in range(INSTANCES)]
        for instance in instances:
            instance.stdin.write(b"go\n")
        outputs = await asyncio.gather(*(instance.communicate() for instance in instances))

        errors = [stderr.decode() for _, stderr in outputs]
        assert [instance.returncode for instance in instances] == [0] * INSTANCES, errors
        head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                versions = (
                    (await connection.execute(text("SELECT version_num FROM alembic_version")))
                    .scalars()
                    .all()
                )
                tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        finally:
            await engine.dispose()
        assert versions == [head]
        assert {"team", "person", "delivery", "lease"} <= set(tables)
    finally:
        drop_postgres_database(name)
