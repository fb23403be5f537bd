"""Async engine and sessions for SQLite (the embedded default) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_MS = 5000
POSTGRES_CONNECT_TIMEOUT_SECONDS = 10


def create_engine(url: str, **kwargs) -> AsyncEngine:
    """Build an engine; for SQLite create the file's folder and set WAL and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # SQLite has one writer at a time anyway. One pooled connection makes this process's
        # transactions queue in asyncio, handed over at once, instead of in SQLite's busy
        # handler, which sleeps and retries; BEGIN IMMEDIATE still orders other processes.
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_timeout", 60)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
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


def _tune_sqlite(dbapi_connection, _record) -> None:
    # WAL lets readers run beside the one writer; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # Let SQLAlchemy, not the driver, say when a transaction begins (see _begin_immediate).
    dbapi_connection.isolation_level = None


def _begin_immediate(connection) -> None:
    # A transaction that reads and then writes cannot wait for another writer in SQLite: it
    # fails at once with "database is locked". Taking the write lock at BEGIN makes concurrent
    # transactions queue (up to busy_timeout) instead of failing.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
