"""Typed texts on actions: an owner's progress note or reason for blocking, a manager's reason
for dropping or reassigning.

A tap asks; the next text the person types within a while is kept in the action's history
(bot.services.action_notes). This handler runs before the answering flow and takes a text only
when such a wait is open, so any other text still answers questions as before.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, MessageHandler, filters

from bot.core.commands import PRIVATE
from bot.core.i18n import N_, _
from bot.core.render import esc, preview
from bot.core.runtime import runtime
from bot.core.turns import Turn, kept_person_state, open_turn, update_session
from bot.manage.themes import typed_theme
from bot.services import action_notes as notes
from bot.services.membership import role_in_team
from storage.models import Action, Role
from storage.statuses import OPEN_ACTION_STATUSES, ActionStatus

ASK_TEXTS = {
    notes.NOTE: N_("📝 Type your progress note on <b>{title}</b>:"),
    notes.BLOCKED: N_("⛔ What is blocking <b>{title}</b>? Type the reason:"),
    notes.DROPPED: N_("✖️ Why was <b>{title}</b> dropped? Type the reason:"),
    notes.REASSIGNED: N_("👤 Why was <b>{title}</b> reassigned? Type the reason:"),
}
KEPT_TEXTS = {
    notes.NOTE: N_("📝 Progress note saved on <b>{title}</b>."),
    notes.BLOCKED: N_("⛔ Reason saved: the team sees why <b>{title}</b> is blocked."),
    notes.DROPPED: N_("✖️ Reason saved for dropping <b>{title}</b>."),
    notes.REASSIGNED: N_("👤 Reason saved for reassigning <b>{title}</b>."),
}
TITLE_CHARS = 80


def register(app: Application, group: int) -> None:
    """`group` runs before the answering flow's: a text taken here stops there."""
    app.add_handler(
        MessageHandler(
            PRIVATE & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, typed_text
        ),
        group,
    )


async def ask(turn: Turn, message, action: Action, what: str) -> None:
    """After a tap: wait for the person's typed text about `action`, and say so."""
    await notes.wait_for_text(turn.session, action, turn.person.id, what, turn.now)
    await turn.commit()
    await message.reply_text(
        _(ASK_TEXTS[what]).format(title=esc(preview(action.title, TITLE_CHARS)))
    )


def _allowed(action: Action, what: str, person_id: int, role: str | None) -> bool:
    """Checked again when the text arrives: the action or the team may have changed since."""
    if what in (notes.NOTE, notes.BLOCKED):
        if action.owner_id != person_id or action.status not in OPEN_ACTION_STATUSES:
            return False
        return what == notes.NOTE or action.status == ActionStatus.BLOCKED
    return role == Role.MANAGER


async def typed_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A text something waits for is kept on the action; any other goes on to the answers."""
    message = update.effective_message
    text = (message.text or "").strip()
    rt = runtime(context)
    if not text:
        return
    user_id = update.effective_user.id
    read, state = kept_person_state(user_id)
    if read and (state is None or not notes.may_be_waiting(state.text_wait_since, rt.clock())):
        return  # the guards' read of the person says nothing waits: no query of its own
    async with update_session(rt) as session:
        found = await notes.waiting_for(session, user_id, rt.clock())
    if not found:
        return
    async with open_turn(rt, update.effective_user) as turn:
        wait, action = found
        what = wait.kind.removeprefix(notes.ASK)
        if action is None:  # a key theme in the manager's words
            await typed_theme(turn, rt.packs, message, wait, text)
            raise ApplicationHandlerStop
        role = await role_in_team(turn.session, action.team_id, turn.person.id)
        if role is None or not _allowed(action, what, turn.person.id, role):
            await notes.forget_wait(turn.session, wait)
            await turn.commit()
            await message.reply_text(_("This action has changed since, so nothing was saved."))
            raise ApplicationHandlerStop
        await notes.keep_text(turn.session, wait, action, text, turn.now)
        await turn.commit()
        await message.reply_text(
            _(KEPT_TEXTS[what]).format(title=esc(preview(action.title, TITLE_CHARS)))
        )
    raise ApplicationHandlerStop
