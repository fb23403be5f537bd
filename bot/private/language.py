"""/language: which language the bot speaks to a person, and a team's default language.

Before any feature runs, the update's language is set from Telegram's language_code (no database
needed), so even replies that open no turn (help, the removed-person guard) are in the person's
language; open_turn then refines it with their /language choice and their team's default.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, TypeHandler

from bot.core import i18n
from bot.core.callbacks import LANGUAGE_PATTERN, language_data
from bot.core.commands import Chat, Need, command_handler
from bot.core.i18n import N_, _
from bot.core.private_gate import refused
from bot.core.render import esc
from bot.core.runtime import runtime
from bot.core.turns import open_turn

TEAM_LANGUAGE_MANAGERS_ONLY = N_("Only a team's managers can set its language.")


def register_first(app: Application, group: int) -> None:
    # Compile the catalogs now, so a broken .po file stops the start, not a person's message.
    i18n.catalogs()
    app.add_handler(TypeHandler(Update, speak_telegram_language), group)


def register(app: Application, group: int) -> None:
    app.add_handler(command_handler(Chat.PRIVATE, "language", language_command), group)
    app.add_handler(CallbackQueryHandler(language_button, pattern=LANGUAGE_PATTERN), group)


async def speak_telegram_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A private update starts in the sender's Telegram language (English if unsupported).

    A group chat is read by the whole team, so it starts in English and open_group_turn
    switches to the linked team's default language.
    """
    user, chat = update.effective_user, update.effective_chat
    private = chat is None or chat.type == ChatType.PRIVATE
    i18n.set_language(user.language_code if user is not None and private else None)


def language_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(name, callback_data=language_data(code))
                for code, name in i18n.LANGUAGE_NAMES.items()
            ]
        ]
    )


def _usage() -> str:
    codes = ", ".join(i18n.SUPPORTED_LANGUAGES)
    return _(
        "Pick a language below, or type <code>/language es</code>.\n"
        "Managers set the team's default with <code>/language team es</code> ({codes})."
    ).format(codes=codes)


async def language_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/language [CODE] for oneself; /language team CODE for a manager's team."""
    rt = runtime(context)
    message = update.effective_message
    args = [arg.lower() for arg in context.args or []]
    async with open_turn(rt, update.effective_user) as turn:
        if args[:1] == ["team"]:
            await _set_team_language(turn, message, args[1:])
            return
        if args:
            language = i18n.supported_language(args[0])
            if language is None:
                await message.reply_text(_unknown_language(args[0]), reply_markup=None)
                return
            turn.person.chosen_language = language
            await turn.commit()
            turn.settle_language(rt.packs)
            await message.reply_text(_chosen_text())
            return
        current = i18n.LANGUAGE_NAMES[turn.language]
        await message.reply_text(
            _("🌐 I speak to you in <b>{language}</b>.").format(language=current)
            + "\n\n"
            + _usage(),
            reply_markup=language_keyboard(),
        )


def _unknown_language(code: str) -> str:
    names = ", ".join(f"{name} (<code>{code}</code>)" for code, name in i18n.LANGUAGE_NAMES.items())
    return _("I don't speak “{code}” yet. I can use: {languages}.").format(
        code=esc(code), languages=names
    )


def _chosen_text() -> str:
    # Already translated into the newly chosen language: the person sees the switch at once.
    return _("✅ From now on I speak {language}. Send /next to continue.").format(
        language=i18n.LANGUAGE_NAMES[i18n.current_language()]
    )


async def _set_team_language(turn, message, args: list[str]) -> None:
    if await refused(turn, message, Need.MANAGER, TEAM_LANGUAGE_MANAGERS_ONLY):
        return
    language = i18n.supported_language(args[0]) if args else None
    if language is None:
        await message.reply_text(_unknown_language(args[0]) if args else _usage())
        return
    team = turn.assessment.team
    team.language = language
    await turn.commit()
    await message.reply_text(
        _(
            "✅ <b>{team}</b> now speaks {language} by default. Anyone can still choose their "
            "own language with /language."
        ).format(team=esc(team.name), language=i18n.LANGUAGE_NAMES[language])
    )


async def language_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on English / Español / Русский: that person's language from now on."""
    query = update.callback_query
    rt = runtime(context)
    language = i18n.supported_language(LANGUAGE_PATTERN.match(query.data)["code"])
    async with open_turn(rt, update.effective_user) as turn:
        if language is None:
            await query.answer(_("This button is no longer valid."), show_alert=True)
            return
        turn.person.chosen_language = language
        await turn.commit()
        turn.settle_language(rt.packs)
        await query.answer(i18n.LANGUAGE_NAMES[language])
        await query.edit_message_reply_markup(None)
        await context.bot.send_message(query.message.chat.id, _chosen_text())
