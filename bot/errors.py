"""The one error handler: log with the trace, tell the person briefly, expect Telegram's noise."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, Forbidden, TimedOut
from telegram.ext import ContextTypes

log = logging.getLogger(__name__)

APOLOGY = (
    "😕 Sorry, something went wrong on my side. Your earlier answers are safe — "
    "please send that again in a minute."
)
EXPECTED_BAD_REQUESTS = ("message is not modified", "query is too old", "message to edit not found")


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
    log.error("unhandled error in update %s", update_id, exc_info=error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(update.effective_chat.id, APOLOGY)
        except Exception:  # the apology is best effort; the trace above is what matters
            log.warning("could not send the apology", exc_info=True)
