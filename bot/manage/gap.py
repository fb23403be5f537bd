"""/gap in a manager's private chat: how managers and members score each area, side by side
(the same view as the group's /gap, bot/group/scores.py)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, ContextTypes

from bot.core.commands import Chat, Need, command_handler
from bot.core.private_gate import refused
from bot.core.render import split_message
from bot.core.runtime import runtime
from bot.core.turns import open_turn
from bot.group.scores import gap_blocks
from bot.services import scores


def register(app: Application, group: int) -> None:
    app.add_handler(command_handler(Chat.PRIVATE, "gap", gap_command), group)


async def gap_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/gap (managers): the perception gap of the open round: scores, maturity, completion."""
    message = update.effective_message
    async with open_turn(runtime(context), update.effective_user) as turn:
        if await refused(turn, message, Need.MANAGER):
            return
        team = turn.assessment.team
        rows = await scores.team_scores(turn.session, turn.round_id)
        answers = await scores.perception_rows(turn.session, team.id, turn.round_id)
        blocks = gap_blocks(turn.pack, team, rows, answers)
    for part in split_message(blocks):
        await message.reply_text(part)
