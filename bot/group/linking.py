"""The bot in a team's group chat: joining and leaving groups, /link, /unlink, /join, /progress
and /anonymous.

Groups run with Telegram's privacy mode on, so the bot only sees commands (possibly written
/command@BotName, which CommandHandler understands), replies to its own messages and button
presses. Unknown commands in groups get no answer: they may be meant for another bot.
"""

from __future__ import annotations

import logging

from telegram import ChatMemberUpdated, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.core import i18n
from bot.core.callbacks import (
    GROUP_JOIN_DATA,
    GROUP_JOIN_PATTERN,
    GROUP_LINK_PATTERN,
    group_link_data,
)
from bot.core.commands import Chat, command_handler
from bot.core.group_turn import GroupTurn, Need, alert, open_group_turn, refused, tell
from bot.core.i18n import N_, _, ngettext
from bot.core.render import esc, preview, progress_bar
from bot.core.runtime import runtime
from bot.private.onboarding import invite_link
from bot.services import groups, teams
from bot.services.progress import progress_of_team
from storage.models import Team

log = logging.getLogger(__name__)

PRESENT = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
GONE = (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)
THRESHOLD_RANGE = range(2, 101)  # one answer alone would always be its author's
LINK_CHOICES = 20  # team buttons under /link; /link NAME finds the others
TEAM_BUTTON_CHARS = 60
JOIN_REMOVED = N_(
    "A manager removed you from {team}. If you should be back, ask a manager for a new invite."
)

INTRO_TEXT = N_(
    "👋 <b>Hello! I run Baldrige self-assessments for teams.</b>\n\n"
    "A team manager links this group to their team with /link. Then members can /join, follow "
    "/progress, /compare their answers question by question, agree on each area with "
    "/consensus, and see /heatmap and /ratings pictures.\n\n"
    "Answers are given privately, in a chat with me."
)


def register(app: Application, group: int) -> None:
    app.add_handler(_GroupMembershipHandler(bot_membership_changed), group)
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, group_migrated), group)
    app.add_handler(command_handler(Chat.GROUP, "link", link_command), group)
    app.add_handler(command_handler(Chat.GROUP, "unlink", unlink_command), group)
    app.add_handler(command_handler(Chat.GROUP, "join", join_command), group)
    app.add_handler(command_handler(Chat.GROUP, "progress", progress_command), group)
    app.add_handler(command_handler(Chat.GROUP, "anonymous", anonymous_command), group)
    app.add_handler(CallbackQueryHandler(link_button, pattern=GROUP_LINK_PATTERN), group)
    app.add_handler(CallbackQueryHandler(join_button, pattern=GROUP_JOIN_PATTERN), group)


class _GroupMembershipHandler(ChatMemberHandler):
    """my_chat_member in groups only, so the bot being blocked in a private chat stays free for
    whichever feature handles that."""

    def __init__(self, callback) -> None:
        super().__init__(callback, ChatMemberHandler.MY_CHAT_MEMBER)

    def check_update(self, update: object) -> bool:
        return bool(
            super().check_update(update)
            and update.effective_chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)
        )


async def bot_membership_changed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Added to a group: introduce ourselves. Removed: forget the group's link."""
    change: ChatMemberUpdated = update.my_chat_member
    was, now = change.old_chat_member.status, change.new_chat_member.status
    chat_id = change.chat.id
    if now in GONE:
        async with runtime(context).sessions() as session:
            if await groups.unlink_group(session, chat_id):
                log.info("removed from group %s: link deleted", chat_id)
            await session.commit()
        return
    if now in PRESENT and was in GONE:
        # No team yet, so no team language: the update's default (English) is spoken.
        await context.bot.send_message(chat_id, _(INTRO_TEXT), reply_markup=_join_keyboard())


