"""/themes: after the consensus, managers pick the team's priorities among the recorded
opportunities for improvement (and strengths worth keeping); everyone sees the key themes.

The items are the areas' improvements and strengths texts split by bot.domain.actions.ofi_items;
a button names an item by its key, so it still finds the item after other lines were edited,
and says so when the item itself is gone. The presser's role in the round's team is read again
on every press.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.core.callbacks import (
    THEME_ADD_PATTERN,
    THEME_PICK_PATTERN,
    THEME_RATE_PATTERN,
    THEME_REMOVE_PATTERN,
)
from bot.core.commands import Chat, Need, command_handler
from bot.core.i18n import _
from bot.core.private_gate import MANAGERS_ONLY_TEXT, refused
from bot.core.render import edit_quietly, esc, preview
from bot.core.runtime import runtime
from bot.core.turns import Turn, open_turn
from bot.domain.actions import LEVELS, OfiItem, ofi_items, ofi_key
from bot.manage import plan_view as view
from bot.services import action_notes as notes
from bot.services import actions, consensus
from bot.services.membership import role_in_team
from criteria.model import Pack
from storage.models import AssessmentRound, Consensus, KeyTheme, Role, Team


def register(app: Application, group: int) -> None:
    app.add_handler(command_handler(Chat.PRIVATE, "themes", themes_command), group)
    app.add_handler(CallbackQueryHandler(pick_button, pattern=THEME_PICK_PATTERN), group)
    app.add_handler(CallbackQueryHandler(remove_button, pattern=THEME_REMOVE_PATTERN), group)
    app.add_handler(CallbackQueryHandler(rate_button, pattern=THEME_RATE_PATTERN), group)
    app.add_handler(CallbackQueryHandler(add_button, pattern=THEME_ADD_PATTERN), group)


OWN_THEME_CHARS = 300  # a theme typed by a manager: a line, not an essay


def round_items(
    pack: Pack, rows: dict[str, Consensus]
) -> list[tuple[int, str, str, list[OfiItem]]]:
    """Per area in the pack's order: its improvements ("p") and strengths ("s") as items."""
    found = []
    for index, area in enumerate(pack.areas()):
        row = rows.get(area.id)
        if row is None:
            continue
        for kind, text in (("p", row.improvements), ("s", row.strengths)):
            items = ofi_items(text)
            if items:
                found.append((index, area.id, kind, items))
    return found


