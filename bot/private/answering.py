"""The private-chat assessment: one question at a time, every reply saved the moment it arrives.

This module wires the answering handlers together and holds the person's own commands about it
(/next, /progress, /pause). What to show next is in `asking`, what a person sends in
`answer_input`, the buttons under a question in `answer_buttons`.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.core.callbacks import ANSWER_PATTERN
from bot.core.commands import PRIVATE, Chat, Need, command_handler
from bot.core.i18n import _
from bot.core.private_gate import refused
from bot.core.runtime import runtime
from bot.core.turns import open_turn
from bot.domain.progress import person_area_progress
from bot.private import question_view as view
from bot.private.answer_buttons import answer_button
from bot.private.answer_input import (
    ATTACHMENTS,
    UNSUPPORTED,
    attachment_answer,
    edited_answer,
    text_answer,
    unsupported_message,
)
from bot.private.asking import PAUSED_TEXT, Steps, resume


def register(app: Application, group: int) -> None:
    app.add_handler(command_handler(Chat.PRIVATE, "next", next_command), group)
    app.add_handler(command_handler(Chat.PRIVATE, "progress", progress_command), group)
    app.add_handler(command_handler(Chat.PRIVATE, "pause", pause_command), group)
    app.add_handler(CallbackQueryHandler(answer_button, pattern=ANSWER_PATTERN), group)
    app.add_handler(
        MessageHandler(
            PRIVATE & filters.UpdateType.EDITED_MESSAGE & (filters.TEXT | filters.CAPTION),
            edited_answer,
        ),
        group,
    )
    app.add_handler(
        MessageHandler(
            PRIVATE & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, text_answer
        ),
        group,
    )
    app.add_handler(
        MessageHandler(PRIVATE & filters.UpdateType.MESSAGE & ATTACHMENTS, attachment_answer),
        group,
    )
    app.add_handler(
        MessageHandler(PRIVATE & filters.UpdateType.MESSAGE & UNSUPPORTED, unsupported_message),
        group,
    )


async def next_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/next: resume exactly where the person stopped."""
    async with open_turn(runtime(context), update.effective_user) as turn:
        if await refused(turn, update.effective_message, Need.MEMBER):
            return
        await resume(turn, context, update.effective_chat.id)


async def progress_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/progress: done and total per area."""
    async with open_turn(runtime(context), update.effective_user) as turn:
        if await refused(turn, update.effective_message, Need.MEMBER):
            return
        areas = person_area_progress(turn.pack, await turn.statuses())
        await update.effective_message.reply_text(
            view.progress_text(turn.assessment.team.name, areas)
        )


async def pause_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/pause: stop asking until /next; everything typed so far is saved."""
    async with open_turn(runtime(context), update.effective_user) as turn:
        if await refused(turn, update.effective_message, Need.MEMBER):
            return
        turn.conversation.step = Steps.PAUSED
        await turn.commit()
        await update.effective_message.reply_text(_(PAUSED_TEXT))
