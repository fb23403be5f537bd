"""/consensus in a team's group: the team agrees, area by area, on its maturity level, then on
its strengths and opportunities for improvement; the result is part of the round's record.

A manager opens a native Telegram poll (non-anonymous, so each vote arrives as poll_answer and
only team members' votes are counted). Closing it (the Close button, or the poll closing by
itself) records the level most members chose. The bot then asks two questions; replies to them
reach the bot even with privacy mode on, and are added to the Consensus row.
"""

from __future__ import annotations

import asyncio
import json
import logging

from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    PollAnswerHandler,
    PollHandler,
    filters,
)

from bot import i18n
from bot.callbacks import CONSENSUS_CLOSE_PATTERN, consensus_close_data
from bot.domain.compare import LEVEL_IDS, agreed_level
from bot.group_turn import GroupTurn, Need, open_group_turn, refused
from bot.i18n import _, maturity_label
from bot.render import esc, preview, split_message
from bot.runtime import runtime
from bot.services import groups
from criteria.model import Area, Pack
from storage.models import AssessmentRound, Consensus, Person, Team
from storage.types import utcnow

log = logging.getLogger(__name__)

GROUPS = filters.ChatType.GROUPS
POLL_QUESTION_MAX = 300
REPLY_MAX_CHARS = 1000
NOTE_MAX_CHARS = 8000  # strengths or improvements of one area, all replies together
STRENGTHS, IMPROVEMENTS = "strengths", "improvements"
UNKNOWN_POLL_RETRIES, UNKNOWN_POLL_PAUSE = 10, 0.2  # seconds


def register(app: Application, group: int) -> None:
    app.add_handler(CommandHandler("consensus", consensus_command, filters=GROUPS), group)
    app.add_handler(CallbackQueryHandler(close_button, pattern=CONSENSUS_CLOSE_PATTERN), group)
    app.add_handler(PollAnswerHandler(vote_received), group)
    app.add_handler(PollHandler(poll_changed), group)
    app.add_handler(
        MessageHandler(
            GROUPS & filters.UpdateType.MESSAGE & filters.REPLY & filters.TEXT & ~filters.COMMAND,
            reply_received,
        ),
        group,
    )


async def consensus_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/consensus: what was agreed per area; /consensus N (managers): vote on area N."""
    message = update.effective_message
    async with open_group_turn(runtime(context), update.effective_user, message.chat_id) as turn:
        if not context.args:
            if await refused(turn, update, Need.MEMBER, needs_round=True):
                return
            rows = await groups.consensus_rows(turn.session, turn.round.id)
            for part in split_message(_summary_blocks(turn, rows)):
                await message.reply_text(part)
            return
        if await refused(turn, update, Need.MANAGER, needs_round=True):
            return
        areas = turn.pack.areas()
        arg = context.args[0]
        if not arg.isdigit() or not 1 <= int(arg) <= len(areas):
            await message.reply_text(
                _("Give an area number from 1 to {count}: /consensus 1").format(count=len(areas))
            )
            return
        area = areas[int(arg) - 1]
        existing = (await groups.consensus_rows(turn.session, turn.round.id)).get(area.id)
        if existing is not None and groups.poll_is_open(existing):
            await message.reply_text(_("A vote on this area is already open. Close it first."))
            return
        await _open_vote(turn, context.bot, area)


async def _open_vote(turn: GroupTurn, bot: Bot, area: Area) -> None:
    question = _("{area}: which maturity level has our team reached?").format(area=area.title)
    if len(question) > POLL_QUESTION_MAX:
        question = _("{area}: our maturity level?").format(
            area=preview(area.title, POLL_QUESTION_MAX - 40)
        )
    row = await groups.consensus_of_area(turn.session, turn.round.id, area.id)
    await turn.session.commit()  # the Close button needs the row's id
    poll_message = await bot.send_poll(
        turn.chat_id,
        question,
        [maturity_label(level) for level in LEVEL_IDS],
        is_anonymous=False,  # each vote arrives as poll_answer, so only members' votes count
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        _("🛑 Close the vote"), callback_data=consensus_close_data(row.id)
                    )
                ]
            ]
        ),
    )
    await groups.start_poll(
        turn.session, row, turn.chat_id, poll_message.poll.id, poll_message.message_id
    )
    await turn.session.commit()


async def close_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A manager closes the vote: the poll stops and the level most members chose is recorded."""
    query = update.callback_query
    consensus_id = int(CONSENSUS_CLOSE_PATTERN.match(query.data)["consensus"])
    chat_id = query.message.chat.id
    async with open_group_turn(runtime(context), update.effective_user, chat_id) as turn:
        if await refused(turn, update, Need.MANAGER, needs_round=True):
            return
        row = await turn.session.get(Consensus, consensus_id)
        if row is None or row.round_id != turn.round.id or row.chat_id != chat_id:
            await query.answer(_("This vote is not this group's."), show_alert=True)
            return
        if not groups.poll_is_open(row):
            await query.answer(_("This vote is already closed."), show_alert=True)
            return
        await query.answer()
        await context.bot.stop_poll(chat_id, row.poll_message_id)
        await _record_result(turn.session, context.bot, row, turn.pack)


