"""The team's strengths and opportunities for improvement, area by area, in its group chat.

Once a consensus vote closes, the bot asks two questions (bot/group/consensus.py); a reply to
either reaches the bot even with privacy mode on and is added to that area's Consensus row, up to
a limit shared by all replies of the area.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.core.group_turn import Need, open_group_turn, refused
from bot.core.i18n import _
from bot.core.i18n import number as written_number
from bot.core.render import esc
from bot.core.runtime import runtime
from bot.domain.compare import add_note
from bot.services import consensus as ballots
from storage.models import AssessmentRound
from storage.types import utcnow

NOTE_MAX_CHARS = 8000  # strengths or improvements of one area, all replies together
STRENGTHS, IMPROVEMENTS = "strengths", "improvements"


async def reply_received(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A reply to the strengths or improvements question: added to what the team agreed."""
    message = update.effective_message
    async with open_group_turn(runtime(context), update.effective_user, message.chat_id) as turn:
        found = await ballots.consensus_for_reply(
            turn.session, message.chat_id, message.reply_to_message.message_id
        )
        if found is None:
            return  # a reply to some other message of ours: nothing to record
        row, field = found
        round_ = await turn.session.get(AssessmentRound, row.round_id)
        if turn.team is None or round_.team_id != turn.team.id:
            return  # the group was linked to another team since: that question is gone
        if await refused(turn, update, Need.MEMBER):
            return
        added = add_note(getattr(row, field), message.text, NOTE_MAX_CHARS)
        if not added.kept:
            await message.reply_text(
                _(
                    "This area's notes are full ({limit} characters), so your reply was not added."
                ).format(limit=written_number(NOTE_MAX_CHARS))
            )
            return
        setattr(row, field, added.text)
        row.updated_at = utcnow()
        await turn.session.commit()
        area_title = turn.pack.area(row.area_id).title if turn.pack else row.area_id
    if field == STRENGTHS:
        noted = _("📝 Noted as a strength for <b>{area}</b>.")
    else:
        noted = _("📝 Noted as an opportunity for improvement for <b>{area}</b>.")
    text = noted.format(area=esc(area_title))
    if added.dropped:
        text += "\n" + _(
            "✂️ Only the first {kept} of your {total} characters fit: this area's notes are full "
            "({limit} characters). The rest was not saved."
        ).format(
            kept=written_number(added.kept),
            total=written_number(added.kept + added.dropped),
            limit=written_number(NOTE_MAX_CHARS),
        )
    await message.reply_text(text)
