"""Removed people lose access at once: their next message or button is answered with
"You are no longer in <team>" before any feature can act on that team.

A removal deletes the membership but leaves Person.active_team_id pointing at the team; this
guard, which sees every private update before the features, notices that, tells the person once
and then lets them answer for another of their teams (or none). Their answers stay in the
rounds' record.
"""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, TypeHandler

from bot.core.callbacks import STILL_ALLOWED_BUTTON_PREFIXES
from bot.core.commands import STILL_ALLOWED_COMMANDS
from bot.core.i18n import _
from bot.core.render import esc
from bot.core.runtime import runtime
from bot.core.turns import keep_for_turn, update_session
from bot.core.update_log import note_outcome
from bot.services import membership
from storage.queries import person_state


def register(app: Application, group: int) -> None:
    app.add_handler(TypeHandler(Update, stop_removed_people), group)


async def stop_removed_people(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat, user = update.effective_chat, update.effective_user
    acts = update.message or update.edited_message or update.callback_query
    if acts is None or chat is None or user is None or chat.type != ChatType.PRIVATE:
        return  # the bot being blocked or unblocked, and group chats, are not this guard's
    if _still_allowed(update):
        return
    rt = runtime(context)
    async with update_session(rt) as session:
        state = await person_state(session, user.id)
        team = state.team_left_behind() if state is not None else None
        if team is None:
            keep_for_turn(state)  # this was the turn's first query
            return
        await membership.forget_active_team(session, user.id)
        await session.commit()
    # No turn here: this speaks the person's Telegram language (set before any feature runs).
    if update.callback_query is not None:
        text = _("You are no longer in {team}.").format(team=team.name)
        await update.callback_query.answer(text[:200], show_alert=True)
    else:
        await context.bot.send_message(
            chat.id,
            _(
                "You are no longer in <b>{team}</b>. Your answers stay in its record; "
                "/mydata sends you a copy and /forget deletes everything about you.\n"
                "/teams lists the teams you are still in."
            ).format(team=esc(team.name)),
        )
    note_outcome("handled")
    raise ApplicationHandlerStop


def _still_allowed(update: Update) -> bool:
    if update.callback_query is not None:
        return (update.callback_query.data or "").startswith(STILL_ALLOWED_BUTTON_PREFIXES)
    message = update.effective_message
    text = (message.text or "") if message else ""
    if not text.startswith("/"):
        return False
    command = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
    return command in STILL_ALLOWED_COMMANDS
