"""/themes in a team's group: the key themes for everyone, read-only (managers pick them in
their private chat, bot/manage/themes.py)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, ContextTypes

from bot.core.commands import Chat, command_handler
from bot.core.group_turn import Need, open_group_turn, refused
from bot.core.runtime import runtime
from bot.manage.plan_view import themes_view
from bot.services.actions import themes_of_round


def register(app: Application, group: int) -> None:
    app.add_handler(command_handler(Chat.GROUP, "themes", group_themes_command), group)


async def group_themes_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/themes: the round's priorities and strengths to keep, without buttons."""
    message = update.effective_message
    async with open_group_turn(runtime(context), update.effective_user, message.chat_id) as turn:
        if await refused(turn, update, Need.MEMBER, needs_round=True):
            return
        themes = await themes_of_round(turn.session, turn.round.id)
    texts, _keyboard = themes_view(turn.pack, turn.team.name, themes, manager=False)
    for text in texts:
        await message.reply_text(text)
