"""Frameworks: /pack (the team's and the others), a manager's .yaml file (their own framework)
and its "use for a team" buttons.

A .yaml file from someone who manages no team is an answer's attachment like any other file,
so it is handed to the answering flow untouched.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.core.callbacks import PACK_FOR_TEAM_PATTERN
from bot.core.commands import PRIVATE, Chat, command_handler
from bot.core.i18n import _
from bot.core.render import esc, split_message
from bot.core.runtime import runtime
from bot.core.turns import open_turn
from bot.manage import pack_view as view
from bot.private import answer_input
from bot.services import packs
from bot.services.membership import teams_of
from criteria.loader import PackError
from criteria.upload import MAX_FILE_BYTES, Refusal, UploadRefused, check_upload, uploaded_key
from storage.models import Role

log = logging.getLogger(__name__)

PACK_FILES = filters.Document.FileExtension("yaml") | filters.Document.FileExtension("yml")


def register(app: Application, group: int) -> None:
    """Before answering's attachments in the same group: a manager's .yaml is a framework."""
    app.add_handler(command_handler(Chat.PRIVATE, "pack", pack_command), group)
    app.add_handler(
        MessageHandler(PRIVATE & filters.UpdateType.MESSAGE & PACK_FILES, pack_file), group
    )
    app.add_handler(CallbackQueryHandler(pack_for_team, pattern=PACK_FOR_TEAM_PATTERN), group)


async def pack_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/pack: the team's framework, and every other one this person may use."""
    rt = runtime(context)
    message = update.effective_message
    async with open_turn(rt, update.effective_user) as turn:
        team_id = turn.assessment.team.id if turn.assessment else None
        choices = await packs.choices_for(turn.session, rt.packs, turn.person.id, team_id)
        blocks = []
        if turn.assessment is not None:
            blocks.append(
                _("🧭 <b>{team}</b> answers {pack}").format(
                    team=esc(turn.assessment.team.name),
                    pack=view.pack_line(rt.packs.get(turn.assessment.round.pack_id), turn.language),
                )
            )
        listed = [f"• {view.pack_line(choice.pack, turn.language)}" for choice in choices]
        blocks.append(_("<b>Frameworks you can use</b>") + "\n" + "\n".join(listed))
        blocks.append(
            _(
                "<code>/newteam NAME PACK-ID</code> starts a team on one, "
                "<code>/round new NAME PACK-ID</code> moves a team to another (managers). "
                "To bring your own, send me its .yaml file."
            )
        )
        for part in split_message(blocks):
            await message.reply_text(part)


async def pack_file(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A .yaml file: a manager's framework, checked and kept; anyone else's, an attachment."""
    rt = runtime(context)
    message = update.effective_message
    document = message.document
    async with open_turn(rt, update.effective_user) as turn:
        mine = await teams_of(turn.session, turn.person.id)
        managed = [of.team for of in mine if of.role == Role.MANAGER]
        if managed:
            text, keyboard = await _checked_upload(context, turn, document, managed)
            await turn.commit()
            await message.reply_text(text, reply_markup=keyboard)
    if not managed:
        await answer_input.attachment_answer(update, context)


async def _checked_upload(context, turn, document, managed):
    """The reply to an uploaded file: its refusal, its problems, or its summary and buttons."""
    if document.file_size and document.file_size > MAX_FILE_BYTES:
        refusal = UploadRefused(Refusal.TOO_BIG, {"limit_kb": MAX_FILE_BYTES // 1024})
        return view.refusal_text(refusal), None
    try:
        file = await context.bot.get_file(document.file_id)
        data = bytes(await file.download_as_bytearray())
    except TelegramError:
        log.warning("could not download an uploaded pack", exc_info=True)
        return _("I could not download that file. Please send it again."), None
    try:
        pack, source = check_upload(data, document.file_name or "pack.yaml")
    except UploadRefused as refused:
        return view.refusal_text(refused), None
    except PackError as error:
        return view.problems_text(error), None
    row, outcome = await packs.store_upload(turn.session, turn.person, pack, source)
    if outcome == packs.StoreOutcome.CHANGED:
        return (
            _(
                "You sent version {version} of <code>{id}</code> before, with other contents. "
                "Rounds keep the version they started with, so change <code>version:</code> "
                "in the file and send it again."
            ).format(version=esc(pack.version), id=esc(pack.id)),
            None,
        )
    key = uploaded_key(row.id)
    runtime(context).packs.remember(key, pack)
    header = (
        _("✅ Your framework is checked and kept:")
        if outcome == packs.StoreOutcome.NEW
        else _("You sent this version before; here it is again:")
    )
    text = "\n".join(
        [
            header,
            view.pack_details(pack, turn.language),
            "",
            _(
                "Only your teams can use it. A button below makes it a team's framework from its "
                "next round; /newteam offers it too."
            ),
        ]
    )
    return text, view.teams_keyboard(key, managed)


async def pack_for_team(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """'Use for TEAM': the team's next round is on this framework (checked again here)."""
    rt = runtime(context)
    query = update.callback_query
    match = PACK_FOR_TEAM_PATTERN.match(query.data)
    team_id, key = int(match["team"]), match["pack"]
    async with open_turn(rt, update.effective_user) as turn:
        team = await packs.managed_team(turn.session, turn.person.id, team_id)
        pack = None
        if team is not None:
            pack = await packs.may_use(turn.session, rt.packs, turn.person.id, key, team_id)
        if pack is None:
            await query.answer(_("You cannot use this framework for that team."), show_alert=True)
            return
        await packs.set_team_pack(turn.session, team, key)
        await turn.commit()
        await query.answer()
        await query.message.reply_text(
            _(
                "🧭 <b>{team}</b> will answer “{pack}” from its next round: "
                "<code>/round new NAME</code> starts it. The current round keeps its framework."
            ).format(team=esc(team.name), pack=esc(pack.translated(turn.language).title))
        )
