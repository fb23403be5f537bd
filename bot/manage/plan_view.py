"""How /themes, /action and /actions look: the improvement items, the key themes, an action's
card and the team's list, with the buttons that act on them. Texts only; no database."""

from __future__ import annotations

from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.callbacks import (
    ActionStep,
    action_data,
    action_filter_data,
    theme_add_data,
    theme_pick_data,
    theme_rate_data,
    theme_remove_data,
)
from bot.core.i18n import N_, _, ngettext
from bot.core.render import edit_quietly, esc, preview, split_message
from bot.domain.actions import (
    DUE_CHOICES,
    LEVEL_NAMES,
    LEVELS,
    DueState,
    OfiItem,
    due_state,
    priority_order,
)
from bot.services.actions import PRIORITY, ActionLine
from criteria.model import Pack
from storage.models import Action, KeyTheme
from storage.statuses import ActionStatus

THEME_CHARS = 160  # a theme or action title as listed
BUTTON_CHARS = 40
MAX_PICK_BUTTONS = 60  # Telegram shows about a hundred inline buttons at most
MAX_OWNER_BUTTONS = 40

STATUS_TEXTS = {
    ActionStatus.DRAFT: N_("📝 being set up"),
    ActionStatus.OPEN: N_("⚪ open"),
    ActionStatus.STARTED: N_("▶️ started"),
    ActionStatus.BLOCKED: N_("⛔ blocked"),
    ActionStatus.DONE: N_("✅ done"),
    ActionStatus.DROPPED: N_("✖️ dropped"),
}
FILTER_TEXTS = {"open": N_("Open"), "overdue": N_("Overdue"), "done": N_("Done")}


def status_text(status: str) -> str:
    return _(STATUS_TEXTS[ActionStatus(status)])


def _short(text: str, limit: int = THEME_CHARS) -> str:
    return esc(preview(text, limit))


def area_titles(pack: Pack) -> dict[str, str]:
    return {area.id: area.title for area in pack.areas()}


def items_view(
    pack: Pack,
    round_id: int,
    items: list[tuple[int, str, str, list[OfiItem]]],
    picked: set[tuple[str, str, str]],
) -> tuple[list[str], InlineKeyboardMarkup | None]:
    """The round's strengths and improvements per area, numbered, with a button per item not yet
    picked: ⭐ makes an improvement a priority, 💪 marks a strength worth keeping.

    `items`: (area index, area id, "p" for improvements or "s" for strengths, the items).
    """
    titles = area_titles(pack)
    blocks = [
        _(
            "🧭 <b>Findings of the consensus</b>\n"
            "Tap ⭐ to make an opportunity for improvement a priority, 💪 to mark a strength "
            "worth keeping."
        )
    ]
    rows: list[list[InlineKeyboardButton]] = []
    for area_index, area_id, kind, area_items in items:
        heading = _("Opportunities for improvement") if kind == "p" else _("Strengths")
        lines = [f"<b>{area_index + 1}. {esc(titles.get(area_id, area_id))}</b> — {heading}"]
        for number, item in enumerate(area_items, start=1):
            label = f"{area_index + 1}.{number}"
            mark = "⭐" if kind == "p" else "💪"
            lines.append(f"{label} {_short(item.text)}")
            theme_kind = PRIORITY if kind == "p" else "strength"
            if (theme_kind, area_id, item.key) in picked:
                lines[-1] += f" {mark}"
            elif len(rows) < MAX_PICK_BUTTONS:
                text = f"{mark} {label} {preview(item.text, BUTTON_CHARS)}"
                rows.append(
                    [
                        InlineKeyboardButton(
                            text,
                            callback_data=theme_pick_data(kind, round_id, area_index, item.key),
                        )
                    ]
                )
        blocks.append("\n".join(lines))
    return split_message(blocks), InlineKeyboardMarkup(rows) if rows else None


def ordered_priorities(themes: list[KeyTheme]) -> list[KeyTheme]:
    """The priorities among `themes` in the order the team works on them
    (bot.domain.actions.priority_order)."""
    priorities = [t for t in themes if t.kind == PRIORITY]
    return sorted(priorities, key=lambda t: priority_order(t.rank, t.impact, t.effort))


def rating_text(theme: KeyTheme) -> str:
    """ " · impact high · effort low", or "" when not rated."""
    parts = []
    if theme.impact in LEVEL_NAMES:
        parts.append(_("impact {level}").format(level=_(LEVEL_NAMES[theme.impact])))
    if theme.effort in LEVEL_NAMES:
        parts.append(_("effort {level}").format(level=_(LEVEL_NAMES[theme.effort])))
    return "".join(f" · {part}" for part in parts)


