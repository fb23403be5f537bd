"""Who may use a private-chat command: the one gate, and its refusals.

Like `refused` for groups (bot/core/group_turn.py): a command needing a team is refused with
"no team" or "no open round", and a managers' command refuses members. Commands whose refusal
says more (what a member can do instead) pass their own managers-only text; it may name the
{team}.
"""

from __future__ import annotations

from telegram import Message

from bot.core.commands import Need
from bot.core.i18n import N_, _
from bot.core.render import esc
from bot.core.turns import Turn
from storage.models import Role

# Marked only: refusal() translates them into the person's language.
NO_TEAM_TEXT = N_(
    "You are not in a team yet. Ask your manager for an invite link and tap it, "
    "or start a team of your own with <code>/newteam Team name</code>."
)
NO_ROUND_TEXT = N_("Your team has no open assessment round right now. Your manager can start one.")
MANAGERS_ONLY_TEXT = N_("Only the team's managers can do that.")


def refusal(turn: Turn, need: Need, managers_only: str = MANAGERS_ONLY_TEXT) -> str | None:
    """Why this person may not do this (HTML), or None when they may."""
    if turn.assessment is None:
        return _(NO_ROUND_TEXT if turn.person.active_team_id else NO_TEAM_TEXT)
    if need is Need.MANAGER and turn.assessment.role != Role.MANAGER:
        return _(managers_only).format(team=esc(turn.assessment.team.name))
    return None


async def refused(
    turn: Turn, message: Message, need: Need, managers_only: str = MANAGERS_ONLY_TEXT
) -> bool:
    """Tell the person why not and return True, or return False when they may go on."""
    reason = refusal(turn, need, managers_only)
    if reason is None:
        return False
    await message.reply_text(reason)
    return True
