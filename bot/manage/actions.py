"""/action and /actions: improvement actions with an owner and a due date, and their buttons.

A manager starts an action from a priority (➕ under /themes) or with /action, chooses its owner
among the team with a button and its due date with a button (or types it after /action in their
own way of writing dates). The owner is told at once, in their language, and updates the action
with one tap from any message about it; managers reassign or drop it. Every press reads the
action and the presser's role in its team again, so a forged or stale button changes nothing.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.core import i18n
from bot.core.callbacks import ACTION_FILTER_PATTERN, ACTION_PATTERN, ActionStep
from bot.core.commands import Chat, Need, command_handler
from bot.core.i18n import N_, _, ngettext
from bot.core.private_gate import MANAGERS_ONLY_TEXT, refused
from bot.core.render import edit_quietly
from bot.core.runtime import runtime
from bot.core.turns import Turn, open_turn
from bot.domain.actions import DUE_CHOICES, due_choice, local_today, parse_typed_date
from bot.manage import plan_view as view
from bot.manage.action_notes import ask
from bot.services import action_notes as notes
from bot.services import actions
from bot.services.membership import role_in_team
from bot.services.schedules import team_zone
from storage.models import Action, AssessmentRound, KeyTheme, Person, Role, Team
from storage.queries import current_round, display_name, team_members
from storage.statuses import OPEN_ACTION_STATUSES, ActionStatus

log = logging.getLogger(__name__)

TITLE_CHARS = 500
MAX_CARDS = 10  # /actions shows the owner's first ten as cards; the rest are listed
USAGE_TEXT = N_(
    "<code>/action WHAT</code> — a new improvement action; you then choose its owner and due "
    "date\n<code>/action DATE WHAT</code> — with a due date you type (for example {example})\n"
    "Or tap ➕ beside a priority in /themes."
)
DATE_EXAMPLES = {"en": "12/31/2027", "es": "31/12/2027", "ru": "31.12.2027"}
NOT_A_MEMBER_TEXT = N_("You are not in that team, so you cannot change it.")
GONE_TEXT = N_("This action no longer exists.")
OWNER_ONLY_TEXT = N_("Only the action's owner can update it.")
CLOSED_TEXT = N_("This action is closed.")
OWNER_STEPS = {
    ActionStep.START: ActionStatus.STARTED,
    ActionStep.DONE: ActionStatus.DONE,
    ActionStep.BLOCK: ActionStatus.BLOCKED,
}


def register(app: Application, group: int) -> None:
    app.add_handler(command_handler(Chat.PRIVATE, "action", action_command), group)
    app.add_handler(command_handler(Chat.PRIVATE, "actions", actions_command), group)
    app.add_handler(CallbackQueryHandler(action_button, pattern=ACTION_PATTERN), group)
    app.add_handler(CallbackQueryHandler(filter_button, pattern=ACTION_FILTER_PATTERN), group)


def _today(turn: Turn, context, team: Team):
    return local_today(turn.now, team_zone(team, runtime(context).settings.default_timezone))


async def _members(turn: Turn, team_id: int) -> list[tuple[int, str]]:
    return [(p.id, display_name(p)) for p, _role in await team_members(turn.session, team_id)]


async def action_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/action [DATE] WHAT: a new action; the owner and (unless typed) the due date by buttons."""
    message = update.effective_message
    args = list(context.args or [])
    async with open_turn(runtime(context), update.effective_user) as turn:
        if await refused(turn, message, Need.MANAGER):
            return
        team, round_ = turn.assessment.team, turn.assessment.round
        if not args:
            example = DATE_EXAMPLES.get(turn.language, "2027-12-31")
            await message.reply_text(_(USAGE_TEXT).format(example=example))
            return
        due = parse_typed_date(args[0], turn.language, _today(turn, context, team))
        title = " ".join(args[1:] if due else args)[:TITLE_CHARS]
        if not title:
            await message.reply_text(_("Say what will be done after the date."))
            return
        action = await actions.create_action(
            turn.session, team.id, round_.id, title, turn.person.id, due=due
        )
        members = await _members(turn, team.id)
        await turn.commit()
    await message.reply_text(
        view.ask_owner_text(action), reply_markup=view.owner_keyboard(action.id, members)
    )


