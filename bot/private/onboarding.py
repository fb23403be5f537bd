"""Getting people in: /start with or without an invite, /newteam, /invite, /help.

Texts are English gettext message ids; the module constants are only marked (N_) and are
translated where they are shown, in the language of the person being answered.
"""

from __future__ import annotations

import contextlib
from urllib.parse import quote

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.core.callbacks import NEW_TEAM_PACK_PATTERN, PACK_INFO_PATTERN
from bot.core.commands import Chat, Need, command_handler, help_lines
from bot.core.i18n import N_, _, ngettext
from bot.core.private_gate import NO_ROUND_TEXT, refused
from bot.core.render import esc
from bot.core.runtime import runtime
from bot.core.turns import Turn, open_turn
from bot.domain.team_rules import MANAGER, InviteArgumentError, InviteOptions, parse_invite_options
from bot.manage import pack_view
from bot.private import asking
from bot.services import packs, rounds, teams
from bot.services.membership import role_in_team
from bot.services.teams import JoinOutcome
from storage.models import Role

WELCOME_TEXT = N_(
    "👋 <b>Hello! I run your team's Baldrige self-assessment.</b>\n\n"
    "I ask short “how do you…” questions about how your team works, one at a time. Answer in "
    "your own words whenever you have a minute — everything is saved as you go, and you can "
    "stop and pick up again any time.\n\n"
    "<b>To join your team</b>, tap the invite link your manager shared.\n"
    "<b>To start a team</b> (for managers): <code>/newteam Your team name</code>"
)
# The commands follow, one line each, for the reader's role (bot/core/commands.py).
HELP_INTRO = N_(
    "<b>How this works</b>\n"
    "I show one question at a time. Type your answer (several messages are fine), or send a "
    "voice note or photo. Buttons under each question let you skip it for now, mark it as not "
    "your area, go back, or pause."
)
JOIN_PROBLEMS = {
    JoinOutcome.UNKNOWN: N_("That invite link is not valid. Ask your manager for a new one."),
    JoinOutcome.EXPIRED: N_("That invite link has expired. Ask your manager for a new one."),
    JoinOutcome.USED_UP: N_("That invite link has been used up. Ask your manager for a new one."),
    JoinOutcome.REVOKED: N_("That invite link was withdrawn. Ask your manager for a new one."),
}
REMOVED_TEXT = N_(
    "You were removed from <b>{team}</b>, so invite links from before that no longer let you "
    "in. If you should be back, ask a manager for a new invite."
)
INVITE_MANAGERS_ONLY = N_(
    "Only a team's managers can create invite links. Ask your manager to send you one."
)
INVITE_USAGE = N_(
    "I don't know “{unknown}”. Try <code>/invite manager 7d once</code>: member or manager; "
    "1d, 7d, 30d or never; once or multi."
)


def register(app: Application, group: int) -> None:
    app.add_handler(command_handler(Chat.PRIVATE, "start", start_command), group)
    app.add_handler(command_handler(Chat.PRIVATE, "help", help_command), group)
    app.add_handler(command_handler(Chat.PRIVATE, "newteam", new_team_command), group)
    app.add_handler(command_handler(Chat.PRIVATE, "invite", invite_command), group)
    app.add_handler(CallbackQueryHandler(new_team_pack, pattern=NEW_TEAM_PACK_PATTERN), group)
    app.add_handler(CallbackQueryHandler(pack_info, pattern=PACK_INFO_PATTERN), group)


def invite_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={token}"


def share_keyboard(link: str, team_name: str) -> InlineKeyboardMarkup:
    share = (
        "https://t.me/share/url?url="
        + quote(link, safe="")
        + "&text="
        + quote(_("Join {team} for our self-assessment").format(team=team_name), safe="")
    )
    return InlineKeyboardMarkup([[InlineKeyboardButton(_("📤 Share invite"), url=share)]])


def invite_description(options: InviteOptions) -> str:
    """'member link, valid 7 days, for one person' in the reader's language."""
    role = _("manager link") if options.role == MANAGER else _("member link")
    if options.lifetime is None:
        valid = _("never expires")
    else:
        days = options.lifetime.days
        valid = ngettext("valid {count} day", "valid {count} days", days).format(count=days)
    uses = _("for one person") if options.max_uses == 1 else _("any number of people")
    return _("{role}, {valid}, {uses}").format(role=role, valid=valid, uses=uses)


def question_count(count: int) -> str:
    return ngettext("{count} question", "{count} questions", count).format(count=count)


