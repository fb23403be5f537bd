"""What the update being handled knows about its inbox row (bot/ops/inbox.py sets it).

The guard (bot/core/guards.py) and the error handler (bot/core/errors.py) run inside the handling
and read it: whether the update leaves the inbox in its own transaction, whether that transaction
was committed, and whether a failure now is retried later (so the person hears nothing yet) or
was the last attempt (so they hear one apology). An update handled outside the inbox (none set)
is handled once: it fails with an apology.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class InboxHandling:
    update_id: int
    # This handling is the update's last chance: a failure now marks it dead.
    last_attempt: bool
    # The guard deletes the inbox row with the processed_update row, in the update's own
    # transaction: only where one instance runs (SQLite), whose worker keeps a chat's order in
    # memory. Elsewhere the row stays claimed until the whole handling (replies too) is done.
    forget_with_handling: bool
    # Set once the transaction that recorded the update as handled is committed.
    committed: bool = False
    # The person was told this handling failed (each handler group's failure reaches the error
    # handler: one message is enough).
    told: bool = False

    def note_committed(self) -> None:
        self.committed = True


_current: ContextVar[InboxHandling | None] = ContextVar("inbox_handling", default=None)


def current_inbox_handling() -> InboxHandling | None:
    return _current.get()


def set_inbox_handling(handling: InboxHandling | None):
    """Set for the handling that follows in this context; the token resets it."""
    return _current.set(handling)


def reset_inbox_handling(token) -> None:
    _current.reset(token)