async def actions_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/actions: the person's own actions as cards; for managers also the team's open ones."""
    message = update.effective_message
    async with open_turn(runtime(context), update.effective_user) as turn:
        if await refused(turn, message, Need.MEMBER):
            return
        team = turn.assessment.team
        manager = turn.assessment.role == Role.MANAGER
        mine = await actions.actions_of_owner(turn.session, team.id, turn.person.id)
        if manager:
            lines, total = await actions.team_actions(turn.session, team.id, OPEN_ACTION_STATUSES)
        today = _today(turn, context, team)
    name = display_name(turn.person)
    if not mine:
        await message.reply_text(_("You own no open improvement actions."))
    for action in mine[:MAX_CARDS]:
        await message.reply_text(
            view.card_text(action, turn.pack, name, today),
            reply_markup=view.card_keyboard(action, owner=True, manager=manager),
        )
    if len(mine) > MAX_CARDS:
        await message.reply_text(
            _("You own {count} open actions; the first {shown} are above.").format(
                count=len(mine), shown=MAX_CARDS
            )
        )
    if manager:
        texts, keyboard = view.team_list(team.name, "open", lines, total, today)
        for index, text in enumerate(texts):
            last = index == len(texts) - 1
            await message.reply_text(text, reply_markup=keyboard if last else None)


async def filter_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Open, Overdue or Done under the team's list: the list again, filtered (managers)."""
    query = update.callback_query
    which = ACTION_FILTER_PATTERN.match(query.data)["filter"]
    async with open_turn(runtime(context), update.effective_user) as turn:
        if turn.assessment is None or turn.assessment.role != Role.MANAGER:
            await query.answer(_(MANAGERS_ONLY_TEXT), show_alert=True)
            return
        team = turn.assessment.team
        today = _today(turn, context, team)
        statuses = frozenset({ActionStatus.DONE}) if which == "done" else OPEN_ACTION_STATUSES
        due_before = today if which == "overdue" else None
        lines, total = await actions.team_actions(turn.session, team.id, statuses, due_before)
    await query.answer()
    texts, keyboard = view.team_list(team.name, which, lines, total, today)
    await view.show_in_place(query, context.bot, texts, keyboard)


async def action_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every action button: checked against the action and the presser's role, then done."""
    query = update.callback_query
    match = ACTION_PATTERN.match(query.data)
    step, target = ActionStep(match["step"]), int(match["id"])
    arg = int(match["arg"]) if match["arg"] else None
    async with open_turn(runtime(context), update.effective_user) as turn:
        if step is ActionStep.FROM_THEME:
            await _from_theme(turn, query, target)
            return
        action = await turn.session.get(Action, target)
        if action is None:
            await query.answer(_(GONE_TEXT), show_alert=True)
            return
        role = await role_in_team(turn.session, action.team_id, turn.person.id)
        if role is None:
            await query.answer(_(NOT_A_MEMBER_TEXT), show_alert=True)
            return
        if step in OWNER_STEPS:
            await _owner_update(turn, context, query, action, OWNER_STEPS[step], role)
            return
        if step is ActionStep.NOTE:
            await _ask_note(turn, query, action)
            return
        if role != Role.MANAGER:
            await query.answer(_(MANAGERS_ONLY_TEXT), show_alert=True)
            return
        if action.status in (ActionStatus.DONE, ActionStatus.DROPPED):
            await query.answer(_(CLOSED_TEXT), show_alert=True)
            return
        if step is ActionStep.CARRY:
            await _carry(turn, context, query, action)
        elif step is ActionStep.OWNER:
            await _choose_owner(turn, context, query, action, arg)
        elif step is ActionStep.DUE:
            await _choose_due(turn, context, query, action, arg)
        elif step is ActionStep.REASSIGN:
            members = await _members(turn, action.team_id)
            await query.answer()
            await edit_quietly(
                query, view.ask_owner_text(action), view.owner_keyboard(action.id, members)
            )
        else:  # DROP
            await actions.set_status(
                turn.session, action, ActionStatus.DROPPED, turn.person.id, turn.now
            )
            await turn.commit()
            await query.answer(_("Dropped"))
            await _show_card(turn, context, query, action, manager=True)
            await ask(turn, query.message, action, notes.DROPPED)