async def start_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start, or /start <invite token> from a deep link."""
    rt = runtime(context)
    message = update.effective_message
    token = context.args[0] if context.args else None
    async with open_turn(rt, update.effective_user) as turn:
        if token is None:
            if turn.assessment is None:
                await message.reply_text(_(WELCOME_TEXT))
                return
            await asking.resume(turn, context, message.chat_id)
            return
        result = await teams.join_with_invite(turn.session, turn.person, token[:64], turn.now)
        await turn.commit()
        if result.outcome == JoinOutcome.REMOVED:
            await message.reply_text(_(REMOVED_TEXT).format(team=esc(result.team.name)))
            return
        if result.outcome in JOIN_PROBLEMS:
            await message.reply_text(_(JOIN_PROBLEMS[result.outcome]))
            return
        await turn.session.flush()
        turn.assessment = await teams.active_assessment(turn.session, turn.person)
        # The new team may have a default language, and its pack is shown in the language.
        await turn.settle(rt.packs)
        if turn.assessment is None:
            await message.reply_text(
                _("You are in <b>{team}</b>.").format(team=esc(result.team.name))
                + " "
                + _(NO_ROUND_TEXT)
            )
            return
        if result.outcome == JoinOutcome.JOINED:
            areas = len(turn.pack.areas())
            intro = _(
                "🙌 Welcome to <b>{team}</b>! {questions} {in_areas} — answer in your own words, "
                "a few at a time. Everything is saved as you go."
            ).format(
                team=esc(result.team.name),
                questions=question_count(len(turn.pack.questions())),
                # A separate plural: some languages inflect the area count after "in".
                in_areas=ngettext("in {count} area", "in {count} areas", areas).format(count=areas),
            )
        else:
            intro = _("You are already in <b>{team}</b> — let's continue.").format(
                team=esc(result.team.name)
            )
        await asking.ask_next(turn, context, message.chat_id, intro=intro)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: how this works, and the commands of the person's role in their active team."""
    async with open_turn(runtime(context), update.effective_user) as turn:
        if turn.assessment is not None:
            role = turn.assessment.role
        elif turn.person.active_team_id is not None:  # a team between rounds
            role = await role_in_team(turn.session, turn.person.active_team_id, turn.person.id)
        else:
            role = None
        lines = help_lines(manager=role == Role.MANAGER)
        await update.effective_message.reply_text(_(HELP_INTRO) + "\n\n" + "\n".join(lines))


async def new_team_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/newteam NAME [PACK-ID]: a team, the sender its manager; which framework, if there is a
    choice and none was named."""
    rt = runtime(context)
    message = update.effective_message
    args = list(context.args or [])
    async with open_turn(rt, update.effective_user) as turn:
        choices = await packs.choices_for(turn.session, rt.packs, turn.person.id)
        chosen = pack_view.named_choice(choices, args[-1]) if len(args) > 1 else None
        name = " ".join(args[:-1] if chosen else args).strip()
        if not name:
            await message.reply_text(_("Give your team a name: <code>/newteam Front desk</code>"))
            return
        if len(name) > teams.TEAM_NAME_MAX:
            await message.reply_text(
                _("Team names can be up to {count} characters.").format(count=teams.TEAM_NAME_MAX)
            )
            return
        if chosen is None and len(choices) == 1:
            chosen = choices[0]
        if chosen is None:
            # The team exists from here on (its name is kept); its first round waits for a pack.
            team = await teams.found_team(
                turn.session, turn.person, name, rt.settings.default_pack, _zone(rt)
            )
            await turn.commit()
            await message.reply_text(
                _("Which framework should <b>{team}</b> answer? ❓ tells what each one is.").format(
                    team=esc(team.name)
                ),
                reply_markup=pack_view.choice_keyboard(
                    team.id, choices, turn.language, rt.settings.default_pack
                ),
            )
            return
        team, _round, invite = await teams.create_team(
            turn.session, turn.person, name, chosen.pack, _zone(rt), turn.now, chosen.key
        )
        await packs.give_to_team(turn.session, chosen.key, team.id)
        await turn.commit()  # the link must work the moment it is shown
        text, keyboard = _team_ready(rt, turn, team, chosen.pack, invite)
        await message.reply_text(text, reply_markup=keyboard)


async def new_team_pack(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A framework button under /newteam: the team's first round starts on it."""
    rt = runtime(context)
    query = update.callback_query
    match = NEW_TEAM_PACK_PATTERN.match(query.data)
    team_id, key = int(match["team"]), match["pack"]
    async with open_turn(rt, update.effective_user) as turn:
        team = await packs.managed_team(turn.session, turn.person.id, team_id)
        if team is None:
            await query.answer(_("Only the team's managers can choose its framework."), True)
            return
        if await rounds.round_count(turn.session, team.id):
            await query.answer(_("This team's framework is chosen already: /pack shows it."), True)
            return
        pack = await packs.may_use(turn.session, rt.packs, turn.person.id, key, team.id)
        if pack is None:  # someone else's upload, or a pack this server no longer has
            await query.answer(_("You cannot use this framework for that team."), True)
            return
        _round, invite = await teams.open_first_round(
            turn.session, team, turn.person.id, pack, turn.now, key
        )
        await packs.give_to_team(turn.session, key, team.id)
        await turn.commit()
        await query.answer()
        text, keyboard = _team_ready(rt, turn, team, pack, invite)
        with contextlib.suppress(BadRequest):  # the choice stays readable if it cannot be edited
            await query.edit_message_reply_markup(None)
        await query.message.reply_text(text, reply_markup=keyboard)


