"""Counts the SQL statements and commits an engine runs: how the benchmarks see the bot's
database work from outside its process (COUNT_SQL_STATEMENTS=1, read on /healthz).

Transaction control (BEGIN, COMMIT, SAVEPOINT...) is not a statement here: commits are counted
on their own, so "statements per update" is the queries the bot asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@dataclass
class StatementCount:
    statements: int = 0
    commits: int = 0

    def _on_statement(self, _conn, _cursor, statement: str, *_args) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            self.statements += 1

    def _on_commit(self, _conn) -> None:
        self.commits += 1


_counts: WeakKeyDictionary[Engine, StatementCount] = WeakKeyDictionary()


def count_statements(engine: AsyncEngine) -> StatementCount:
    """Start counting what `engine` runs (once per engine); returns the running count."""
    sync_engine = engine.sync_engine
    if sync_engine not in _counts:
        count = StatementCount()
        event.listen(sync_engine, "before_cursor_execute", count._on_statement)
        event.listen(sync_engine, "commit", count._on_commit)
        _counts[sync_engine] = count
    return _counts[sync_engine]


def count_like(counted: AsyncEngine, other: AsyncEngine) -> None:
    """Count what `other` runs into `counted`'s count, if `counted` is counted (one figure for
    the process's database work, whichever pool ran it)."""
    count = _counts.get(counted.sync_engine)
    if count is not None and other.sync_engine not in _counts:
        event.listen(other.sync_engine, "before_cursor_execute", count._on_statement)
        event.listen(other.sync_engine, "commit", count._on_commit)
        _counts[other.sync_engine] = count


def statement_count(engine: AsyncEngine) -> StatementCount | None:
    """The count of an engine counted by count_statements, else None."""
    return _counts.get(engine.sync_engine)