def themes_view(
    pack: Pack,
    team_name: str,
    themes: list[KeyTheme],
    manager: bool,
    round_id: int | None = None,
) -> tuple[list[str], InlineKeyboardMarkup | None]:
    """The key themes, priorities first (highest impact, least effort first), with their
    ratings; a manager gets ➕ (start an action), ⚖️ (rate it) and ✖ per priority, and ✍️ to
    add a theme in their own words when `round_id` is given."""
    titles = area_titles(pack)
    priorities = ordered_priorities(themes)
    strengths = [t for t in themes if t.kind != PRIORITY]
    blocks = [_("🎯 <b>Key themes</b> — {team}").format(team=esc(team_name))]
    if not themes:
        blocks.append(_("No key themes chosen yet."))
    rows = []

    def line(number: int, theme: KeyTheme) -> str:
        area = titles.get(theme.area_id)
        where = f" <i>({esc(area)})</i>" if area else ""
        return f"{number}. {_short(theme.text)}{where}{rating_text(theme)}"

    if priorities:
        lines = [_("<b>Priorities</b>")]
        for number, theme in enumerate(priorities, start=1):
            lines.append(line(number, theme))
            if manager and len(rows) < MAX_PICK_BUTTONS:
                rows.append(
                    [
                        InlineKeyboardButton(
                            _("➕ Action for {number}").format(number=number),
                            callback_data=action_data(ActionStep.FROM_THEME, theme.id),
                        ),
                        InlineKeyboardButton(
                            _("⚖️ Rate {number}").format(number=number),
                            callback_data=theme_rate_data("r", theme.id),
                        ),
                        InlineKeyboardButton(
                            _("✖ Remove {number}").format(number=number),
                            callback_data=theme_remove_data(theme.id),
                        ),
                    ]
                )
        blocks.append("\n".join(lines))
    if strengths:
        lines = [_("<b>Strengths to keep</b>")]
        lines += [line(number, theme) for number, theme in enumerate(strengths, start=1)]
        blocks.append("\n".join(lines))
    if manager and round_id is not None:
        rows.append(
            [InlineKeyboardButton(_("✍️ Add a theme"), callback_data=theme_add_data(round_id))]
        )
    return split_message(blocks), InlineKeyboardMarkup(rows) if rows else None


def rating_keyboard(theme: KeyTheme) -> InlineKeyboardMarkup:
    """Impact and effort of one priority, a tap each (✓ marks the current; tapping it again
    clears it), and the way back to the list."""

    def row(what: str, label: str, current: int | None) -> list[InlineKeyboardButton]:
        return [
            InlineKeyboardButton(
                ("✓ " if level == current else "") + label.format(level=_(LEVEL_NAMES[level])),
                callback_data=theme_rate_data(what, theme.id, 0 if level == current else level),
            )
            for level in LEVELS
        ]

    return InlineKeyboardMarkup(
        [
            row("i", _("Impact {level}"), theme.impact),
            row("e", _("Effort {level}"), theme.effort),
            [
                InlineKeyboardButton(
                    _("⬅️ Back to the list"), callback_data=theme_rate_data("l", theme.id)
                )
            ],
        ]
    )


def rating_prompt(theme: KeyTheme) -> str:
    return _("⚖️ How much would <b>{theme}</b> change, and what would it take?").format(
        theme=_short(theme.text)
    )


