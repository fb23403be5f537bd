"""/score: a person scores the areas they finished, privately, on the process scoring bands.

Two taps per score: the band (each button shows its range and one line; ❓ shows what every band
takes along Approach, Deployment, Learning and Integration), then the score inside it (⬅️ goes
back to the bands). A pack in ADLI mode asks the same for each dimension in turn, then shows the
four with ✅ Confirm / ✏️ Change: the area's score is stored, and counts, only once confirmed.
A score can change until the team sets the area's agreed score (bot/group/scores.py); nobody
sees another person's score before a manager reveals them in the group.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.core.callbacks import SCORE_PATTERN, score_data
from bot.core.commands import Chat, Need, command_handler
from bot.core.i18n import _
from bot.core.private_gate import refused
from bot.core.render import esc, split_message
from bot.core.runtime import runtime
from bot.core.turns import Turn, open_turn
from bot.domain.scoring import BANDS, area_score, dimensions, is_valid_score
from bot.private.score_view import band_button, band_help, band_range, dimension_name, percent
from bot.services import scores
from criteria.model import Area
from storage.models import Role
from storage.statuses import DONE_STATUSES

STEPS_PER_ROW = 4


def register(app: Application, group: int) -> None:
    app.add_handler(command_handler(Chat.PRIVATE, "score", score_command), group)
    app.add_handler(CallbackQueryHandler(score_button, pattern=SCORE_PATTERN), group)


def _scored_areas(turn: Turn) -> list[tuple[int, Area]]:
    """(number in the pack, area) of every area this pack scores."""
    scoring = turn.pack.scoring
    if scoring is None:
        return []
    return [(n, a) for n, a in enumerate(turn.pack.areas(), start=1) if scoring.scores(a.id)]


def _finished(area: Area, statuses: dict[str, str]) -> bool:
    return all(statuses.get(q.id) in DONE_STATUSES for q in area.questions)


async def score_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/score: the areas this person finished, with their score so far; a tap scores one."""
    message = update.effective_message
    async with open_turn(runtime(context), update.effective_user) as turn:
        if await refused(turn, message, Need.MEMBER):
            return
        areas = _scored_areas(turn)
        if not areas:
            await message.reply_text(_("This assessment does not score its areas."))
            return
        statuses = await turn.statuses()
        mine = await scores.my_scores(turn.session, turn.round_id, turn.person.id)
        agreed = await scores.agreed_scores(turn.session, turn.round_id)
        rows, waiting = [], 0
        for number, area in areas:
            if area.id in agreed:
                continue  # agreed: no longer scored privately
            if not _finished(area, statuses):
                waiting += 1
                continue
            label = f"{number}. {area.title}"
            if area.id in mine:
                label += f" · {percent(area_score(mine[area.id]))}"
            data = score_data("area", turn.round_id, number)
            rows.append([InlineKeyboardButton(label, callback_data=data)])
        text = _("🎯 <b>Score an area</b> — only you see your score until a manager reveals them.")
        if not rows:
            text = _("🎯 No area to score yet: finish an area's questions first.")
        elif waiting:
            text += "\n" + _("Areas you have not finished show up here once you have.")
        await message.reply_text(text, reply_markup=InlineKeyboardMarkup(rows) if rows else None)


async def score_offer(
    turn: Turn, after: str | None, statuses
) -> tuple[str, InlineKeyboardMarkup] | None:
    """After the last question of an area: the offer to score it (a message of its own, so the
    next question follows at once and nobody is held up); None when there is nothing to offer."""
    if after is None or turn.pack.scoring is None:
        return None
    area = turn.pack.area_of(after)
    if not turn.pack.scoring.scores(area.id) or not _finished(area, statuses):
        return None
    if area.id in await scores.my_scores(turn.session, turn.round_id, turn.person.id):
        return None
    number = turn.pack.areas().index(area) + 1
    text = _("🎯 You finished <b>{area}</b>. Score it now, or later with /score.").format(
        area=esc(area.title)
    )
    button = InlineKeyboardButton(
        _("🎯 Score this area"), callback_data=score_data("area", turn.round_id, number)
    )
    return text, InlineKeyboardMarkup([[button]])


def _chosen(match) -> tuple[int, ...]:
    """The scores a person chose for the earlier ADLI dimensions, carried by the button."""
    return tuple(int(v) for v in match["prev"].split(".")) if match["prev"] else ()


def _forged(action: str, dims: tuple[str, ...], dim_index: int, arg, chosen) -> bool:
    """A button no screen of ours would show: a dimension past the last, earlier scores that do
    not match the dimension, or a Confirm before every dimension has its score."""
    if dim_index >= len(dims) or (action in ("area", "help")) != (arg is None):
        return True
    if action in ("area", "help"):
        return False
    if action == "ok":
        return dim_index != len(dims) - 1 or len(chosen) != dim_index
    return len(chosen) != dim_index