async def group_migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The group became a supergroup, with a new chat id: the link moves with it."""
    message = update.effective_message
    if message.migrate_to_chat_id:
        old, new = message.chat_id, message.migrate_to_chat_id
    else:
        old, new = message.migrate_from_chat_id, message.chat_id
    async with runtime(context).sessions() as session:
        if await groups.move_group(session, old, new):
            log.info("group %s became supergroup %s: link moved", old, new)
        await session.commit()


def _join_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(_("🙋 Join"), callback_data=GROUP_JOIN_DATA)]]
    )


# --- linking -------------------------------------------------------------------------------------


async def link_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/link [part of a name]: link the group to the sender's team; a choice when they manage
    several (the first few as buttons, the name finds any of them)."""
    message = update.effective_message
    wanted = " ".join(context.args or []).strip()
    async with open_group_turn(runtime(context), update.effective_user, message.chat_id) as turn:
        managed = await groups.managed_teams(turn.session, turn.person.id)
        problem = _link_problem(turn, managed)
        if problem:
            await message.reply_text(esc(problem))
            return
        candidates = [t for t in managed if wanted.casefold() in t.name.casefold()]
        if not candidates:
            await message.reply_text(
                _("You manage no team whose name contains “{text}”.").format(text=esc(wanted))
            )
            return
        if len(candidates) > 1:
            await message.reply_text(
                _link_choice_text(len(candidates)), reply_markup=_link_keyboard(candidates)
            )
            return
        text = await _link(turn, candidates[0], message.chat.title or "")
    await message.reply_text(text, reply_markup=_join_keyboard())


def _link_choice_text(count: int) -> str:
    text = _("Which team is this group for?")
    if count > LINK_CHOICES:
        text += "\n" + _(
            "Here are {shown} of the {count} teams that match. To find another, send /link "
            "with part of its name: <code>/link Front desk</code>"
        ).format(shown=LINK_CHOICES, count=count)
    return text


def _link_keyboard(candidates: list[Team]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    preview(team.name, TEAM_BUTTON_CHARS), callback_data=group_link_data(team.id)
                )
            ]
            for team in candidates[:LINK_CHOICES]
        ]
    )


