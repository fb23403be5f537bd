"""What one update costs the running bot's database: its statements and commits, the inbox's
own writes around it (bot/ops/inbox.py) checked and left out.

Used with a bot whose inbox claims are long (`running_bot(..., inbox_claim_seconds=300)`): a
renewal of them (a statement and a commit of no update) then never falls inside a measure.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy import event

from bot.core.runtime import RUNTIME_KEY
from tests.support.databases import StatementCounter

T = TypeVar("T")

# Storing the update claims it in the same statement; on SQLite the update leaves the inbox in
# the handling's own transaction (the guard's DELETE), on PostgreSQL once its replies are sent,
# so that no other instance starts the chat's next update meanwhile. On SQLite storing is a short
# transaction (its INSERT and a commit). On PostgreSQL both are one statement each, run on its
# own without a transaction (autocommit: no commit), from a pool of their own: storing calls
# inbox_store_claimed (migration 0011: the chat's advisory lock, then the INSERT), finishing
# deletes the rows of the updates handled within the last FINISH_BATCH_SECONDS and claims their
# chats' next (a WITH of a DELETE, a SELECT and an UPDATE). (The claim loop's reads
# are not counted: an idle worker looks every LOOK_EVERY_SECONDS, committing nothing.)
INBOX_WRITES = {
    "sqlite": ["INSERT INTO INBOX_UPDATE", "DELETE FROM INBOX_UPDATE"],
    "postgresql": ["SELECT CLAIMED FROM", "WITH DONE AS"],
}
INBOX_COMMITS = {"sqlite": 1, "postgresql": 0}
_INBOX_WORDS = ("lease", "inbox", "advisory")


class UpdateCost:
    """Statements and commits of the running bot's own engines, the inbox's pool's included
    (scheduler jobs left out)."""

    def __init__(self, application) -> None:
        runtime = application.bot_data[RUNTIME_KEY]
        self.dialect = runtime.engine.dialect.name
        self.statements = StatementCounter()
        self.commits = 0
        for engine in {runtime.engine.sync_engine, runtime.inbox_engine.sync_engine}:
            event.listen(engine, "before_cursor_execute", self.statements)
            event.listen(engine, "commit", self._on_commit)

    def _on_commit(self, _connection) -> None:
        self.commits += 1

    def of_updates(self) -> list[str]:
        return [s for s in self.statements.statements if not any(w in s for w in _INBOX_WORDS)]

    def inbox_writes(self) -> list[str]:
        return [
            " ".join(s.split()[:3]).upper()
            for s in self.statements.statements
            if "inbox_store_claimed" in s
            or ("inbox_update" in s and not s.lstrip().upper().startswith("SELECT"))
        ]

    async def of(self, fake, act: Callable[[], Awaitable[T]]) -> tuple[list[str], int, T]:
        """What the one update `act` sends costs: (its statements, its commits, what `act`
        returned), once its replies are sent and it has left the inbox."""
        await fake.wait_idle()
        with self.statements.measure():
            self.commits = 0
            result = await act()
            await fake.wait_idle()
            # The worker's delete (PostgreSQL) may come just after the reply.
            writes = INBOX_WRITES[self.dialect]
            await fake.wait_until(lambda: len(self.inbox_writes()) >= len(writes))
            assert self.inbox_writes() == writes
            return self.of_updates(), self.commits - INBOX_COMMITS[self.dialect], result

    async def of_typed_message(self, fake, person, text: str) -> tuple[list[str], int]:
        """A text added to the answer being written: (statements, commits)."""

        async def add() -> None:
            await person.send(text)
            await person.wait_for_message(contains="Added to your answer")

        statements, commits, _ = await self.of(fake, add)
        return statements, commits