async def _from_theme(turn: Turn, query, theme_id: int) -> None:
    """➕ beside a priority: a draft action serving it, and the owner buttons."""
    theme = await turn.session.get(KeyTheme, theme_id)
    role = theme and await role_in_team(turn.session, theme.team_id, turn.person.id)
    if role != Role.MANAGER:
        await query.answer(_(MANAGERS_ONLY_TEXT), show_alert=True)
        return
    action = await actions.create_action(
        turn.session,
        theme.team_id,
        theme.round_id,
        theme.text[:TITLE_CHARS],
        turn.person.id,
        area_id=theme.area_id,
        theme_id=theme.id,
    )
    members = await _members(turn, theme.team_id)
    await turn.commit()
    await query.answer()
    await query.message.reply_text(
        view.ask_owner_text(action), reply_markup=view.owner_keyboard(action.id, members)
    )


async def _choose_owner(turn: Turn, context, query, action: Action, owner_id: int | None) -> None:
    owner = owner_id is not None and await turn.session.get(Person, owner_id)
    if not owner or await role_in_team(turn.session, action.team_id, owner_id) is None:
        await query.answer(_("That person is no longer in the team."), show_alert=True)
        return
    reassigning = action.status != ActionStatus.DRAFT
    await actions.set_owner(turn.session, action, owner_id, turn.person.id)
    if action.status == ActionStatus.DRAFT and action.due_date is None:
        await turn.commit()
        await query.answer()
        await edit_quietly(
            query,
            view.ask_due_text(action, display_name(owner)),
            view.due_keyboard(action.id),
        )
        return
    if action.status == ActionStatus.DRAFT:  # the date was typed with /action
        await actions.set_due(turn.session, action, action.due_date, turn.person.id)
    await turn.commit()
    await query.answer(_("Saved"))
    await _show_card(turn, context, query, action, manager=True, created=True)
    await _tell_owner(turn, context, action, owner)
    if reassigning:
        await ask(turn, query.message, action, notes.REASSIGNED)


async def _choose_due(turn: Turn, context, query, action: Action, days: int | None) -> None:
    if days not in DUE_CHOICES or action.owner_id is None:
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    team = await turn.session.get(Team, action.team_id)
    await actions.set_due(
        turn.session, action, due_choice(days, _today(turn, context, team)), turn.person.id
    )
    owner = await turn.session.get(Person, action.owner_id)
    await turn.commit()
    await query.answer(_("Saved"))
    await _show_card(turn, context, query, action, manager=True, created=True)
    await _tell_owner(turn, context, action, owner)


async def _owner_update(turn: Turn, context, query, action: Action, status, role: str) -> None:
    """Started, done or blocked, by the action's owner, from any message about it; a manager
    may also mark one done (a new round's walk-through closes what was finished)."""
    manager_done = status is ActionStatus.DONE and role == Role.MANAGER
    if action.owner_id != turn.person.id and not manager_done:
        await query.answer(_(OWNER_ONLY_TEXT), show_alert=True)
        return
    if action.status not in OPEN_ACTION_STATUSES:
        await query.answer(_(CLOSED_TEXT), show_alert=True)
        return
    await actions.set_status(turn.session, action, status, turn.person.id, turn.now)
    await turn.commit()
    await query.answer(view.status_text(status))
    await _show_card(turn, context, query, action, manager=role == Role.MANAGER)
    if status is ActionStatus.BLOCKED:
        await ask(turn, query.message, action, notes.BLOCKED)


