"""Getting people in: /start with or without an invite, /newteam, /invite, /help."""

from __future__ import annotations

from urllib.parse import quote

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from bot import answering
from bot.render import esc
from bot.runtime import runtime
from bot.services import teams
from bot.services.teams import JoinOutcome
from bot.turns import open_turn
from criteria.loader import DEFAULT_PACK_ID
from storage.models import Role

PRIVATE = filters.ChatType.PRIVATE

WELCOME_TEXT = (
    "👋 <b>Hello! I run your team's Baldrige self-assessment.</b>\n\n"
    "I ask short “how do you…” questions about how your team works, one at a time. Answer in "
    "your own words whenever you have a minute — everything is saved as you go, and you can "
    "stop and pick up again any time.\n\n"
    "<b>To join your team</b>, tap the invite link your manager shared.\n"
    "<b>To start a team</b> (for managers): <code>/newteam Your team name</code>"
)
HELP_TEXT = (
    "<b>How this works</b>\n"
    "I show one question at a time. Type your answer (several messages are fine), or send a "
    "voice note or photo. Buttons under each question let you skip it for now, mark it as not "
    "your area, go back, or pause.\n\n"
    "/next — continue where you stopped\n"
    "/progress — what you have done, by area\n"
    "/review — read and change your answers\n"
    "/pause — stop for now\n"
    "/newteam NAME — start a team (you become its manager)\n"
    "/invite — a new invite link (managers)"
)
JOIN_PROBLEMS = {
    JoinOutcome.UNKNOWN: "That invite link is not valid. Ask your manager for a new one.",
    JoinOutcome.EXPIRED: "That invite link has expired. Ask your manager for a new one.",
    JoinOutcome.USED_UP: "That invite link has been used up. Ask your manager for a new one.",
    JoinOutcome.REVOKED: "That invite link was withdrawn. Ask your manager for a new one.",
}
PRIVATE_COMMANDS = [
    ("next", "Continue the assessment where you stopped"),
    ("progress", "Your progress by area"),
    ("review", "Read and change your answers"),
    ("pause", "Stop for now"),
    ("help", "How this works"),
    ("newteam", "Start a team (you become its manager)"),
    ("invite", "New invite link for your team (managers)"),
]


def register(app: Application, group: int) -> None:
    app.add_handler(CommandHandler("start", start_command, filters=PRIVATE), group)
    app.add_handler(CommandHandler("help", help_command, filters=PRIVATE), group)
    app.add_handler(CommandHandler("newteam", new_team_command, filters=PRIVATE), group)
    app.add_handler(CommandHandler("invite", invite_command, filters=PRIVATE), group)


def invite_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={token}"


def share_keyboard(link: str, team_name: str) -> InlineKeyboardMarkup:
    share = (
        "https://t.me/share/url?url="
        + quote(link, safe="")
        + "&text="
        + quote(f"Join {team_name} for our self-assessment", safe="")
    )
    return InlineKeyboardMarkup([[InlineKeyboardButton("📤 Share invite", url=share)]])


async def start_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start, or /start <invite token> from a deep link."""
    rt = runtime(context)
    message = update.effective_message
    token = context.args[0] if context.args else None
    async with open_turn(rt, update.effective_user) as turn:
        if token is None:
            if turn.assessment is None:
                await message.reply_text(WELCOME_TEXT)
                return
            await answering.resume(turn, context, message.chat_id)
            return
        result = await teams.join_with_invite(turn.session, turn.person, token[:64])
        await turn.commit()
        if result.outcome in JOIN_PROBLEMS:
            await message.reply_text(JOIN_PROBLEMS[result.outcome])
            return
        await turn.session.flush()
        turn.assessment = await teams.active_assessment(turn.session, turn.person)
        if turn.assessment is None:
            await message.reply_text(
                f"You are in <b>{esc(result.team.name)}</b>. " + answering.NO_ROUND_TEXT
            )
            return
        turn.pack = rt.packs.get(turn.assessment.round.pack_id)
        if result.outcome == JoinOutcome.JOINED:
            intro = (
                f"🙌 Welcome to <b>{esc(result.team.name)}</b>! "
                f"{len(turn.pack.questions())} questions in {len(turn.pack.areas())} areas — "
                "answer in your own words, a few at a time. Everything is saved as you go."
            )
        else:
            intro = f"You are already in <b>{esc(result.team.name)}</b> — let's continue."
        await answering.ask_next(turn, None, context, message.chat_id, intro=intro)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(HELP_TEXT)


async def new_team_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/newteam NAME: a team with the default pack, the sender as its manager."""
    rt = runtime(context)
    message = update.effective_message
    name = " ".join(context.args or []).strip()
    if not name:
        await message.reply_text("Give your team a name: <code>/newteam Front desk</code>")
        return
    if len(name) > teams.TEAM_NAME_MAX:
        await message.reply_text(f"Team names can be up to {teams.TEAM_NAME_MAX} characters.")
        return
    pack = rt.packs.get(DEFAULT_PACK_ID)
    async with open_turn(rt, update.effective_user) as turn:
        team, _round, invite = await teams.create_team(
            turn.session, turn.person, name, pack, rt.settings.default_timezone
        )
        await turn.commit()  # the link must work the moment it is shown
        link = invite_link(rt.bot_username, invite.token)
        await message.reply_text(
            f"✅ Team <b>{esc(team.name)}</b> is ready, using “{esc(pack.title)}” "
            f"({len(pack.questions())} questions).\n\n"
            f"Share this link with your team — it works for 30 days:\n{esc(link)}\n\n"
            "Send /next to answer the questions yourself.",
            reply_markup=share_keyboard(link, team.name),
        )


async def invite_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/invite: a fresh member invite link for the manager's current team."""
    rt = runtime(context)
    message = update.effective_message
    async with open_turn(rt, update.effective_user) as turn:
        if turn.assessment is None:
            await message.reply_text(answering.NO_TEAM_TEXT)
            return
        if turn.assessment.role != Role.MANAGER:
            await message.reply_text(
                "Only a team's managers can create invite links. Ask your manager to send you one."
            )
            return
        team = turn.assessment.team
        invite = await teams.create_invite(turn.session, team.id, turn.person.id)
        await turn.commit()
        link = invite_link(rt.bot_username, invite.token)
        await message.reply_text(
            f"New invite link for <b>{esc(team.name)}</b> (valid 30 days):\n{esc(link)}",
            reply_markup=share_keyboard(link, team.name),
        )