def owner_keyboard(action_id: int, members: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    """One button per member (two a row) to choose who owns the action."""
    buttons = [
        InlineKeyboardButton(
            preview(name, BUTTON_CHARS), callback_data=action_data(ActionStep.OWNER, action_id, pid)
        )
        for pid, name in members[:MAX_OWNER_BUTTONS]
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def due_keyboard(action_id: int) -> InlineKeyboardMarkup:
    labels = {
        7: N_("In a week"),
        14: N_("In two weeks"),
        30: N_("In a month"),
        90: N_("In three months"),
    }
    buttons = [
        InlineKeyboardButton(
            _(labels[days]), callback_data=action_data(ActionStep.DUE, action_id, days)
        )
        for days in DUE_CHOICES
    ]
    return InlineKeyboardMarkup([buttons[:2], buttons[2:]])


def ask_owner_text(action: Action) -> str:
    return _("🛠 <b>{title}</b>\n\nWho owns this action?").format(title=_short(action.title))


def ask_due_text(action: Action, owner: str) -> str:
    return _("🛠 <b>{title}</b>\nOwner: {owner}\n\nWhen is it due?").format(
        title=_short(action.title), owner=esc(owner)
    )


def card_text(action: Action, pack: Pack, owner: str | None, today: date) -> str:
    """One action: what, for which area, who, when, where it stands."""
    lines = [f"🛠 <b>{_short(action.title, 600)}</b>"]
    area = area_titles(pack).get(action.area_id)
    if area:
        lines.append(_("Area: {area}").format(area=esc(area)))
    lines.append(_("Owner: {owner}").format(owner=esc(owner)) if owner else _("⚠️ Needs an owner"))
    if action.due_date is not None:
        due = _("Due: {date}").format(date=f"{action.due_date:%Y-%m-%d}")
        if due_state(action.status, action.due_date, today) is DueState.OVERDUE:
            due += " " + _("— overdue")
        lines.append(due)
    status = status_text(action.status)
    if action.status == ActionStatus.BLOCKED and action.blocked_reason:
        status += f": {esc(action.blocked_reason)}"
    lines.append(status)
    return "\n".join(lines)


def card_keyboard(action: Action, *, owner: bool, manager: bool) -> InlineKeyboardMarkup | None:
    """The owner's one-tap updates (started, done, blocked: those that change something) and
    the managers' reassign and drop; none once the action is closed."""
    if action.status in (ActionStatus.DONE, ActionStatus.DROPPED):
        return None
    rows = []
    if owner:
        steps = [
            (ActionStep.START, N_("▶️ Started"), ActionStatus.STARTED),
            (ActionStep.DONE, N_("✅ Done"), ActionStatus.DONE),
            (ActionStep.BLOCK, N_("⛔ Blocked"), ActionStatus.BLOCKED),
        ]
        rows.append(
            [
                InlineKeyboardButton(_(label), callback_data=action_data(step, action.id))
                for step, label, status in steps
                if action.status != status
            ]
        )
        rows.append(
            [
                InlineKeyboardButton(
                    _("📝 Progress note"), callback_data=action_data(ActionStep.NOTE, action.id)
                )
            ]
        )
    if manager:
        rows.append(
            [
                InlineKeyboardButton(
                    _("👤 Reassign"), callback_data=action_data(ActionStep.REASSIGN, action.id)
                ),
                InlineKeyboardButton(
                    _("✖️ Drop"), callback_data=action_data(ActionStep.DROP, action.id)
                ),
            ]
        )
    return InlineKeyboardMarkup(rows) if rows else None


def new_owner_text(team_name: str, by: str) -> str:
    return _("📌 <b>{by}</b> gave you an improvement action in <b>{team}</b>.").format(
        by=esc(by), team=esc(team_name)
    )


def team_list(
    team_name: str, which: str, lines: list[ActionLine], total: int, today: date
) -> tuple[list[str], InlineKeyboardMarkup]:
    """The team's actions under a filter, one line each, and the filter buttons."""
    head = _("🛠 <b>Actions of {team}</b> — {filter}").format(
        team=esc(team_name), filter=_(FILTER_TEXTS[which])
    )
    blocks = [head]
    if not lines:
        blocks.append(_("None."))
    for number, entry in enumerate(lines, start=1):
        action = entry.action
        owner = esc(entry.owner_name) if entry.owner_name else _("⚠️ needs an owner")
        due = f"{action.due_date:%Y-%m-%d}" if action.due_date else "—"
        overdue = due_state(action.status, action.due_date, today) is DueState.OVERDUE
        blocks.append(
            f"{number}. {_short(action.title)}\n   {owner} · {due}"
            + (" ⏰" if overdue else "")
            + f" · {status_text(action.status)}"
        )
    if total > len(lines):
        blocks.append(
            ngettext("…and {count} more", "…and {count} more", total - len(lines)).format(
                count=total - len(lines)
            )
        )
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_(FILTER_TEXTS[name]), callback_data=action_filter_data(name))
                for name in FILTER_TEXTS
            ]
        ]
    )
    return split_message(blocks), keyboard


async def show_in_place(query, bot, texts: list[str], keyboard) -> None:
    """Replace the pressed message with a view that fits in it; a longer one is sent anew."""
    if len(texts) == 1:
        await edit_quietly(query, texts[0], reply_markup=keyboard)
        return
    for index, text in enumerate(texts):
        last = index == len(texts) - 1
        await bot.send_message(query.message.chat.id, text, reply_markup=keyboard if last else None)


def walk_through_keyboard(action: Action) -> InlineKeyboardMarkup:
    """A new round's question about an unfinished action: keep, done or drop, one tap each."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _("➡️ Keep"), callback_data=action_data(ActionStep.CARRY, action.id)
                ),
                InlineKeyboardButton(
                    _("✅ Done"), callback_data=action_data(ActionStep.DONE, action.id)
                ),
                InlineKeyboardButton(
                    _("✖️ Drop"), callback_data=action_data(ActionStep.DROP, action.id)
                ),
            ]
        ]
    )
