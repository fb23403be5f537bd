"""The one error handler: log with the trace, tell the person briefly, expect Telegram's noise.

An update from the inbox whose handling failed before it was recorded as handled is tried again
(bot/ops/inbox.py): the person hears nothing until the last attempt, so one apology at most, and
none when a retry succeeds.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    InterfaceError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from telegram import Update
from telegram.error import BadRequest, Forbidden, TimedOut
from telegram.ext import ContextTypes

from bot.core.i18n import N_, _
from bot.core.inbox_handling import current_inbox_handling
from bot.core.turns import current_work

log = logging.getLogger(__name__)

# Marked only: sent with _() in the language of the update that failed.
APOLOGY = N_(
    "😕 Sorry, something went wrong on my side. Your earlier answers are safe — "
    "please send that again in a minute."
)
DATABASE_UNREACHABLE = N_(
    "⚠️ I can't reach my database right now. Your message was not lost — "
    "please send it again in a minute."
)
EXPECTED_BAD_REQUESTS = ("message is not modified", "query is too old", "message to edit not found")
# Errors that mean a bug in a statement, not a database that is away: those get the apology.
_STATEMENT_ERRORS = (IntegrityError, DataError, ProgrammingError, NotSupportedError)
_DRIVER_MODULES = ("sqlalchemy", "asyncpg", "aiosqlite", "sqlite3")


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    error = context.error
    if isinstance(error, BadRequest) and any(
        text in str(error).lower() for text in EXPECTED_BAD_REQUESTS
    ):
        log.info("expected Telegram answer: %s", error)
        return
    if isinstance(error, Forbidden):
        log.info("cannot write to a chat: %s", error)
        return
    if isinstance(error, TimedOut):
        log.warning("Telegram timed out: %s", error)
        return
    update_id = update.update_id if isinstance(update, Update) else None
    if not await _told_now(update_id):
        log.warning("update %s failed (tried again, or the person was told): %r", update_id, error)
        return
    if database_unreachable(error):
        # An outage, not a bug: one line per update instead of a trace each; the pool reconnects
        # by itself (pool_pre_ping), so the person's resend will work once it is back.
        log.warning("database unreachable in update %s: %r", update_id, error)
        reply = DATABASE_UNREACHABLE
    else:
        log.error("unhandled error in update %s", update_id, exc_info=error)
        reply = APOLOGY
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(update.effective_chat.id, _(reply))
        except Exception:  # the apology is best effort; the trace above is what matters
            log.warning("could not send the apology", exc_info=True)


async def _told_now(update_id: int | None) -> bool:
    """Whether the person hears of this failure now; else the update is tried again, silently.

    What the update's guards began and did not commit is rolled back here, whatever follows:
    the apology's request would otherwise commit it (bot.core.rate_limit) and record a failed
    update as handled.
    """
    handling = current_inbox_handling()
    if handling is None or handling.update_id != update_id:
        return True  # not from the inbox: handled once
    if handling.told:
        return False
    if not handling.committed:
        work = current_work()
        if work is not None:
            await work.discard()
        if not handling.last_attempt:
            return False
    # Recorded as handled already (no retry comes), or the last attempt.
    handling.told = True
    return True


def database_unreachable(error: BaseException | None) -> bool:
    """Whether the error says the database is away (down, refusing, timing out, file gone)."""
    if isinstance(error, (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)):
        return True
    if isinstance(error, DBAPIError):
        return not isinstance(error, _STATEMENT_ERRORS)
    # asyncpg raises plain OSErrors (connection refused, timeouts) while connecting.
    return isinstance(error, OSError) and _raised_in_driver(error)


def _raised_in_driver(error: BaseException) -> bool:
    frame = error.__traceback__
    while frame is not None:
        module = frame.tb_frame.f_globals.get("__name__", "")
        if module.split(".")[0] in _DRIVER_MODULES:
            return True
        frame = frame.tb_next
    return False