async def poll_changed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A poll closed by itself (or stopped elsewhere): record it like the Close button would."""
    poll = update.poll
    if not poll.is_closed:
        return
    rt = runtime(context)
    async with rt.sessions() as session:
        row = await groups.consensus_by_poll(session, poll.id)
        if row is None or not groups.poll_is_open(row):
            return
        round_ = await session.get(AssessmentRound, row.round_id)
        # No group turn here: speak the team's default language, as the group does.
        team = await session.get(Team, round_.team_id)
        language = i18n.resolve_language(None, team.language if team else None, None)
        i18n.set_language(language)
        pack = rt.packs.get(round_.pack_id).translated(language)
        await _record_result(session, context.bot, row, pack)


async def vote_received(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A vote (or a vote taken back); counted only when it comes from a member of the team."""
    answer = update.poll_answer
    if answer.user is None:  # voting as a chat: it cannot be tied to a member
        return
    async with runtime(context).sessions() as session:
        row = await _poll_row(session, answer.poll_id)
        if row is None or not groups.poll_is_open(row):
            return
        person = (
            await session.execute(select(Person).where(Person.telegram_user_id == answer.user.id))
        ).scalar_one_or_none()
        round_ = await session.get(AssessmentRound, row.round_id)
        if person is None or await groups.role_in_team(session, round_.team_id, person.id) is None:
            log.info("vote in poll %s from a non-member ignored", answer.poll_id)
            return
        options = answer.option_ids
        rating = LEVEL_IDS[options[0]] if options and options[0] < len(LEVEL_IDS) else None
        await groups.record_vote(session, row.id, person.id, rating)
        await session.commit()


async def _poll_row(session: AsyncSession, poll_id: str) -> Consensus | None:
    """The consensus a poll belongs to. A vote can arrive before the poll's id is committed
    (Telegram delivers votes as soon as the poll is shown, while sendPoll's answer is still on
    its way to us), so an unknown poll is looked up again for a moment before giving up."""
    for _attempt in range(UNKNOWN_POLL_RETRIES):
        row = await groups.consensus_by_poll(session, poll_id)
        if row is not None:
            return row
        await session.rollback()  # a fresh snapshot for the next look
        await asyncio.sleep(UNKNOWN_POLL_PAUSE)
    return await groups.consensus_by_poll(session, poll_id)


