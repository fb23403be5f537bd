"""How /team and /teams look: the roster with progress, and the buttons that act on it."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.callbacks import TEAM_CANCEL_DATA, TeamAction, team_data
from bot.core.i18n import N_, _, ngettext
from bot.core.render import esc, preview, progress_bar, split_message
from bot.domain.team_rules import Refusal
from bot.services.membership import RosterEntry, TeamOfPerson
from criteria.model import Pack
from storage.models import Role

# Telegram shows about a hundred inline buttons at most; a bigger team is listed in full but
# only its first members get buttons (two each).
MAX_MEMBER_BUTTONS = 45
MAX_TEAM_BUTTONS = 90  # /teams: one button per team
TEAM_BUTTON_CHARS = 60

# Marked only: shown with _() (or refusal_text) in the reader's language.
REFUSALS = {
    Refusal.NOT_A_MEMBER: N_("You are not in that team, so you cannot change it."),
    Refusal.NOT_A_MANAGER: N_("Only the team's managers can do that."),
    Refusal.TARGET_GONE: N_("That person is no longer in the team."),
    Refusal.LAST_MANAGER: N_(
        "A team needs a manager. Make someone else a manager before removing the last one."
    ),
    Refusal.ALREADY_MANAGER: N_("They are already a manager."),
}


def refusal_text(refusal: Refusal) -> str:
    return _(REFUSALS[refusal])


def roster_messages(
    team_name: str, round_name: str, pack: Pack, roster: list[RosterEntry]
) -> list[str]:
    """The members, numbered, each with role, reachability and what they have left."""
    titles = {area.id: area.title for area in pack.areas()}
    members = ngettext("{count} member", "{count} members", len(roster)).format(count=len(roster))
    blocks = [f"👥 <b>{esc(team_name)}</b> · {esc(round_name)} · {members}"]
    for number, entry in enumerate(roster, start=1):
        progress = entry.progress
        name = esc(entry.name)
        if entry.username:
            name += f" (@{esc(entry.username)})"
        role = _("⭐ manager") if entry.role == Role.MANAGER else _("member")
        lines = [f"{number}. <b>{name}</b> · {role}"]
        if entry.unreachable_since is not None:
            lines.append(
                _("📵 unreachable since {date} (blocked the bot)").format(
                    date=f"{entry.unreachable_since:%Y-%m-%d}"
                )
            )
        lines.append(
            f"{progress_bar(progress.done, progress.total)} {progress.done}/{progress.total}"
        )
        if progress.areas_left and not progress.complete:
            left = ", ".join(esc(titles.get(area, area)) for area in progress.areas_left)
            lines.append(_("<i>Left: {areas}</i>").format(areas=left))
        else:
            lines.append(_("<i>All done ✅</i>"))
        blocks.append("\n".join(lines))
    return split_message(blocks)


def roster_keyboard(
    team_id: int, roster: list[RosterEntry], viewer_id: int
) -> InlineKeyboardMarkup | None:
    """Remove (and make manager) buttons for everyone but the viewer."""
    rows = []
    for number, entry in enumerate(roster, start=1):
        if entry.person_id == viewer_id:
            continue
        if len(rows) >= MAX_MEMBER_BUTTONS:
            break
        label = f"{number}. {entry.name}"[:40]
        row = [
            InlineKeyboardButton(
                f"🗑 {label}", callback_data=team_data(TeamAction.REMOVE, team_id, entry.person_id)
            )
        ]
        if entry.role != Role.MANAGER:
            row.append(
                InlineKeyboardButton(
                    _("⭐ Make manager"),
                    callback_data=team_data(TeamAction.MAKE_MANAGER, team_id, entry.person_id),
                )
            )
        rows.append(row)
    return InlineKeyboardMarkup(rows) if rows else None


def confirm_removal(team_id: int, person_id: int, name: str, team_name: str) -> tuple[str, object]:
    text = _(
        "Remove <b>{name}</b> from <b>{team}</b>?\n"
        "They lose access at once. Their answers stay in the round's record."
    ).format(name=esc(name), team=esc(team_name))
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _("🗑 Yes, remove"),
                    callback_data=team_data(TeamAction.CONFIRM_REMOVE, team_id, person_id),
                ),
                InlineKeyboardButton(_("Cancel"), callback_data=TEAM_CANCEL_DATA),
            ]
        ]
    )
    return text, keyboard


def teams_messages(teams: list[TeamOfPerson], active_team_id: int | None) -> list[str]:
    """The person's teams, all of them, in as many messages as they take."""
    lines = [_("🧭 <b>Your teams</b> — tap one to answer for it.")]
    for item in teams:
        mark = "▶️" if item.team.id == active_team_id else "▫️"
        role = " · " + _("manager") if item.role == Role.MANAGER else ""
        lines.append(f"{mark} {esc(item.team.name)}{role}")
    if len(teams) > MAX_TEAM_BUTTONS:
        lines.append(
            _("<i>Buttons for the first {count} teams only.</i>").format(count=MAX_TEAM_BUTTONS)
        )
    return split_message(["\n".join(lines)])


def teams_keyboard(teams: list[TeamOfPerson]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    preview(item.team.name, TEAM_BUTTON_CHARS),
                    callback_data=team_data(TeamAction.USE, item.team.id),
                )
            ]
            for item in teams[:MAX_TEAM_BUTTONS]
        ]
    )
