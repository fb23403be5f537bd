"""/export: a manager gets a round's answers as files (XLSX, CSV, PDF, Markdown).

Thin on purpose: check who asks, gather the round in one short session, then build the files
in a worker thread (bot.export is plain Python) so everyone else's updates keep being answered
while charts and PDF pages are drawn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.core.callbacks import EXPORT_PATTERN, export_data
from bot.core.commands import Chat, Need, command_handler
from bot.core.i18n import N_, _, day_and_date
from bot.core.private_gate import refused
from bot.core.render import esc, preview
from bot.core.runtime import runtime
from bot.core.turns import open_turn
from bot.export.data import RoundReport, gather_round_report
from bot.export.limits import TELEGRAM_UPLOAD_LIMIT_BYTES, ExportFile
from bot.services.membership import role_in_team
from bot.services.packs import pack_of
from bot.services.rounds import newest_rounds
from criteria.loader import PackRegistry
from storage.models import AssessmentRound, Role

log = logging.getLogger(__name__)

MANAGERS_ONLY_TEXT = N_(
    "🔒 Only managers of <b>{team}</b> can export its answers. Ask one of them for the "
    "spreadsheet or the report."
)
UPLOAD_WRITE_TIMEOUT = 300  # seconds
ROUND_CHOICES = 8  # the newest rounds offered; older ones are rarely wanted as files
PREPARING_TEXT = N_(
    "⏳ Preparing the answers of <b>{team}</b> · {round}: spreadsheet, CSV and report…"
)


def register(
    app: Application, group: int, *, upload_limit: int = TELEGRAM_UPLOAD_LIMIT_BYTES
) -> None:
    """Add /export and its round buttons; files bigger than `upload_limit` bytes are zipped or
    split to fit."""

    async def export_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/export: the active team's current round as documents, for its managers; a choice of
        round first when the team has had several."""
        await offer_export(update, context, upload_limit)

    async def export_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A round picked from the /export choice."""
        await export_chosen_round(update, context, upload_limit)

    app.add_handler(command_handler(Chat.PRIVATE, "export", export_command), group)
    app.add_handler(CallbackQueryHandler(export_button, pattern=EXPORT_PATTERN), group)


async def offer_export(update: Update, context: ContextTypes.DEFAULT_TYPE, upload_limit: int):
    message = update.effective_message
    async with open_turn(runtime(context), update.effective_user) as turn:
        assessment = turn.assessment
        if await refused(turn, message, Need.MANAGER, MANAGERS_ONLY_TEXT):
            return
        rounds = await newest_rounds(turn.session, assessment.team.id, ROUND_CHOICES)
        if len(rounds) > 1:
            await message.reply_text(
                _("📦 Which round of <b>{team}</b> do you want as files?").format(
                    team=esc(assessment.team.name)
                ),
                reply_markup=_round_keyboard(rounds, assessment.round.id),
            )
            return
        # Only the asking manager's active team and its open round: nothing else is read. The
        # pack comes in the manager's language, so questions read as they see them in the chat.
        report = await gather_round_report(
            turn.session, turn.pack, assessment.team.id, assessment.round.id
        )
        report = await _with_previous_pack(
            turn, runtime(context).packs, report, assessment.round.pack_id
        )
    await send_export(context, message.chat_id, report, upload_limit)


async def export_chosen_round(
    update: Update, context: ContextTypes.DEFAULT_TYPE, upload_limit: int
) -> None:
    query = update.callback_query
    round_id = int(EXPORT_PATTERN.match(query.data)["round"])
    rt = runtime(context)
    async with open_turn(rt, update.effective_user) as turn:
        round_ = await turn.session.get(AssessmentRound, round_id)
        role = None
        if round_ is not None:
            role = await role_in_team(turn.session, round_.team_id, turn.person.id)
        if role != Role.MANAGER:
            # A forged id, a round of another team, or someone who is no longer its manager.
            await query.answer(_("Only the team's managers can export this round."), True)
            return
        await query.answer()
        pack = (await pack_of(turn.session, rt.packs, round_.pack_id)).translated(turn.language)
        report = await gather_round_report(turn.session, pack, round_.team_id, round_.id)
        report = await _with_previous_pack(turn, rt.packs, report, round_.pack_id)
    with contextlib.suppress(BadRequest):  # the choice stays usable if it cannot be edited
        await query.edit_message_reply_markup(None)
    await send_export(context, query.message.chat.id, report, upload_limit)


async def send_export(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, report: RoundReport, upload_limit: int
) -> None:
    # No session is open from here on: building the files can take seconds.
    await context.bot.send_message(
        chat_id,
        _(PREPARING_TEXT).format(team=esc(report.team_name), round=esc(report.round.name)),
    )
    await context.bot.send_chat_action(chat_id, ChatAction.UPLOAD_DOCUMENT)
    files = await asyncio.to_thread(runtime(context).build_export_files, report, upload_limit)
    log.info(
        "export of round %s: %d files, %d bytes",
        report.round.id,
        len(files),
        sum(file.size for file in files),
    )
    for file in files:
        await context.bot.send_document(
            chat_id,
            InputFile(file.content, filename=file.filename),
            caption=export_caption(report, file),
            # PTB's 20 s default is too short for tens of megabytes on an ordinary uplink.
            write_timeout=UPLOAD_WRITE_TIMEOUT,
        )


def _round_keyboard(rounds: list[AssessmentRound], current_id: int) -> InlineKeyboardMarkup:
    """One button per round, newest first: "Round 2 · open", "Round 1 · closed 31 Mar"."""
    rows = []
    for round_ in rounds:
        if round_.id == current_id:
            state = _("open")
        elif round_.closed_at is not None:
            state = _("closed {date}").format(date=day_and_date(round_.closed_at))
        else:
            state = ""
        label = f"{preview(round_.name, 40)} · {state}" if state else preview(round_.name, 40)
        rows.append([InlineKeyboardButton(label, callback_data=export_data(round_.id))])
    return InlineKeyboardMarkup(rows)


def export_caption(report: RoundReport, file: ExportFile) -> str:
    """HTML caption: what the file is, whose answers, and how it was made to fit if it was."""
    caption = f"<b>{esc(file.description)}</b>\n{esc(report.team_name)} · {esc(report.round.name)}"
    if report.anonymous:
        caption += "\n<i>" + _("Names are shown as Member 1, 2… (anonymous comparison).") + "</i>"
    if file.note:
        caption += f"\n<i>{esc(file.note)}</i>"
    return caption


async def _with_previous_pack(
    turn, packs: PackRegistry, report: RoundReport, pack_key: str
) -> RoundReport:
    """The report, with the previous round's framework when it is another one (for trends)."""
    previous = report.previous_round
    if previous is None or previous.pack_id == pack_key:
        return report
    earlier = await pack_of(turn.session, packs, previous.pack_id)
    return replace(report, previous_pack=earlier.translated(turn.language))