async def _ask_note(turn: Turn, query, action: Action) -> None:
    """📝 by the owner of an open action: their next typed text is a progress note."""
    if action.owner_id != turn.person.id:
        await query.answer(_(OWNER_ONLY_TEXT), show_alert=True)
        return
    if action.status not in OPEN_ACTION_STATUSES:
        await query.answer(_(CLOSED_TEXT), show_alert=True)
        return
    await query.answer()
    await ask(turn, query.message, action, notes.NOTE)


async def _carry(turn: Turn, context, query, action: Action) -> None:
    """➡️ Keep in a new round's walk-through: the action carries on in the team's open round."""
    current = await current_round(turn.session, action.team_id)
    if current is None or current.id == action.round_id:
        await query.answer(_("It is already part of the current round."), show_alert=True)
        return
    await actions.carry_into_round(turn.session, action, current.id, turn.person.id, turn.now)
    await turn.commit()
    await query.answer(_("Kept"))
    await _show_card(turn, context, query, action, manager=True)


async def walk_through(turn: Turn, message, closed_round_id: int) -> None:
    """After /round new: each unfinished action of the round just closed, to keep (carried into
    the new round), mark done or drop, one tap each. Nothing when no new round was opened."""
    current = await current_round(turn.session, turn.assessment.team.id)
    if current is None or current.id == closed_round_id:
        return
    open_ones = await actions.open_actions_of_round(turn.session, closed_round_id)
    if not open_ones:
        return
    team = turn.assessment.team
    today = local_today(turn.now, team_zone(team, "UTC"))
    await message.reply_text(
        ngettext(
            "🧭 {count} improvement action is still open. Keep it for the new round, mark it "
            "done, or drop it:",
            "🧭 {count} improvement actions are still open. Keep each for the new round, mark it "
            "done, or drop it:",
            len(open_ones),
        ).format(count=len(open_ones))
    )
    for line in open_ones[:MAX_CARDS]:
        await message.reply_text(
            view.card_text(line.action, turn.pack, line.owner_name, today),
            reply_markup=view.walk_through_keyboard(line.action),
        )


async def _show_card(
    turn: Turn, context, query, action: Action, *, manager: bool, created: bool = False
) -> None:
    """The pressed message becomes the action's card, with the presser's buttons."""
    team = await turn.session.get(Team, action.team_id)
    round_ = await turn.session.get(AssessmentRound, action.round_id)
    owner = action.owner_id and await turn.session.get(Person, action.owner_id)
    pack = runtime(context).packs.get(round_.pack_id).translated(turn.language)
    text = view.card_text(
        action, pack, display_name(owner) if owner else None, _today(turn, context, team)
    )
    if created:
        text = _("✅ Action saved. The owner has been told.") + "\n\n" + text
    keyboard = view.card_keyboard(action, owner=action.owner_id == turn.person.id, manager=manager)
    await edit_quietly(query, text, keyboard)


async def _tell_owner(turn: Turn, context, action: Action, owner: Person) -> None:
    """The new owner hears of the action at once, in their language, with its buttons."""
    team = await turn.session.get(Team, action.team_id)
    round_ = await turn.session.get(AssessmentRound, action.round_id)
    today = _today(turn, context, team)
    manager = await role_in_team(turn.session, team.id, owner.id) == Role.MANAGER
    with i18n.use_language(i18n.language_for(owner, team)) as language:
        pack = runtime(context).packs.get(round_.pack_id).translated(language)
        text = (
            view.new_owner_text(team.name, display_name(turn.person))
            + "\n\n"
            + view.card_text(action, pack, display_name(owner), today)
        )
        keyboard = view.card_keyboard(action, owner=True, manager=manager)
    try:
        await context.bot.send_message(owner.telegram_user_id, text, reply_markup=keyboard)
    except Forbidden:
        # They blocked the bot: the action stands; /actions shows it when they come back.
        log.info("action %s: owner %s could not be told", action.id, owner.id)