async def pack_info(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """❓ beside a framework: what it is, if this person may see it."""
    rt = runtime(context)
    query = update.callback_query
    key = PACK_INFO_PATTERN.match(query.data)["pack"]
    async with open_turn(rt, update.effective_user) as turn:
        team_id = turn.assessment.team.id if turn.assessment else None
        choices = await packs.choices_for(turn.session, rt.packs, turn.person.id, team_id)
        found = next((choice for choice in choices if choice.key == key), None)
        if found is None:
            await query.answer(_("You cannot use this framework for that team."), True)
            return
        await query.answer()
        await query.message.reply_text(pack_view.pack_details(found.pack, turn.language))


def _zone(rt) -> str:
    return rt.settings.default_timezone


def _team_ready(rt, turn: Turn, team, pack, invite) -> tuple[str, InlineKeyboardMarkup]:
    link = invite_link(rt.bot_username, invite.token)
    text = _(
        "✅ Team <b>{team}</b> is ready, using “{pack}” ({questions}).\n\n"
        "Share this link with your team — it works for 30 days:\n{link}\n\n"
        "Send /next to answer the questions yourself."
    ).format(
        team=esc(team.name),
        pack=esc(pack.translated(turn.language).title),
        questions=question_count(len(pack.questions())),
        link=esc(link),
    )
    return text, share_keyboard(link, team.name)


async def invite_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/invite [options]: a fresh invite link for the manager's current team;
    /invite revoke: withdraw all of its open links."""
    rt = runtime(context)
    message = update.effective_message
    async with open_turn(rt, update.effective_user) as turn:
        if await refused(turn, message, Need.MANAGER, INVITE_MANAGERS_ONLY):
            return
        if [arg.lower() for arg in context.args or []] == ["revoke"]:
            await _revoke_invites(turn, message)
            return
        try:
            options = parse_invite_options(context.args or [])
        except InviteArgumentError as unknown:
            await message.reply_text(_(INVITE_USAGE).format(unknown=esc(str(unknown))))
            return
        team = turn.assessment.team
        invite = await teams.create_invite(
            turn.session,
            team.id,
            turn.person.id,
            role=options.role,
            lifetime=options.lifetime,
            max_uses=options.max_uses,
            now=turn.now,
        )
        await turn.commit()
        link = invite_link(rt.bot_username, invite.token)
        await message.reply_text(
            _(
                "New {kind} for <b>{team}</b>:\n{link}\n\n"
                "<i>Other kinds: /invite manager 7d once — member or manager; 1d, 7d, 30d or "
                "never; once or multi.</i>"
            ).format(kind=invite_description(options), team=esc(team.name), link=esc(link))
            + "\n"
            + _("<i>/invite revoke withdraws every open link.</i>"),
            reply_markup=share_keyboard(link, team.name),
        )


async def _revoke_invites(turn: Turn, message: Message) -> None:
    """Every link of the team that still works stops working; members stay members."""
    team = turn.assessment.team
    count = await teams.revoke_invites(turn.session, team.id, turn.now)
    await turn.commit()
    if count == 0:
        await message.reply_text(
            _("<b>{team}</b> has no open invite links.").format(team=esc(team.name))
        )
        return
    await message.reply_text(
        ngettext(
            "🚫 Withdrew {count} invite link of <b>{team}</b>. People already in the team stay; "
            "/invite makes a new link.",
            "🚫 Withdrew {count} invite links of <b>{team}</b>. People already in the team stay; "
            "/invite makes a new link.",
            count,
        ).format(count=count, team=esc(team.name))
    )
