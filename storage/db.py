"""Async engine and sessions for SQLite (the embedded default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial
from pathlib import Path
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import await_

from storage.statement_count import count_like

SQLITE_BUSY_TIMEOUT_MS = 5000
POSTGRES_CONNECT_TIMEOUT_SECONDS = 10
# Waiting for another connection's write lock: first retry after this, doubling up to the cap.
_BUSY_FIRST_WAIT_SECONDS = 0.001
_BUSY_MAX_WAIT_SECONDS = 0.05


def create_engine(url: str, **kwargs) -> AsyncEngine:
    """Build an engine; for SQLite create the file's folder and set WAL and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ":memory:"
        if database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # SQLite has one writer at a time anyway. One pooled connection makes this process's
        # transactions queue in asyncio, handed over at once, instead of in SQLite's busy
        # handler, which sleeps and retries; BEGIN IMMEDIATE still orders other processes.
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_timeout", 60)
        engine = create_async_engine(
            url, async_creator=lambda: InlineSQLiteConnection(database), **kwargs
        )
        event.listen(engine.sync_engine, "connect", _tune_sqlite)
        event.listen(engine.sync_engine, "begin", _begin_immediate)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    # asyncpg waits 60 s for an unanswered connect: a database host that went dark would hold
    # every update that long before the person hears that the database is unreachable.
    kwargs.setdefault("connect_args", {"timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS})
    return create_async_engine(url, **kwargs)


# The inbox's pool (unpinged_engine): a statement or two an update, each a single round trip; a
# webhook's parallel deliveries store side by side. (A connection above the pool's size is closed
# when given back: under load that would be a connect every few updates.)
UNPINGED_POOL_SIZE = 4
UNPINGED_MAX_OVERFLOW = 4


def unpinged_engine(engine: AsyncEngine) -> AsyncEngine:
    """PostgreSQL: a second, small pool on `engine`'s database whose connections are not pinged
    when checked out; SQLite: `engine` itself (its one connection is shared by everything).

    For statements whose callers try them again when they fail (the inbox's): a connection the
    server dropped then costs one retry instead of pool_pre_ping's three round trips (BEGIN, the
    ping, ROLLBACK) on every use. Its statements are counted with `engine`'s
    (COUNT_SQL_STATEMENTS).
    """
    if engine.dialect.name != "postgresql":
        return engine
    unpinged = create_engine(
        engine.url.render_as_string(hide_password=False),
        pool_pre_ping=False,
        pool_size=UNPINGED_POOL_SIZE,
        max_overflow=UNPINGED_MAX_OVERFLOW,
    )
    count_like(engine, unpinged)
    return unpinged


class _RunAtOnce:
    """aiosqlite's work queue, except that each call runs at once, on the caller's thread."""

    def put_nowait(self, item: tuple[asyncio.Future | None, Callable[[], Any]]) -> None:
        future, call = item
        try:
            result = call()
        except BaseException as error:
            if future is None:
                raise
            future.set_exception(error)
        else:
            if future is not None:
                future.set_result(result)


class InlineSQLiteConnection(aiosqlite.Connection):
    """aiosqlite without its thread: SQLite runs on the event loop's thread.

    aiosqlite hands every call (cursor, execute, fetch, close: four per statement) to a thread
    and back, which costs some 65 us each, against 2-20 us for the call itself on a local file:
    the hand-overs were most of an answer's database time. SQLite calls here are short and
    bounded (WAL, synchronous=NORMAL: a commit does not wait for the disk), and the one thing
    that can take long, waiting for another connection's write lock, is never done inside
    SQLite: busy_timeout is 0 and _begin_immediate waits in asyncio between tries.
    """

    def __init__(self, database: str) -> None:
        super().__init__(partial(sqlite3.connect, database), iter_chunk_size=64)
        self._tx = _RunAtOnce()  # type: ignore[assignment]

    def __await__(self):
        return self._connect().__await__()  # no thread to start

    @property
    def sqlite(self) -> sqlite3.Connection:
        return self._conn


def _tune_sqlite(dbapi_connection, _record) -> None:
    # WAL lets readers run beside the one writer; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=0")  # never wait inside SQLite: see _begin_immediate
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # Let SQLAlchemy, not the driver, say when a transaction begins (see _begin_immediate).
    dbapi_connection.isolation_level = None


def _begin_immediate(connection) -> None:
    # A transaction that reads and then writes cannot wait for another writer in SQLite: it
    # fails at once with "database is locked". Taking the write lock at BEGIN makes concurrent
    # transactions queue instead of failing. While another connection (another process, or a
    # second engine in this one) holds the lock, wait in asyncio, so this event loop (and a
    # holder running on it) goes on meanwhile; give up after SQLITE_BUSY_TIMEOUT_MS.
    sqlite = connection.connection.driver_connection.sqlite
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    wait = _BUSY_FIRST_WAIT_SECONDS
    while True:
        try:
            sqlite.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            busy = error.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY  # or BUSY_RECOVERY, ...
            if not busy or time.monotonic() >= deadline:
                raise OperationalError("BEGIN IMMEDIATE", (), error) from error
        await_(asyncio.sleep(wait))
        wait = min(wait * 2, _BUSY_MAX_WAIT_SECONDS)


# Work this task keeps open in a session of its own that must reach the database before the task
# opens another session (bot.core.turns: an update's first statements wait there for its turn).
_before_new_session: ContextVar[Callable[[], Awaitable[None]] | None] = ContextVar(
    "before_new_session", default=None
)


@contextmanager
def settled_before_new_sessions(settle: Callable[[], Awaitable[None]]) -> Iterator[None]:
    """While inside, `async with` on a new session first awaits `settle()` (in this context)."""
    token = _before_new_session.set(settle)
    try:
        yield
    finally:
        _before_new_session.reset(token)


class Session(AsyncSession):
    """An AsyncSession that lets pending work of its task settle before it opens.

    SQLite has one pooled connection (see create_engine): a second session opened while a first
    one holds it open would wait for it forever.
    """

    async def __aenter__(self) -> Session:
        settle = _before_new_session.get()
        if settle is not None:
            await settle()
        return await super().__aenter__()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=Session, expire_on_commit=False)
