"""/digest: a manager gets this week's digest now (the weekly run is
bot/scheduled/digest_run.py; both word it with bot/scheduled/digest_message.py)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import Application, ContextTypes

from bot.core.commands import Chat, Need, command_handler
from bot.core.i18n import N_
from bot.core.private_gate import refused
from bot.core.runtime import runtime
from bot.core.turns import open_turn
from bot.scheduled.digest_message import digest_parts
from bot.services.digests import compose_digest
from bot.services.schedules import team_zone

MANAGERS_ONLY_TEXT = N_("The digest is for a team's managers. /progress shows your own progress.")


def register(app: Application, group: int) -> None:
    app.add_handler(command_handler(Chat.PRIVATE, "digest", digest_command), group)


async def digest_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/digest: this week's digest now, to the manager asking; not logged, so the scheduled
    one still goes out."""
    rt = runtime(context)
    message = update.effective_message
    async with open_turn(rt, update.effective_user) as turn:
        if await refused(turn, message, Need.MANAGER, MANAGERS_ONLY_TEXT):
            return
        team, round_ = turn.assessment.team, turn.assessment.round
        today = turn.now.astimezone(ZoneInfo(team_zone(team, rt.settings.default_timezone)))
        digest, _recipients = await compose_digest(
            turn.session, turn.pack, team, round_, today.date()
        )
    for part in await digest_parts(digest, for_group=False):
        await part(context.bot, message.chat_id)
