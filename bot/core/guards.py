"""What runs before and after the feature handlers: duplicate updates, and what nothing else took.

Telegram may deliver an update twice (a retried webhook, a restart before the offset was
confirmed); the processed_update table makes the second delivery a no-op.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.core.commands import PRIVATE
from bot.core.i18n import _
from bot.core.inbox_handling import current_inbox_handling
from bot.core.runtime import runtime
from bot.core.turns import update_session
from bot.core.update_log import note_outcome
from bot.services.inbox import forget_received, when_committed
from bot.services.updates import forget_updates_before, record_update
from storage.types import utcnow

log = logging.getLogger(__name__)
REMEMBER_UPDATES_FOR = timedelta(days=2)


def register_first(app: Application, group: int) -> None:
    app.add_handler(TypeHandler(Update, drop_duplicate_update), group)


def register_last(app: Application, group: int) -> None:
    app.add_handler(CallbackQueryHandler(unknown_button), group)
    app.add_handler(MessageHandler(PRIVATE & filters.COMMAND, unknown_command), group)


async def drop_duplicate_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop here if this update id was handled before.

    The row is written in the update's own transaction (bot.core.turns), so it is committed together
    with the answer it led to: a crash in between loses both, and the redelivery is handled again.
    On SQLite the update also leaves the inbox (bot/ops/inbox.py) in that transaction; elsewhere
    its row stays claimed until the worker has finished it, replies and all, so the chat's next
    update cannot start on another instance meanwhile (bot/core/inbox_handling.py).
    """
    handling = current_inbox_handling()
    if handling is not None and handling.update_id != update.update_id:
        handling = None
    try:
        async with update_session(runtime(context)) as session:
            await record_update(session, update.update_id, utcnow())
            if handling is not None:
                if handling.forget_with_handling:
                    await forget_received(session, update.update_id)
                when_committed(session, handling.note_committed)
    except IntegrityError:
        log.info("duplicate update %s dropped", update.update_id)
        note_outcome("duplicate")
        raise ApplicationHandlerStop from None


async def forget_old_updates(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Daily: update ids only need remembering for as long as Telegram might redeliver."""
    async with runtime(context).sessions() as session:
        await forget_updates_before(session, utcnow() - REMEMBER_UPDATES_FOR)


async def unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button no handler recognises: forged, or from a version of the bot that is gone."""
    await update.callback_query.answer(_("This button is no longer valid."), show_alert=True)


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(
        _("I don't know that command. /help lists what I can do.")
    )