async def score_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A /score button, checked against the database before anything changes."""
    query = update.callback_query
    match = SCORE_PATTERN.match(query.data)
    action, number = match["action"], int(match["area"])
    dim_index = int(match["dim"]) if match["dim"] is not None else 0
    arg = int(match["arg"]) if match["arg"] is not None else None
    chosen = _chosen(match)
    async with open_turn(runtime(context), update.effective_user) as turn:
        if turn.assessment is None or int(match["round"]) != turn.round_id:
            await query.answer(_("This belongs to an earlier round."), show_alert=True)
            return
        areas = dict(_scored_areas(turn))
        area = areas.get(number)
        dims = dimensions(turn.pack.scoring.per_dimension) if turn.pack.scoring else ()
        if area is None or _forged(action, dims, dim_index, arg, chosen):
            await query.answer(_("This button is no longer valid."), show_alert=True)
            return
        if action == "help":
            await query.answer()
            blocks = [_("❓ <b>The scoring bands</b>")] + [band_help(i) for i in range(len(BANDS))]
            for part in split_message(blocks):
                await context.bot.send_message(query.message.chat.id, part)
            return
        if (
            (action == "band" and arg >= len(BANDS))
            or (action in ("set", "ok") and not is_valid_score(arg))
            or not all(is_valid_score(value) for value in chosen)
        ):
            await query.answer(_("That is not a score on the scale."), show_alert=True)
            return
        if not _finished(area, await turn.statuses()):
            await query.answer(_("Finish this area's questions first."), show_alert=True)
            return
        if await scores.agreed_of_area(turn.session, turn.round_id, area.id) is not None:
            await query.answer(
                _("The team has agreed on this area's score; yours can no longer change."),
                show_alert=True,
            )
            return
        await query.answer()
        if action == "area":
            text, keyboard = _bands(turn, number, area, dims, 0, ())
        elif action == "back":
            text, keyboard = _bands(turn, number, area, dims, dim_index, chosen)
        elif action == "band":
            text, keyboard = _steps(turn, number, area, dims, dim_index, arg, chosen)
        elif action == "set" and dim_index + 1 < len(dims):
            text, keyboard = _bands(turn, number, area, dims, dim_index + 1, (*chosen, arg))
        elif action == "set" and len(dims) > 1:
            # The last ADLI dimension: nothing counts until the person confirms all four.
            text, keyboard = _to_confirm(turn, number, area, dims, (*chosen, arg))
        else:
            as_manager = turn.assessment.role == Role.MANAGER
            for dimension, value in zip(dims, (*chosen, arg), strict=True):
                await scores.record_score(
                    turn.session,
                    turn.round_id,
                    turn.person.id,
                    area.id,
                    dimension,
                    value,
                    as_manager,
                )
            await turn.commit()
            mine = await scores.my_scores(turn.session, turn.round_id, turn.person.id)
            text, keyboard = _summary(area, dims, mine.get(area.id, {})), None
        if action == "area":  # a new message: the list (or the offer) stays for the next area
            await context.bot.send_message(query.message.chat.id, text, reply_markup=keyboard)
        else:
            await query.edit_message_text(text, reply_markup=keyboard)


def _heading(area: Area, dims: tuple[str, ...], dim_index: int) -> str:
    head = f"🎯 <b>{esc(area.title)}</b>"
    if len(dims) > 1:
        head += f" — {dimension_name(dims[dim_index])} ({dim_index + 1}/{len(dims)})"
    return head


def _bands(turn: Turn, number: int, area: Area, dims, dim_index: int, chosen: tuple[int, ...]):
    rows = [
        [
            InlineKeyboardButton(
                band_button(i),
                callback_data=score_data("band", turn.round_id, number, dim_index, i, chosen),
            )
        ]
        for i in range(len(BANDS))
    ]
    rows.append(
        [
            InlineKeyboardButton(
                _("❓ What the bands mean"), callback_data=score_data("help", turn.round_id, number)
            )
        ]
    )
    text = _heading(area, dims, dim_index) + "\n" + _("Which band describes it best?")
    return text, InlineKeyboardMarkup(rows)


def _steps(turn: Turn, number: int, area: Area, dims, dim_index: int, band: int, chosen):
    steps = [
        InlineKeyboardButton(
            percent(value),
            callback_data=score_data("set", turn.round_id, number, dim_index, value, chosen),
        )
        for value in BANDS[band].steps
    ]
    text = (
        _heading(area, dims, dim_index)
        + "\n"
        + _("Band {band}. Where inside it?").format(band=band_range(BANDS[band]))
    )
    rows = [steps[i : i + STEPS_PER_ROW] for i in range(0, len(steps), STEPS_PER_ROW)]
    back = score_data("back", turn.round_id, number, dim_index, 0, chosen)
    rows.append([InlineKeyboardButton(_("⬅️ Back to the bands"), callback_data=back)])
    return text, InlineKeyboardMarkup(rows)


def _to_confirm(turn: Turn, number: int, area: Area, dims, values: tuple[int, ...]):
    """The four ADLI scores before they count: Confirm stores them, Change starts over."""
    lines = [
        _("🎯 Your scores for <b>{area}</b>, not saved yet:").format(area=esc(area.title)),
        *(f"• {dimension_name(d)}: {percent(v)}" for d, v in zip(dims, values, strict=True)),
        _("Overall: {score}").format(
            score=percent(area_score(dict(zip(dims, values, strict=True))))
        ),
    ]
    *earlier, last = values
    confirm = score_data("ok", turn.round_id, number, len(dims) - 1, last, tuple(earlier))
    change = score_data("back", turn.round_id, number, 0, 0)
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("✅ Confirm"), callback_data=confirm),
                InlineKeyboardButton(_("✏️ Change"), callback_data=change),
            ]
        ]
    )
    return "\n".join(lines), keyboard


def _summary(area: Area, dims, mine: dict[str, int]) -> str:
    lines = [
        _("✅ Your score for <b>{area}</b>: {score}").format(
            area=esc(area.title), score=percent(area_score(mine))
        )
    ]
    if len(dims) > 1:
        lines += [f"• {dimension_name(d)}: {percent(mine[d])}" for d in dims if d in mine]
    lines.append(_("You can change it with /score until the team agrees on the area's score."))
    return "\n".join(lines)
