"""Every command the bot answers, declared once, and what is built from the declarations.

A command's name, the chat it works in, who may use it and its texts live here; the handlers
(`command_handler`), the `/help` lines (`help_lines`), the Telegram menus (`menu`, set per chat
scope by bot/app.py) and the removed-people allow-list (`STILL_ALLOWED_COMMANDS`, read by
bot/core/access.py) are all derived from `COMMANDS`, so they cannot drift apart. A feature that
registers an undeclared command fails at start.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from telegram.ext import CommandHandler, filters

from bot.core.i18n import N_, _

# Which chats a handler serves; defined once for every feature module.
PRIVATE = filters.ChatType.PRIVATE
GROUPS = filters.ChatType.GROUPS


class Chat(Enum):
    PRIVATE = "private"
    GROUP = "group"


class Need(Enum):
    """Who may use something, beyond anyone at all: a member of the team, or its manager."""

    MEMBER = "member"
    MANAGER = "manager"


@dataclass(frozen=True)
class Command:
    name: str
    chat: Chat
    # None: anyone, in a team or not; a person removed from their team may still use it.
    need: Need | None
    menu: str | None  # marked only (N_): its line in Telegram's command menu; None: not there
    help: str | None = None  # marked only: the /help line(s); None keeps it out of /help
    manager_help: str | None = None  # marked only: what only managers may do with it, in /help


MEMBER, MANAGER = Need.MEMBER, Need.MANAGER
# In menu and /help order.
COMMANDS = (
    # Private chats: answering, then the person's own things, then managing the team.
    Command(
        "next",
        Chat.PRIVATE,
        MEMBER,
        N_("Continue the assessment where you stopped"),
        N_("/next — continue where you stopped"),
    ),
    Command(
        "progress",
        Chat.PRIVATE,
        MEMBER,
        N_("Your progress by area"),
        N_("/progress — what you have done, by area"),
    ),
    Command(
        "review",
        Chat.PRIVATE,
        MEMBER,
        N_("Read and change your answers"),
        N_("/review — read and change your answers"),
    ),
    Command("pause", Chat.PRIVATE, MEMBER, N_("Stop for now"), N_("/pause — stop for now")),
    Command("start", Chat.PRIVATE, None, None),  # reached by invite links, not the menu
    Command("help", Chat.PRIVATE, None, N_("How this works")),
    Command(
        "language",
        Chat.PRIVATE,
        MEMBER,
        N_("Choose your language"),
        N_("/language — choose your language"),
        N_("/language team CODE — the team's default language (managers)"),
    ),
    Command(
        "newteam",
        Chat.PRIVATE,
        None,
        N_("Start a team (you become its manager)"),
        N_("/newteam NAME — start a team (you become its manager)"),
    ),
    Command(
        "invite",
        Chat.PRIVATE,
        MANAGER,
        N_("New invite link for your team (managers)"),
        N_(
            "/invite [member|manager] [1d|7d|30d|never] [once|multi] — a new invite link "
            "(managers)\n"
            "/invite revoke — withdraw every open invite link of your team (managers)"
        ),
    ),
    Command(
        "team",
        Chat.PRIVATE,
        MANAGER,
        N_("Your team's members and progress (managers)"),
        N_("/team — members and their progress; remove someone (managers)"),
    ),
    Command(
        "teams",
        Chat.PRIVATE,
        None,
        N_("Choose which team you answer for"),
        N_("/teams — choose which of your teams you answer for"),
    ),
    Command(
        "round",
        Chat.PRIVATE,
        MEMBER,
        N_("The current assessment round"),
        N_("/round — the current round"),
        N_(
            "/round new NAME [YYYY-MM-DD], /round due YYYY-MM-DD — a new round, its due date "
            "(managers)"
        ),
    ),
    Command(
        "score",
        Chat.PRIVATE,
        MEMBER,
        N_("Score an area on the scoring bands"),
        N_("/score — score the areas you finished, privately, on the scoring bands"),
    ),
    Command(
        "gap",
        Chat.PRIVATE,
        MANAGER,
        N_("How managers and members score each area (managers)"),
        N_("/gap — how managers and members score each area, side by side (managers)"),
    ),
    Command(
        "pack",
        Chat.PRIVATE,
        MEMBER,
        N_("The team's framework and the others"),
        N_("/pack — your team's framework and the others you can use"),
        N_(
            "/round new NAME PACK-ID — a new round on another framework; send a .yaml file to "
            "bring your own (managers)"
        ),
    ),
    Command(
        "mydata",
        Chat.PRIVATE,
        None,
        N_("Everything stored about you"),
        N_("/mydata — everything stored about you, as a file"),
    ),
    Command(
        "forget",
        Chat.PRIVATE,
        None,
        N_("Delete everything about you"),
        N_("/forget — delete everything about you"),
    ),
    Command(
        "away",
        Chat.PRIVATE,
        MEMBER,
        N_("Pause your reminders for a while"),
        N_("/away — pause your reminders for a day, a week or until a date"),
    ),
    Command(
        "schedule",
        Chat.PRIVATE,
        MANAGER,
        N_("Reminder and digest times (managers)"),
        N_("/schedule — reminder and digest times (managers)"),
    ),
    Command(
        "digest",
        Chat.PRIVATE,
        MANAGER,
        N_("This week's team digest now (managers)"),
        N_("/digest — this week's team digest now (managers)"),
    ),
    Command(
        "export",
        Chat.PRIVATE,
        MANAGER,
        N_("Answers as spreadsheet and report (managers)"),
        N_("/export — the answers as spreadsheet and report (managers)"),
    ),
    Command(
        "themes",
        Chat.PRIVATE,
        MEMBER,
        N_("The team's key themes: priorities and strengths"),
        N_("/themes — the team's priorities and strengths to keep"),
        N_("/themes — pick priorities among the improvements, start actions (managers)"),
    ),
    Command(
        "action",
        Chat.PRIVATE,
        MANAGER,
        N_("New improvement action (managers)"),
        N_(
            "/action [DATE] WHAT — a new improvement action with an owner and a due date (managers)"
        ),
    ),
    Command(
        "actions",
        Chat.PRIVATE,
        MEMBER,
        N_("Your improvement actions"),
        N_("/actions — your improvement actions; update them with one tap"),
        N_("/actions — the team's actions: open, overdue, done (managers)"),
    ),
    # The team's group chat.
    Command("link", Chat.GROUP, MANAGER, N_("Link this group to your team (managers)")),
    Command("join", Chat.GROUP, None, N_("Join the team linked to this group")),
    Command("progress", Chat.GROUP, MEMBER, N_("The team's progress by area")),
    Command("compare", Chat.GROUP, MEMBER, N_("Compare everyone's answers, question by question")),
    Command(
        "consensus",
        Chat.GROUP,
        MEMBER,
        N_("What the team agreed per area; managers: /consensus N to vote"),
    ),
    Command("scores", Chat.GROUP, MANAGER, N_("Reveal the team's scores per area (managers)")),
    Command(
        "agree",
        Chat.GROUP,
        MANAGER,
        N_("Set an area's agreed score: /agree N SCORE reason (managers)"),
    ),
    Command("gap", Chat.GROUP, MEMBER, N_("Managers' and members' scores side by side")),
    Command("themes", Chat.GROUP, MEMBER, N_("The team's key themes: priorities and strengths")),
    Command("heatmap", Chat.GROUP, MEMBER, N_("Picture: members × areas answered")),
    Command("ratings", Chat.GROUP, MEMBER, N_("Picture: maturity ratings per area")),
    Command(
        "anonymous",
        Chat.GROUP,
        MANAGER,
        N_("Anonymous comparisons: on, off, threshold N (managers)"),
    ),
    Command("unlink", Chat.GROUP, MANAGER, N_("Unlink this group from the team (managers)")),
)
_BY_KEY = {(command.chat, command.name): command for command in COMMANDS}
_FILTERS = {Chat.PRIVATE: PRIVATE, Chat.GROUP: GROUPS}

# What a removed person may still do: join again, read help, choose another team, see or delete
# their own data.
STILL_ALLOWED_COMMANDS = frozenset(
    command.name for command in COMMANDS if command.chat is Chat.PRIVATE and command.need is None
)


def declared(chat: Chat, name: str) -> Command:
    try:
        return _BY_KEY[(chat, name)]
    except KeyError:
        raise LookupError(f"/{name} in {chat.value} chats is not declared in COMMANDS") from None


def command_handler(chat: Chat, name: str, callback) -> CommandHandler:
    """The handler of a declared command, in the chats it was declared for."""
    command = declared(chat, name)
    return CommandHandler(command.name, callback, filters=_FILTERS[command.chat])


def menu(chat: Chat) -> list[tuple[str, str]]:
    """A chat's command menu in the current language (see bot.core.i18n.use_language)."""
    return [(c.name, _(c.menu)) for c in COMMANDS if c.chat is chat and c.menu is not None]


def help_lines(manager: bool) -> list[str]:
    """The private commands a person may use, one or two lines each, in the current language:
    a manager's include the managers' commands, a member's leave them out."""
    lines = []
    for command in COMMANDS:
        if command.chat is not Chat.PRIVATE or command.help is None:
            continue
        if command.need is MANAGER and not manager:
            continue
        lines.append(_(command.help))
        if command.manager_help is not None and manager:
            lines.append(_(command.manager_help))
    return lines
