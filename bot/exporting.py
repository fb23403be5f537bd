"""/export: a manager gets the current round's answers as files (XLSX, CSV, PDF, Markdown).

Thin on purpose: check who asks, gather the round in one short session, then build the files
in a worker thread (bot.export is plain Python) so everyone else's updates keep being answered
while charts and PDF pages are drawn.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from bot import answering
from bot.export.bundle import build_exports
from bot.export.data import RoundReport, gather_round_report
from bot.export.limits import TELEGRAM_UPLOAD_LIMIT_BYTES, ExportFile
from bot.i18n import N_, _
from bot.render import esc
from bot.runtime import runtime
from bot.turns import open_turn
from storage.models import Role

log = logging.getLogger(__name__)

COMMAND = "export"
# For the private-chat command menu (onboarding.PRIVATE_COMMANDS).
MENU_ENTRY = (COMMAND, N_("Answers as spreadsheet and report (managers)"))
MANAGERS_ONLY_TEXT = N_(
    "🔒 Only managers of <b>{team}</b> can export its answers. Ask one of them for the "
    "spreadsheet or the report."
)
UPLOAD_WRITE_TIMEOUT = 300  # seconds
PREPARING_TEXT = N_(
    "⏳ Preparing the answers of <b>{team}</b> · {round}: spreadsheet, CSV and report…"
)


def register(
    app: Application, group: int, *, upload_limit: int = TELEGRAM_UPLOAD_LIMIT_BYTES
) -> None:
    """Add /export; files bigger than `upload_limit` bytes are zipped or split to fit."""

    async def export_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/export: the active team's current round as documents, for its managers."""
        await send_export(update, context, upload_limit)

    app.add_handler(
        CommandHandler(COMMAND, export_command, filters=filters.ChatType.PRIVATE), group
    )


async def send_export(
    update: Update, context: ContextTypes.DEFAULT_TYPE, upload_limit: int
) -> None:
    message = update.effective_message
    async with open_turn(runtime(context), update.effective_user) as turn:
        assessment = turn.assessment
        if assessment is None:
            no_team = not turn.person.active_team_id
            await message.reply_text(
                _(answering.NO_TEAM_TEXT if no_team else answering.NO_ROUND_TEXT)
            )
            return
        if assessment.role != Role.MANAGER:
            await message.reply_text(_(MANAGERS_ONLY_TEXT).format(team=esc(assessment.team.name)))
            return
        # Only the asking manager's active team and its open round: nothing else is read. The
        # pack comes in the manager's language, so questions read as they see them in the chat.
        report = await gather_round_report(
            turn.session, turn.pack, assessment.team.id, assessment.round.id
        )

    # The session is closed from here on: building the files can take seconds.
    await message.reply_text(
        _(PREPARING_TEXT).format(team=esc(report.team_name), round=esc(report.round.name))
    )
    await context.bot.send_chat_action(message.chat.id, ChatAction.UPLOAD_DOCUMENT)
    files = await asyncio.to_thread(build_exports, report, upload_limit)
    log.info(
        "export of round %s: %d files, %d bytes",
        report.round.id,
        len(files),
        sum(file.size for file in files),
    )
    for file in files:
        await context.bot.send_document(
            message.chat.id,
            InputFile(file.content, filename=file.filename),
            caption=export_caption(report, file),
            # PTB's 20 s default is too short for tens of megabytes on an ordinary uplink.
            write_timeout=UPLOAD_WRITE_TIMEOUT,
        )


def export_caption(report: RoundReport, file: ExportFile) -> str:
    """HTML caption: what the file is, whose answers, and how it was made to fit if it was."""
    caption = f"<b>{esc(file.description)}</b>\n{esc(report.team_name)} · {esc(report.round.name)}"
    if report.anonymous:
        caption += "\n<i>" + _("Names are shown as Member 1, 2… (anonymous comparison).") + "</i>"
    if file.note:
        caption += f"\n<i>{esc(file.note)}</i>"
    return caption
