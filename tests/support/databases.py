"""Real databases for tests: a migrated SQLite file per test, and a PostgreSQL database per run.

PostgreSQL is reached at TEST_POSTGRES_URL (default: the local trust-auth server). Outside CI a
missing server skips those tests with a reason; in CI (CI=true) it fails them, so a PostgreSQL
test never skips silently there.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.db import create_engine, session_factory
from storage.migrate import upgrade_to_head

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def postgres_base_url() -> str:
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def _plain_dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url)
    if database:
        parsed = parsed.set(database=database)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def blocking(function, *args):
    """Run a function that starts its own event loop, even when called from inside one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(_plain_dsn(postgres_base_url(), "postgres"), timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def create_postgres_database(name: str) -> str:
    """Create an empty database (dropping any leftover of that name); return its async URL."""
    try:
        blocking(asyncio.run, _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        blocking(asyncio.run, _admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        message = f"PostgreSQL not reachable at {postgres_base_url()}: {error}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return make_url(postgres_base_url()).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(name: str) -> None:
    blocking(asyncio.run, _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@dataclass
class StatementCounter:
    """Counts SQL statements sent, to prove a query's cost does not grow with team size."""

    count: int = 0
    statements: list[str] = field(default_factory=list)

    def __call__(self, _conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            return  # BEGIN IMMEDIATE on SQLite is bookkeeping, not a query
        self.count += 1
        self.statements.append(statement)

    @contextmanager
    def measure(self) -> Iterator[StatementCounter]:
        self.count = 0
        self.statements.clear()
        yield self


@contextmanager
def failing_statements(engine: AsyncEngine, fails: Callable[[str, object], bool]) -> Iterator[None]:
    """While open, every statement `fails(sql, parameters)` picks raises ConnectionError as if the
    database went away mid-run: a fault at the database boundary, the code under test untouched."""

    def fail_if_picked(_conn, _cursor, statement, parameters, *_args) -> None:
        if fails(statement, parameters):
            raise ConnectionError("database went away")

    event.listen(engine.sync_engine, "before_cursor_execute", fail_if_picked)
    try:
        yield
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", fail_if_picked)


@dataclass
class Database:
    backend: str
    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    statements: StatementCounter

    async def dispose(self) -> None:
        await self.engine.dispose()


def open_database(backend: str, url: str) -> Database:
    engine = create_engine(url)
    counter = StatementCounter()
    event.listen(engine.sync_engine, "before_cursor_execute", counter)
    return Database(backend, url, engine, session_factory(engine), counter)


class MigratedTemplates:
    """Migrates once per test run; hands each test a fresh copy (SQLite) or emptied tables."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._sqlite_template: Path | None = None
        self._postgres_url: str | None = None
        self._postgres_name = f"bot_tests_{os.getpid()}"

    def sqlite_url(self, test_dir: Path) -> str:
        if self._sqlite_template is None:
            template = self.workdir / "template.db"
            blocking(upgrade_to_head, f"sqlite+aiosqlite:///{template}")
            self._sqlite_template = template
        target = test_dir / "bot.db"
        shutil.copyfile(self._sqlite_template, target)
        return f"sqlite+aiosqlite:///{target}"

    def postgres_url(self) -> str:
        if self._postgres_url is None:
            url = create_postgres_database(self._postgres_name)
            blocking(upgrade_to_head, url)
            self._postgres_url = url
        return self._postgres_url

    def close(self) -> None:
        if self._postgres_url is not None:
            drop_postgres_database(self._postgres_name)


async def empty_all_tables(engine: AsyncEngine) -> None:
    from sqlmodel import SQLModel

    names = ", ".join(f'"{table.name}"' for table in SQLModel.metadata.sorted_tables)
    async with engine.begin() as connection:
        await connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
