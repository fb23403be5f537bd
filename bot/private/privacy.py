"""A person's own data: /mydata sends all of it as JSON, /forget deletes all of it.

These handlers look the person up without creating them (not through open_turn), so /mydata from
a stranger stores nothing and a confirmed /forget cannot be undone by the same update.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.core import i18n
from bot.core.callbacks import PRIVACY_PATTERN, privacy_data
from bot.core.commands import Chat, command_handler
from bot.core.i18n import N_, _, ngettext
from bot.core.render import edit_quietly, esc, split_message
from bot.core.runtime import runtime
from bot.services import privacy
from bot.services.membership import person_by_telegram_id
from storage.models import Person
from storage.types import utcnow

log = logging.getLogger(__name__)
# Marked only: shown with _() in the reader's language.
NOTHING_STORED_TEXT = N_("I store nothing about you.")
FORGET_WARNING = N_(
    "🗑 <b>Delete everything about you?</b>\n"
    "Your profile, team memberships, every answer in every round with its history, your votes in "
    "consensus polls, and the log of messages sent to you. Invites you made and groups you "
    "linked stay with their teams, without your name. Teams only you are in are deleted too. "
    "This cannot be undone — /mydata first if you want a copy."
)
# Said apart from the warning above so that its translations stay as they are.
FORGET_PACKS_NOTE = N_(
    "Frameworks you sent as files stay with the teams that use them, without your name; the "
    "others are deleted."
)


def register(app: Application, group: int) -> None:
    app.add_handler(command_handler(Chat.PRIVATE, "mydata", my_data_command), group)
    app.add_handler(command_handler(Chat.PRIVATE, "forget", forget_command), group)
    app.add_handler(CallbackQueryHandler(forget_button, pattern=PRIVACY_PATTERN), group)


async def my_data_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/mydata: everything stored about the sender, as a JSON document and a summary."""
    message = update.effective_message
    async with runtime(context).sessions() as session:
        person = await _sender_or_stranger(session, update)
        if person is None:
            return
        data = await privacy.person_data(session, person)
    data["exported_at"] = utcnow().isoformat()
    document = json.dumps(data, ensure_ascii=False, indent=2).encode()
    for part in split_message(["\n".join(_summary(data))]):
        await message.reply_text(part)
    await context.bot.send_document(
        message.chat_id,
        InputFile(document, filename=f"my-data-{utcnow():%Y-%m-%d}.json"),
        caption=_("Everything I store about you (JSON)."),
    )


async def _sender_or_stranger(session: AsyncSession, update: Update) -> Person | None:
    """The sender's row, with their language set; None for someone the bot has never stored,
    after telling them so."""
    person = await person_by_telegram_id(session, update.effective_user.id)
    if person is None:
        await update.effective_message.reply_text(_(NOTHING_STORED_TEXT))
        return None
    i18n.set_language(i18n.language_for(person))  # no turn here: their /language choice
    return person


def _summary(data: dict) -> list[str]:
    """The summary's lines (one person may be in many teams: split_message cuts them up)."""
    answers = data["answers"]
    rounds = {(a["team"], a["round"]) for a in answers}
    revisions = sum(len(a["history"]) for a in answers)
    lines = [_("📦 <b>Your data</b>")]
    lines += _listed(_("Teams:"), [m["team"] for m in data["memberships"]])
    lines += [
        _("Answers: {answers} {rounds}, {revisions}").format(
            answers=len(answers),
            rounds=ngettext("in {count} round", "in {count} rounds", len(rounds)).format(
                count=len(rounds)
            ),
            revisions=ngettext(
                "with {count} earlier version", "with {count} earlier versions", revisions
            ).format(count=revisions),
        ),
        _("Messages sent to you by schedule: {count}").format(count=len(data["deliveries"])),
        _("Votes in consensus polls: {count}").format(count=len(data["consensus_votes"])),
        _("Groups you linked to a team: {count}").format(count=len(data["groups_linked"])),
    ]
    uploads = [f"{u['title']} ({u['pack_id']} v{u['version']})" for u in data["uploaded_packs"]]
    if uploads:
        lines += _listed(_("Frameworks you sent:"), uploads)
    if data["removed_from_teams"]:
        removed = [r["team"] for r in data["removed_from_teams"]]
        lines += _listed(_("Teams a manager removed you from:"), removed)
    lines.append(_("The file below holds all of it. /forget deletes it."))
    return lines


def _listed(heading: str, names: list[str]) -> list[str]:
    """A heading and one line per name (a person may be in many teams with long names)."""
    if not names:
        return [f"{heading} " + _("none")]
    return [heading] + [f"• {esc(name)}" for name in names]


async def forget_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/forget: ask for confirmation (or say what must happen first)."""
    message = update.effective_message
    async with runtime(context).sessions() as session:
        person = await _sender_or_stranger(session, update)
        if person is None:
            return
        blocked = await privacy.teams_to_hand_over(session, person.id)
    if blocked:
        for part in _hand_over_texts(blocked):
            await message.reply_text(part)
        return
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _("🗑 Yes, delete everything"),
                    callback_data=privacy_data("forget", person.id),
                ),
                InlineKeyboardButton(
                    _("Keep my data"), callback_data=privacy_data("keep", person.id)
                ),
            ]
        ]
    )
    await message.reply_text(_(FORGET_WARNING) + "\n" + _(FORGET_PACKS_NOTE), reply_markup=keyboard)


def _hand_over_texts(teams: list[privacy.TeamToHandOver]) -> list[str]:
    """Which teams need another manager first, in as many messages as the list takes."""
    lines = [
        ngettext(
            "You are the only manager of this team, and others are still in it:",
            "You are the only manager of these teams, and others are still in them:",
            len(teams),
        )
    ]
    lines += [f"• <b>{esc(team.name)}</b>" for team in teams]  # a name is 100 characters at most
    lines.append(
        _(
            "Hand over first: in /team, tap “⭐ Make manager” for someone else, then send /forget "
            "again."
        )
    )
    return split_message(["\n".join(lines)])


async def forget_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The confirmation: only the person the button was made for can use it."""
    query = update.callback_query
    match = PRIVACY_PATTERN.match(query.data)
    async with runtime(context).sessions() as session:
        person = await person_by_telegram_id(session, update.effective_user.id)
        if person is None or person.id != int(match["person"]):
            await query.answer(
                _("This button is not yours, or it is no longer valid."), show_alert=True
            )
            return
        i18n.set_language(i18n.language_for(person))
        if match["action"] == "keep":
            await query.answer(_("Nothing was deleted"))
            await edit_quietly(query, _("Nothing was deleted."))
            return
        # Checked again: someone may have become the only manager since the question was asked.
        blocked = await privacy.teams_to_hand_over(session, person.id)
        if blocked:
            await query.answer(_("Hand over your team first"), show_alert=True)
            for part in _hand_over_texts(blocked):
                await context.bot.send_message(query.message.chat.id, part)
            return
        await privacy.forget_person(session, person)
        await session.commit()
    log.info("person %s deleted their data", person.id)
    await query.answer(_("Deleted"))
    await edit_quietly(
        query,
        _("✅ Everything I stored about you is deleted. If you write to me again, I start afresh."),
    )