async def link_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A team chosen after /link: still a team the presser manages, the group still free."""
    query = update.callback_query
    team_id = int(GROUP_LINK_PATTERN.match(query.data)["team"])
    async with open_group_turn(runtime(context), update.effective_user, query.message.chat.id) as (
        turn
    ):
        candidates = await groups.managed_teams(turn.session, turn.person.id)
        team = next((t for t in candidates if t.id == team_id), None)
        problem = _link_problem(turn, candidates)
        if problem is None and team is None:
            problem = _("You do not manage that team.")
        if problem:
            await alert(query, problem)
            return
        text = await _link(turn, team, query.message.chat.title or "")
    await query.answer()
    await query.edit_message_text(text, reply_markup=_join_keyboard())


def _link_problem(turn: GroupTurn, managed: list[Team]) -> str | None:
    if turn.team is not None:
        if turn.role is not None and any(t.id == turn.team.id for t in managed):
            return _("This group is already linked to {team}.").format(team=turn.team.name)
        return _("This group is linked to {team}. Only its managers can change that.").format(
            team=turn.team.name
        )
    if not managed:
        return _(
            "Only a team manager can link this group. To start a team, send /newteam in a "
            "private chat with me."
        )
    return None


async def _link(turn: GroupTurn, team: Team, title: str) -> str:
    await groups.link_group(turn.session, turn.chat_id, team.id, title, turn.person.id)
    await turn.session.commit()
    # The group now belongs to the team: speak its default language from this reply on.
    i18n.set_language(team.language)
    return _(
        "🔗 This group is now linked to <b>{team}</b>.\n"
        "Members: tap Join (or send /join) to answer the questions in a private chat with me."
    ).format(team=esc(team.name))


async def unlink_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    async with open_group_turn(runtime(context), update.effective_user, message.chat_id) as turn:
        if await refused(turn, update, Need.MANAGER):
            return
        await groups.unlink_group(turn.session, turn.chat_id)
        await turn.session.commit()
        await message.reply_text(
            _(
                "This group is no longer linked to <b>{team}</b>. "
                "The team's answers stay safe; /link links a team again."
            ).format(team=esc(turn.team.name))
        )


# --- joining -------------------------------------------------------------------------------------


async def join_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _offer_join(update, context, update.effective_message.chat_id)


async def join_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _offer_join(update, context, update.callback_query.message.chat.id)


async def _offer_join(update: Update, context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
    """The team's standing invite, opened in the private chat: Telegram lets a bot write to a
    person only after they started it, so joining has to happen there.

    The Join button opens that chat at once (answerCallbackQuery with a t.me/bot?start= link, which
    only the presser sees); /join answers with a message holding the link. Every press reuses the
    same link, which the bot made, so it never brings back someone a manager removed.
    """
    rt = runtime(context)
    query = update.callback_query
    async with open_group_turn(rt, update.effective_user, chat_id) as turn:
        if turn.team is None:
            await tell(update, turn.refusal())
            return
        if turn.removed:
            await tell(update, _(JOIN_REMOVED).format(team=turn.team.name))
            return
        if turn.role is not None:
            open_chat = f"https://t.me/{rt.bot_username}"
            if query is not None:
                await alert(query, _("You are already in {team}.").format(team=turn.team.name))
                return
            await update.effective_message.reply_text(
                _("You are already in <b>{team}</b>.").format(team=esc(turn.team.name)),
                reply_markup=InlineKeyboardMarkup(
                    [[InlineKeyboardButton(_("Open my questions"), url=open_chat)]]
                ),
            )
            return
        invite = await teams.standing_invite(turn.session, turn.team.id, turn.now)
        await turn.session.commit()
        team_name = turn.team.name
    link = invite_link(rt.bot_username, invite.token)
    if query is not None:
        await query.answer(url=link)
        return
    await update.effective_message.reply_text(
        _(
            "🙋 To join <b>{team}</b>, tap the button: it opens a private chat with me "
            "where the questions are asked."
        ).format(team=esc(team_name)),
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton(_("Join {team}").format(team=team_name[:40]), url=link)]]
        ),
    )


# --- progress and settings -----------------------------------------------------------------------


async def progress_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/progress in the group: the team's completion by area, totals only."""
    message = update.effective_message
    async with open_group_turn(runtime(context), update.effective_user, message.chat_id) as turn:
        if await refused(turn, update, Need.MEMBER, needs_round=True):
            return
        progress = await progress_of_team(turn.session, turn.pack, turn.team.id, turn.round.id)
    percent = round(100 * progress.done / progress.total) if progress.total else 0
    lines = [
        f"📊 <b>{esc(turn.team.name)}</b> · {esc(turn.round.name)}",
        _("{bar} {percent}% ({answers}, {members})").format(
            bar=progress_bar(progress.done, progress.total),
            percent=percent,
            answers=ngettext(
                "{done}/{total} answer", "{done}/{total} answers", progress.total
            ).format(done=progress.done, total=progress.total),
            members=ngettext("{count} member", "{count} members", len(progress.by_person)).format(
                count=len(progress.by_person)
            ),
        ),
        "",
    ]
    for area in progress.by_area:
        mark = "✅" if area.complete and area.total else "▫️"
        lines.append(f"{mark} {esc(area.title)} — {area.done}/{area.total}")
    await message.reply_text("\n".join(lines))


async def anonymous_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/anonymous on|off|threshold N: how /compare shows who said what (managers)."""
    message = update.effective_message
    args = [arg.lower() for arg in context.args or []]
    async with open_group_turn(runtime(context), update.effective_user, message.chat_id) as turn:
        if await refused(turn, update, Need.MANAGER):
            return
        team = turn.team
        if args == ["on"] or args == ["off"]:
            team.anonymous_compare = args[0] == "on"
        elif len(args) == 2 and args[0] == "threshold":
            if not args[1].isdigit() or int(args[1]) not in THRESHOLD_RANGE:
                await message.reply_text(
                    _(
                        "The threshold is a number from {low} to {high}: "
                        "<code>/anonymous threshold 3</code>"
                    ).format(low=THRESHOLD_RANGE.start, high=THRESHOLD_RANGE.stop - 1)
                )
                return
            team.anonymity_threshold = int(args[1])
        elif args:
            await message.reply_text(
                _(
                    "Use <code>/anonymous on</code>, <code>/anonymous off</code> or "
                    "<code>/anonymous threshold 3</code>."
                )
            )
            return
        await turn.session.commit()
        await message.reply_text(anonymity_text(team))


def anonymity_text(team: Team) -> str:
    if team.anonymous_compare:
        return _(
            "🕶 Comparisons are <b>anonymous</b>: answers show as “Member 1”, “Member 2”…, and "
            "only once at least {count} people answered a question."
        ).format(count=team.anonymity_threshold)
    return _("👥 Comparisons show <b>names</b>. <code>/anonymous on</code> hides them.")
