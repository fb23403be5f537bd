"""One structured log line per update: id, kind, the handler that took it, outcome, duration.

    update_id=812 kind=message handler=text_answer outcome=handled duration_ms=14.2

The line never carries message text or the token, so INFO logs are safe to keep and ship. The
same fields are attached to the record (`record.update_id`, ...) for a JSON formatter.

How it knows: PerChatUpdateProcessor runs each update through `logged_update`, which puts an
UpdateRecord in a context variable for the update's task; every handler callback is wrapped
(`instrument_handlers`) to write its name into that record, and to mark "error" when it raises.
The duplicate guard marks "duplicate" itself (`note_outcome`).
"""

from __future__ import annotations

import contextvars
import functools
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, Literal

from telegram import Update
from telegram.constants import UpdateType
from telegram.ext import Application, ApplicationHandlerStop

log = logging.getLogger("bot.updates")

Outcome = Literal["handled", "ignored", "duplicate", "error"]


@dataclass
class UpdateRecord:
    update_id: int | None
    kind: str
    handlers: list[str] = field(default_factory=list)
    outcome: Outcome | None = None
    started: float = field(default_factory=time.perf_counter)

    def final_outcome(self) -> Outcome:
        if self.outcome is not None:
            return self.outcome
        return "handled" if self.handlers else "ignored"


_current: contextvars.ContextVar[UpdateRecord | None] = contextvars.ContextVar(
    "update_record", default=None
)


def update_kind(update: object) -> str:
    """Which field of the update is set: message, callback_query, poll_answer, ..."""
    if not isinstance(update, Update):
        return type(update).__name__
    for kind in UpdateType:
        if getattr(update, kind.value, None) is not None:
            return kind.value
    return "unknown"


def note_outcome(outcome: Outcome) -> None:
    """Let a handler say what became of the update (the duplicate guard: "duplicate")."""
    record = _current.get()
    if record is not None:
        record.outcome = outcome


async def logged_update(update: object, processing: Awaitable[Any]) -> None:
    """Await the update's processing and log its one line, whatever happens."""
    record = UpdateRecord(
        update_id=update.update_id if isinstance(update, Update) else None,
        kind=update_kind(update),
    )
    token = _current.set(record)
    try:
        await processing
    except BaseException:
        record.outcome = "error"
        raise
    finally:
        _current.reset(token)
        _log(record)


def _log(record: UpdateRecord) -> None:
    fields = {
        "update_id": record.update_id,
        "kind": record.kind,
        "handler": ",".join(record.handlers) or "-",
        "outcome": record.final_outcome(),
        "duration_ms": round((time.perf_counter() - record.started) * 1000, 1),
    }
    log.info(" ".join(f"{name}={value}" for name, value in fields.items()), extra=fields)


def instrument_handlers(application: Application, first_feature_group: int) -> None:
    """Wrap every registered callback so the update's record learns who handled it.

    Groups before `first_feature_group` (guards, language) see every update: running them does
    not count as handling it, unless they stop it (ApplicationHandlerStop).
    """
    for group, handlers in application.handlers.items():
        for handler in handlers:
            if getattr(handler.callback, "_logs_update", False):
                continue
            handler.callback = _recording(handler.callback, counts=group >= first_feature_group)


def _recording(callback, counts: bool):
    name = getattr(callback, "__name__", type(callback).__name__)

    @functools.wraps(callback)
    async def recording_callback(update: object, context: Any) -> Any:
        record = _current.get()
        if record is not None and counts:
            record.handlers.append(name)
        try:
            return await callback(update, context)
        except ApplicationHandlerStop:
            # "Nobody after me": not an error. A guard that stops an update has taken it.
            if record is not None and not counts:
                record.handlers.append(name)
            raise
        except Exception:
            if record is not None:
                record.outcome = "error"
                if not counts:  # name the guard that failed, since no feature ran
                    record.handlers.append(name)
            raise

    recording_callback._logs_update = True  # type: ignore[attr-defined]
    return recording_callback
