"""Managers run their team: /team (members, progress, remove, make manager) and /teams (choose
which team to answer for).

Every button carries only ids; who pressed it, their role in that team and the target's
membership are read from the database again before anything changes (bot.domain.team_rules
decides), so a forged or stale button gets an alert and changes nothing.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.core.callbacks import TEAM_CANCEL_PATTERN, TEAM_PATTERN, TeamAction
from bot.core.commands import Chat, Need, command_handler
from bot.core.i18n import _
from bot.core.private_gate import NO_ROUND_TEXT, NO_TEAM_TEXT, refused
from bot.core.render import edit_quietly, esc
from bot.core.runtime import runtime
from bot.core.turns import Turn, open_turn
from bot.domain.team_rules import Refusal, may_promote, may_remove
from bot.manage import team_view as view
from bot.private import asking
from bot.services import membership, teams
from storage.models import Person, Team
from storage.queries import display_name

log = logging.getLogger(__name__)


def register(app: Application, group: int) -> None:
    app.add_handler(command_handler(Chat.PRIVATE, "team", team_command), group)
    app.add_handler(command_handler(Chat.PRIVATE, "teams", teams_command), group)
    app.add_handler(CallbackQueryHandler(team_button, pattern=TEAM_PATTERN), group)
    app.add_handler(CallbackQueryHandler(cancel_button, pattern=TEAM_CANCEL_PATTERN), group)


async def team_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/team: the active team's members with their progress, for its managers."""
    message = update.effective_message
    async with open_turn(runtime(context), update.effective_user) as turn:
        assessment = turn.assessment
        if await refused(turn, message, Need.MANAGER):
            return
        roster = await membership.team_roster(
            turn.session, turn.pack, assessment.team.id, assessment.round.id
        )
    texts = view.roster_messages(assessment.team.name, assessment.round.name, turn.pack, roster)
    keyboard = view.roster_keyboard(assessment.team.id, roster, turn.person.id)
    for index, text in enumerate(texts):
        last = index == len(texts) - 1
        await message.reply_text(text, reply_markup=keyboard if last else None)


async def teams_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/teams: the person's teams; a tap chooses which one they answer for."""
    message = update.effective_message
    async with open_turn(runtime(context), update.effective_user) as turn:
        mine = await membership.teams_of(turn.session, turn.person.id)
        if not mine:
            await message.reply_text(_(NO_TEAM_TEXT))
            return
        active = turn.assessment.team.id if turn.assessment else turn.person.active_team_id
    texts = view.teams_messages(mine, active)
    for index, text in enumerate(texts):
        last = index == len(texts) - 1
        await message.reply_text(text, reply_markup=view.teams_keyboard(mine) if last else None)


async def team_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    match = TEAM_PATTERN.match(query.data)
    team_id = int(match["team"])
    target_id = int(match["person"]) if match["person"] else None
    action = TeamAction(match["action"])
    if action is not TeamAction.USE and target_id is None:
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    async with open_turn(runtime(context), update.effective_user) as turn:
        if action is TeamAction.USE:
            await _choose_team(turn, context, query, team_id)
            return
        facts = await membership.team_facts(turn.session, team_id, turn.person.id, target_id)
        rule = {
            TeamAction.REMOVE: may_remove,
            TeamAction.CONFIRM_REMOVE: may_remove,
            TeamAction.MAKE_MANAGER: may_promote,
        }[action]
        refusal = rule(facts)
        if refusal is not None:
            await query.answer(view.refusal_text(refusal), show_alert=True)
            return
        target = await turn.session.get(Person, target_id)
        team = await turn.session.get(Team, team_id)
        if action is TeamAction.REMOVE:
            text, keyboard = view.confirm_removal(
                team_id, target_id, display_name(target), team.name
            )
            await query.answer()
            await context.bot.send_message(query.message.chat.id, text, reply_markup=keyboard)
            return
        if action is TeamAction.CONFIRM_REMOVE:
            await membership.remove_member(turn.session, team_id, target_id, turn.person.id)
            await turn.commit()
            log.info("person %s removed from team %s by %s", target_id, team_id, turn.person.id)
            await query.answer(_("Removed"))
            await edit_quietly(
                query,
                _(
                    "✅ <b>{name}</b> was removed from <b>{team}</b>. "
                    "Their answers stay in the round's record."
                ).format(name=esc(display_name(target)), team=esc(team.name)),
            )
            return
        await membership.make_manager(turn.session, team_id, target_id)
        await turn.commit()
        await query.answer(_("Done"))
        await context.bot.send_message(
            query.message.chat.id,
            _("⭐ <b>{name}</b> is now a manager of <b>{team}</b>.").format(
                name=esc(display_name(target)), team=esc(team.name)
            ),
        )


async def _choose_team(turn: Turn, context, query, team_id: int) -> None:
    rt = runtime(context)
    team = await membership.choose_team(turn.session, turn.person, team_id)
    if team is None:
        await query.answer(view.refusal_text(Refusal.NOT_A_MEMBER), show_alert=True)
        return
    await turn.session.flush()
    turn.assessment = await teams.active_assessment(turn.session, turn.person)
    await turn.commit()
    # The chosen team may speak another default language; its pack is shown in the new one.
    await turn.settle(rt.packs)
    await query.answer(_("Answering for {team}").format(team=team.name)[:200])
    chat_id = query.message.chat.id
    if turn.assessment is None or turn.assessment.team.id != team.id:
        await context.bot.send_message(
            chat_id,
            _("You answer for <b>{team}</b> now.").format(team=esc(team.name))
            + " "
            + _(NO_ROUND_TEXT),
        )
        return
    await context.bot.send_message(
        chat_id, _("▶️ You answer for <b>{team}</b> now.").format(team=esc(team.name))
    )
    await asking.resume(turn, context, chat_id)


async def cancel_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer(_("Nothing changed"))
    await edit_quietly(query, _("Nothing changed."))