async def themes_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/themes: the key themes; for managers first the findings to pick them from."""
    message = update.effective_message
    async with open_turn(runtime(context), update.effective_user) as turn:
        if await refused(turn, message, Need.MEMBER):
            return
        assessment = turn.assessment
        manager = assessment.role == Role.MANAGER
        themes = await actions.themes_of_round(turn.session, assessment.round.id)
        rows = await consensus.consensus_rows(turn.session, assessment.round.id) if manager else {}
    if manager:
        items = round_items(turn.pack, rows)
        if not items:
            await message.reply_text(
                _(
                    "No strengths or improvements are recorded in this round yet. The group "
                    "records them after a vote: <code>/consensus N</code> in the team's group."
                )
            )
        else:
            picked = {(t.kind, t.area_id, t.ofi_key) for t in themes}
            texts, keyboard = view.items_view(turn.pack, assessment.round.id, items, picked)
            await _send(message, texts, keyboard)
    texts, keyboard = view.themes_view(
        turn.pack, assessment.team.name, themes, manager, assessment.round.id
    )
    await _send(message, texts, keyboard)


async def _send(message, texts: list[str], keyboard) -> None:
    for index, text in enumerate(texts):
        last = index == len(texts) - 1
        await message.reply_text(text, reply_markup=keyboard if last else None)


async def pick_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """⭐ or 💪 on an item: it becomes a priority (or a strength to keep)."""
    query = update.callback_query
    match = THEME_PICK_PATTERN.match(query.data)
    round_id, area_index, key = int(match["round"]), int(match["area"]), match["key"]
    kind = actions.PRIORITY if match["kind"] == "p" else actions.STRENGTH
    rt = runtime(context)
    async with open_turn(rt, update.effective_user) as turn:
        round_ = await turn.session.get(AssessmentRound, round_id)
        role = round_ and await role_in_team(turn.session, round_.team_id, turn.person.id)
        if role != Role.MANAGER:
            await query.answer(_(MANAGERS_ONLY_TEXT), show_alert=True)
            return
        pack = rt.packs.get(round_.pack_id).translated(turn.language)
        areas = pack.areas()
        rows = await consensus.consensus_rows(turn.session, round_id)
        row = rows.get(areas[area_index].id) if area_index < len(areas) else None
        text = row and (row.improvements if kind == actions.PRIORITY else row.strengths)
        item = next((i for i in ofi_items(text) if i.key == key), None)
        if item is None:
            await query.answer(
                _("That item was changed or removed. /themes shows the current ones."),
                show_alert=True,
            )
            return
        await actions.add_theme(
            turn.session,
            round_.team_id,
            round_id,
            row.area_id,
            key,
            item.text,
            kind,
            turn.person.id,
        )
        themes = await actions.themes_of_round(turn.session, round_id)
        team = await turn.session.get(Team, round_.team_id)
        await turn.commit()
    picked = {(t.kind, t.area_id, t.ofi_key) for t in themes}
    _texts, keyboard = view.items_view(pack, round_id, round_items(pack, rows), picked)
    await query.answer(
        _("⭐ Priority added") if kind == actions.PRIORITY else _("💪 Strength kept")
    )
    await edit_quietly(query, reply_markup=keyboard)  # the picked item loses its button
    texts, keyboard = view.themes_view(pack, team.name, themes, manager=True, round_id=round_id)
    for index, text in enumerate(texts):
        last = index == len(texts) - 1
        await context.bot.send_message(
            query.message.chat.id, text, reply_markup=keyboard if last else None
        )


async def remove_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """✖ on a priority: it is no longer a key theme; actions serving it stay."""
    query = update.callback_query
    theme_id = int(THEME_REMOVE_PATTERN.match(query.data)["theme"])
    rt = runtime(context)
    async with open_turn(rt, update.effective_user) as turn:
        theme = await turn.session.get(KeyTheme, theme_id)
        role = theme and await role_in_team(turn.session, theme.team_id, turn.person.id)
        if role != Role.MANAGER:
            await query.answer(_(MANAGERS_ONLY_TEXT), show_alert=True)
            return
        round_id = theme.round_id
        team = await turn.session.get(Team, theme.team_id)
        await actions.remove_theme(turn.session, theme)
        themes = await actions.themes_of_round(turn.session, round_id)
        round_ = await turn.session.get(AssessmentRound, round_id)
        await turn.commit()
    pack = rt.packs.get(round_.pack_id).translated(turn.language)
    await query.answer(_("Removed"))
    texts, keyboard = view.themes_view(pack, team.name, themes, manager=True, round_id=round_id)
    await view.show_in_place(query, context.bot, texts, keyboard)


async def rate_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """⚖️ on a priority opens its impact and effort buttons; a level sets one (again: clears
    it); ⬅️ goes back to the list, now in its new order."""
    query = update.callback_query
    match = THEME_RATE_PATTERN.match(query.data)
    what, level = match["what"], int(match["level"] or 0)
    rt = runtime(context)
    async with open_turn(rt, update.effective_user) as turn:
        theme = await turn.session.get(KeyTheme, int(match["theme"]))
        role = theme and await role_in_team(turn.session, theme.team_id, turn.person.id)
        if role != Role.MANAGER or theme.kind != actions.PRIORITY:
            await query.answer(_(MANAGERS_ONLY_TEXT), show_alert=True)
            return
        if what in ("i", "e"):
            await actions.rate_theme(turn.session, theme, what, level if level in LEVELS else None)
        round_ = await turn.session.get(AssessmentRound, theme.round_id)
        themes = await actions.themes_of_round(turn.session, theme.round_id)
        team = await turn.session.get(Team, theme.team_id)
        await turn.commit()
    await query.answer()
    if what == "l":
        pack = rt.packs.get(round_.pack_id).translated(turn.language)
        texts, keyboard = view.themes_view(pack, team.name, themes, True, round_.id)
        await view.show_in_place(query, context.bot, texts, keyboard)
        return
    text = view.rating_prompt(theme)
    if rating := view.rating_text(theme):
        text += "\n" + rating.removeprefix(" · ")
    await edit_quietly(query, text, view.rating_keyboard(theme))


async def add_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """✍️ Add a theme: the manager's next text becomes a priority in their own words."""
    query = update.callback_query
    round_id = int(THEME_ADD_PATTERN.match(query.data)["round"])
    async with open_turn(runtime(context), update.effective_user) as turn:
        round_ = await turn.session.get(AssessmentRound, round_id)
        role = round_ and await role_in_team(turn.session, round_.team_id, turn.person.id)
        if role != Role.MANAGER:
            await query.answer(_(MANAGERS_ONLY_TEXT), show_alert=True)
            return
        await notes.wait_for_text(
            turn.session, None, turn.person.id, notes.THEME, turn.now, note=str(round_id)
        )
        await turn.commit()
    await query.answer()
    await query.message.reply_text(
        _("✍️ Type the key theme in your own words (at most {limit} characters):").format(
            limit=OWN_THEME_CHARS
        )
    )


async def typed_theme(turn: Turn, packs, message, wait, text: str) -> None:
    """The text a manager typed after ✍️: a priority of the round, or a clear no (too long, or
    they are no longer a manager there) with nothing saved and the wait gone."""
    round_ = None
    if wait.note and wait.note.isdigit():
        round_ = await turn.session.get(AssessmentRound, int(wait.note))
    role = round_ and await role_in_team(turn.session, round_.team_id, turn.person.id)
    await notes.forget_wait(turn.session, wait)
    if role != Role.MANAGER:
        await turn.commit()
        await message.reply_text(_("This action has changed since, so nothing was saved."))
        return
    if len(text) > OWN_THEME_CHARS:
        await turn.commit()
        await message.reply_text(
            _(
                "That theme is {count} characters long; the limit is {limit}. Nothing was saved: "
                "tap ✍️ Add a theme again and type a shorter one."
            ).format(count=len(text), limit=OWN_THEME_CHARS)
        )
        return
    await actions.add_theme(
        turn.session,
        round_.team_id,
        round_.id,
        "",
        ofi_key(text),
        text,
        actions.PRIORITY,
        turn.person.id,
    )
    themes = await actions.themes_of_round(turn.session, round_.id)
    team = await turn.session.get(Team, round_.team_id)
    await turn.commit()
    await message.reply_text(
        _("🎯 Added to the key themes: <b>{theme}</b>").format(theme=esc(preview(text, 200)))
    )
    pack = packs.get(round_.pack_id).translated(turn.language)
    texts, keyboard = view.themes_view(pack, team.name, themes, True, round_.id)
    await _send(message, texts, keyboard)
