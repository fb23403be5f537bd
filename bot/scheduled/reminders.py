"""The reminder's Continue button, followed to the reminder's team (the run that sends reminders
is bot/scheduled/reminder_run.py; its other button, pausing for a week, is /away's).

This handler serves private chats, yet lives beside the run: it exists only because a reminder
can come from a team that is not the person's active one, and is meaningless without it.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.core.callbacks import ANSWER_PATTERN, parse_answer_button
from bot.core.runtime import runtime
from bot.services.reminders import switch_to_round_team


def register(app: Application, group: int) -> None:
    # One group before the answering handlers: a reminder from a team that is not the person's
    # active one switches them to it first, so its Continue button opens that team's question.
    app.add_handler(
        CallbackQueryHandler(follow_reminder_to_its_team, pattern=ANSWER_PATTERN), group - 1
    )


async def follow_reminder_to_its_team(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A 'resume' button: make its round's team the person's active one, if they belong to it."""
    button = parse_answer_button(update.callback_query.data)
    if button is None or button.action != "resume":
        return
    async with runtime(context).sessions() as session:
        if await switch_to_round_team(session, update.effective_user.id, button.round_id):
            await session.commit()
    # No ApplicationHandlerStop: the answering handler acts on the button next.
