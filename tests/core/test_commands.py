"""The one registry of commands (bot/core/commands.py): /help by role, the Telegram menus and
the handlers are all built from it, so none of them can drift from the others."""

from __future__ import annotations

from collections import Counter

import pytest
from telegram.ext import CommandHandler

from bot.core import commands, i18n
from bot.core.commands import COMMANDS, Chat, Need, command_handler
from tests.support.flows import join, start_team

MANAGER_COMMANDS = ("/invite", "/team ", "/schedule", "/digest", "/export")
SCOPES = {"all_private_chats": Chat.PRIVATE, "all_group_chats": Chat.GROUP}


async def test_a_members_help_lists_no_managers_commands(fake, bot):
    _maria, token = await start_team(fake)
    sam, _first = await join(fake, "Sam", token)
    await sam.command("/help")
    text = (await sam.wait_for_message(contains="How this works")).text
    assert "/next" in text and "/review" in text and "/away" in text and "/mydata" in text
    assert not [command for command in MANAGER_COMMANDS if command in text]
    assert "/round new" not in text and "/language team" not in text
    await sam.command("/digest")  # and the managers' commands refuse them
    await sam.wait_for_message(contains="The digest is for a team's managers")


async def test_a_managers_help_lists_theirs_too(fake, bot):
    maria, _token = await start_team(fake)
    await maria.command("/help")
    text = (await maria.wait_for_message(contains="How this works")).text
    for command in ("/digest", "/export", "/schedule", "/away", "/invite revoke", "/round new"):
        assert command in text, command


async def test_help_without_a_team_lists_what_anyone_can_do(fake, bot):
    newcomer = fake.person("Nina")
    await newcomer.command("/help")
    text = (await newcomer.wait_for_message(contains="How this works")).text
    assert "/newteam" in text and "/forget" in text and "/digest" not in text


async def test_menus_set_in_every_language_equal_the_registry(fake, bot):
    seen = set()
    for call in fake.calls_to("setMyCommands"):
        chat = SCOPES[call.params["scope"]["type"]]
        language = call.params.get("language_code") or i18n.SOURCE_LANGUAGE
        with i18n.use_language(language):
            expected = [
                {"command": name, "description": text} for name, text in commands.menu(chat)
            ]
        assert call.params["commands"] == expected, (chat, language)
        seen.add((chat, language))
    assert seen == {(chat, code) for chat in Chat for code in i18n.SUPPORTED_LANGUAGES}
    private = [name for name, _text in commands.menu(Chat.PRIVATE)]
    assert {"away", "schedule", "digest", "export"} <= set(private)
    assert "start" not in private  # reached through invite links


async def test_every_declared_command_has_exactly_its_handler(bot):
    registered = Counter(
        command
        for handlers in bot.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    )
    assert registered == Counter(command.name for command in COMMANDS)


def test_an_undeclared_command_cannot_be_registered():
    async def callback(update, context):
        pass

    with pytest.raises(LookupError):
        command_handler(Chat.PRIVATE, "frobnicate", callback)
    with pytest.raises(LookupError):
        command_handler(Chat.GROUP, "next", callback)  # declared for private chats only


def test_removed_people_keep_exactly_the_commands_anyone_may_use():
    anyone = {"start", "help", "newteam", "teams", "mydata", "forget"}
    assert anyone == commands.STILL_ALLOWED_COMMANDS
    needs = {command.name: command.need for command in COMMANDS if command.chat is Chat.PRIVATE}
    assert needs["digest"] is needs["export"] is needs["schedule"] is Need.MANAGER
