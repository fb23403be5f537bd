"""The improvement plan in the export: key themes first in the report, the actions serving each
area after its improvements, the action plan as a table, an "Action plan" sheet and an actions
CSV. Kept apart from report.py and xlsx.py so each of those gains a line, not a section."""

from __future__ import annotations

import csv
import io

from bot.core.i18n import N_, _
from bot.domain.actions import LEVEL_NAMES, area_result, priority_order, result_moves
from bot.export.cells import csv_safe
from bot.export.data import ActionRecord, RoundReport, ThemeRecord
from bot.export.report import DATE, Block, Heading, Paragraph, Table
from bot.export.stats import rating_label
from bot.export.xlsx_rows import RowWorkbook
from storage.statuses import ActionStatus

PLAN_SHEET_TITLE = N_("Action plan")
STATUS_NAMES = {
    ActionStatus.DRAFT: N_("being set up"),
    ActionStatus.OPEN: N_("open"),
    ActionStatus.STARTED: N_("started"),
    ActionStatus.BLOCKED: N_("blocked"),
    ActionStatus.DONE: N_("done"),
    ActionStatus.DROPPED: N_("dropped"),
}


def status_name(action: ActionRecord) -> str:
    name = _(STATUS_NAMES[ActionStatus(action.status)])
    if action.status == ActionStatus.BLOCKED and action.blocked_reason:
        name += f": {action.blocked_reason}"
    return name


def _owner(action: ActionRecord) -> str:
    return action.owner or _("needs an owner")


def _columns() -> list[str]:
    return [_("Action"), _("Area"), _("Owner"), _("Due"), _("Status")]


def _row(report: RoundReport, action: ActionRecord) -> list[str]:
    area = next((a.title for a in report.pack.areas() if a.id == action.area_id), "")
    due = action.due_date.strftime(DATE) if action.due_date else ""
    return [action.title, area, _owner(action), due, status_name(action)]


def key_theme_blocks(report: RoundReport) -> list[Block]:
    """The key themes, first in a feedback report: priorities in the order the team works on
    them (bot.domain.actions.priority_order) with their impact and effort, then strengths to
    keep."""
    if not report.themes:
        return []
    titles = {area.id: area.title for area in report.pack.areas()}
    priorities = sorted(
        (t for t in report.themes if t.kind == "priority"),
        key=lambda t: priority_order(t.rank, t.impact, t.effort),
    )
    strengths = [t for t in report.themes if t.kind != "priority"]
    blocks: list[Block] = [Heading(2, _("Key themes"))]
    for heading, themes in ((_("Priorities"), priorities), (_("Strengths to keep"), strengths)):
        if themes:
            lines = [
                f"{n}. {t.text}"
                + (f" ({titles[t.area_id]})" if t.area_id in titles else "")
                + _rating(t)
                for n, t in enumerate(themes, start=1)
            ]
            blocks += [Heading(3, heading), Paragraph("\n".join(lines))]
    return blocks


def _rating(theme: ThemeRecord) -> str:
    """ " — impact high, effort low" for a rated priority."""
    parts = []
    if theme.impact in LEVEL_NAMES:
        parts.append(_("impact {level}").format(level=_(LEVEL_NAMES[theme.impact])))
    if theme.effort in LEVEL_NAMES:
        parts.append(_("effort {level}").format(level=_(LEVEL_NAMES[theme.effort])))
    return " — " + ", ".join(parts) if parts else ""


def area_action_blocks(report: RoundReport, area_id: str) -> list[Block]:
    """The actions serving an area's improvements, after them in the area's section."""
    actions = [a for a in report.actions if a.area_id == area_id]
    if not actions:
        return []
    lines = [f"• {a.title} — {_owner(a)}, {status_name(a)}" for a in actions]
    return [Heading(5, _("Actions")), Paragraph("\n".join(lines))]


def action_plan_blocks(report: RoundReport) -> list[Block]:
    """The action plan as a table: what, area, owner, due, status."""
    if not report.actions:
        return []
    rows = tuple(tuple(_row(report, a)) for a in report.actions)
    return [Heading(2, _("Action plan")), Table(tuple(_columns()), rows)]


def write_action_plan_sheet(workbook: RowWorkbook, title: str, report: RoundReport) -> None:
    """The "Action plan" sheet, when the round has actions."""
    from bot.export.xlsx import _set_widths, _write_row  # the sheet's house style

    if not report.actions:
        return
    sheet = workbook.create_sheet(title)
    _write_row(sheet, 1, _columns(), header=True)
    for number, action in enumerate(report.actions, start=2):
        _write_row(sheet, number, _row(report, action))
    _set_widths(sheet, [50, 30, 20, 12, 20])


def build_actions_csv(report: RoundReport) -> bytes | None:
    """The actions as CSV (UTF-8 with a BOM, like the answers), or None without actions."""
    if not report.actions:
        return None
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(_columns())
    for action in report.actions:
        writer.writerow([csv_safe(value) for value in _row(report, action)])
    return buffer.getvalue().encode("utf-8-sig")


def since_previous_blocks(report: RoundReport) -> list[Block]:
    """What was done since the previous round, next to how each area's result moved."""
    if report.previous_round is None:
        return []
    agreed = {(a.round_id, a.area_id): a.value for a in report.scoring.agreed}
    round_id, before_id = report.round.id, report.previous_round.id
    area_ids = [area.id for area in report.pack.areas()]
    current = {
        area_id: area_result(
            report.consensus[area_id].agreed_rating if area_id in report.consensus else None,
            agreed.get((round_id, area_id)),
        )
        for area_id in area_ids
    }
    previous = {
        area_id: area_result(report.previous_results.get(area_id), agreed.get((before_id, area_id)))
        for area_id in area_ids
    }
    moves = result_moves(previous, current, area_ids)
    if not moves and not report.done_before:
        return []
    titles = {area.id: area.title for area in report.pack.areas()}
    blocks: list[Block] = [Heading(2, _("Since {round}").format(round=report.previous_round.name))]
    if moves:
        rows = tuple(
            (titles.get(area_id, area_id), _result(before), _result(after))
            for area_id, before, after in moves
        )
        blocks.append(Table((_("Area"), _("Before"), _("Now")), rows))
    if report.done_before:
        lines = [f"• {a.title} — {_owner(a)}" for a in report.done_before]
        blocks += [Heading(3, _("Actions done")), Paragraph("\n".join(lines))]
    return blocks


def _result(result: str | int | None) -> str:
    """An agreed score as a percentage, an agreed maturity rating by its label."""
    if isinstance(result, int):
        return f"{result} %"
    return rating_label(result) if result else "—"