async def _record_result(session: AsyncSession, bot: Bot, row: Consensus, pack: Pack) -> None:
    """Record the agreed level once (a Close press and a closed-poll update may race), then ask
    for strengths and opportunities for improvement."""
    agreed, counts = agreed_level(await groups.votes_of(session, row.id))
    claimed = await session.execute(
        sql_update(Consensus)
        .where(
            Consensus.id == row.id,
            Consensus.poll_id == row.poll_id,
            Consensus.agreed_rating.is_(None),
        )
        .values(
            agreed_rating=agreed,
            # Nothing agreed: forget the poll, so the area shows as not agreed and can be voted
            # on again.
            poll_id=row.poll_id if agreed else None,
            vote_counts=json.dumps({level: n for level, n in counts.items() if n}),
            updated_at=utcnow(),
        )
    )
    await session.commit()
    if claimed.rowcount == 0:
        return
    area = pack.area(row.area_id)
    if agreed is None:
        await bot.send_message(
            row.chat_id,
            _("No team member voted on <b>{area}</b>, so nothing was recorded.").format(
                area=esc(area.title)
            ),
        )
        return
    votes = ", ".join(f"{esc(maturity_label(level))} {n}" for level, n in counts.items() if n)
    strengths = await bot.send_message(
        row.chat_id,
        _("✅ Agreed for <b>{area}</b>: <b>{level}</b> ({votes}).").format(
            area=esc(area.title), level=esc(maturity_label(agreed)), votes=votes
        )
        + "\n\n"
        + _("💪 What are our <b>strengths</b> here? Reply to this message (one or more replies)."),
    )
    improvements = await bot.send_message(
        row.chat_id,
        _(
            "🎯 What are our <b>opportunities for improvement</b> in {area}? Reply to this message."
        ).format(area=esc(area.title)),
    )
    await session.execute(
        sql_update(Consensus)
        .where(Consensus.id == row.id)
        .values(
            prompt_message_id=strengths.message_id,
            improvements_prompt_message_id=improvements.message_id,
        )
    )
    await session.commit()


async def reply_received(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A reply to the strengths or improvements question: added to what the team agreed."""
    message = update.effective_message
    async with open_group_turn(runtime(context), update.effective_user, message.chat_id) as turn:
        found = await groups.consensus_for_reply(
            turn.session, message.chat_id, message.reply_to_message.message_id
        )
        if found is None:
            return  # a reply to some other message of ours: nothing to record
        row, field = found
        round_ = await turn.session.get(AssessmentRound, row.round_id)
        if turn.team is None or round_.team_id != turn.team.id:
            return  # the group was linked to another team since: that question is gone
        if await refused(turn, update, Need.MEMBER):
            return
        note = message.text.strip()[:REPLY_MAX_CHARS]
        current = getattr(row, field)
        combined = f"{current}\n{note}" if current else note
        if len(combined) > NOTE_MAX_CHARS:
            await message.reply_text(_("That is all this area can hold; the manager can edit it."))
            return
        setattr(row, field, combined)
        row.updated_at = utcnow()
        await turn.session.commit()
        area_title = turn.pack.area(row.area_id).title if turn.pack else row.area_id
    if field == STRENGTHS:
        noted = _("📝 Noted as a strength for <b>{area}</b>.")
    else:
        noted = _("📝 Noted as an opportunity for improvement for <b>{area}</b>.")
    await message.reply_text(noted.format(area=esc(area_title)))


def _summary_blocks(turn: GroupTurn, rows: dict[str, Consensus]) -> list[str]:
    blocks = [
        _("🤝 <b>What {team} agreed</b> · {round}").format(
            team=esc(turn.team.name), round=esc(turn.round.name)
        )
    ]
    for number, area in enumerate(turn.pack.areas(), start=1):
        row = rows.get(area.id)
        if row is None or (row.agreed_rating is None and row.poll_id is None):
            state = _("not agreed yet")
        elif groups.poll_is_open(row):
            state = _("🗳 vote open")
        else:
            state = f"✅ {esc(maturity_label(row.agreed_rating))}"
        lines = [f"{number}. <b>{esc(area.title)}</b> — {state}"]
        if row is not None and row.strengths:
            lines.append(f"💪 {esc(row.strengths)}")
        if row is not None and row.improvements:
            lines.append(f"🎯 {esc(row.improvements)}")
        blocks.append("\n".join(lines))
    blocks.append(_("Managers: <code>/consensus N</code> opens a vote on area N."))
    return blocks
