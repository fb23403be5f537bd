"""The round as an Excel workbook: a summary, trends, a sheet per area, and the raw answers.

The area sheets are for reading (a row per question, a column per member); the raw sheet is
for filtering and pivoting (a row per answer, the same columns as the CSV).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from bot.core.i18n import N_, _
from bot.export.cells import looks_like_formula, xlsx_text
from bot.export.data import AnswerRecord, RoundReport
from bot.export.report import framework_line
from bot.export.rows import answer_columns, answer_rows
from bot.export.scorebook import score_sheets
from bot.export.stats import (
    LEVEL_IDS,
    AreaSummary,
    format_change,
    frameworks_note,
    question_rating_counts,
    rating_label,
    round_summaries,
    round_trends,
)
from bot.export.xlsx_rows import RowSheet, RowWorkbook
from criteria.model import Area
from storage.statuses import AnswerStatus

SHEET_TITLE_MAX = 31
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# Excel keeps "History" for its change tracking and refuses a sheet of that name.
RESERVED_SHEET_TITLES = ("History",)
SUMMARY_TITLE = N_("Summary")
TRENDS_TITLE = N_("Trends")
RAW_TITLE = N_("Raw answers")

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE3EA")
WRAPPED = Alignment(wrap_text=True, vertical="top")
DATE_FORMAT = "yyyy-mm-dd hh:mm"
NO_ANSWER_MARKS = {
    AnswerStatus.SKIPPED: N_("(skipped)"),
    AnswerStatus.NOT_MY_AREA: N_("(not my area)"),
}


def build_xlsx(report: RoundReport) -> bytes:
    from bot.export.plan import PLAN_SHEET_TITLE, write_action_plan_sheet  # imports this module

    # Write-only (bot/export/xlsx_rows.py): each sheet top to bottom, no cell kept in memory.
    workbook = RowWorkbook()
    taken = {title.lower() for title in RESERVED_SHEET_TITLES}
    summaries = round_summaries(report)

    summary = workbook.create_sheet(sheet_title(_(SUMMARY_TITLE), taken))
    _write_summary(summary, report, summaries)
    if report.previous_round is not None:
        _write_trends(workbook.create_sheet(sheet_title(_(TRENDS_TITLE), taken)), report)
    for data in score_sheets(report):  # the scorebook and the perception gap
        sheet = workbook.create_sheet(sheet_title(_(data.title), taken))
        sheet.lay_out(data.widths, freeze="B2")
        _write_row(sheet, 1, data.header, header=True)
        for row, values in enumerate(data.rows, start=2):
            _write_row(sheet, row, values)
    raw_title = sheet_title(_(RAW_TITLE), taken)  # claimed first, so no area can take the name
    by_question = report.answers_by_question()
    for area in report.pack.areas():
        sheet = workbook.create_sheet(sheet_title(area.title, taken))
        _write_area(sheet, report, area, by_question)
    _write_raw(workbook.create_sheet(raw_title), report)
    write_action_plan_sheet(workbook, sheet_title(_(PLAN_SHEET_TITLE), taken), report)

    return workbook.to_bytes()


def sheet_title(wanted: str, taken: set[str]) -> str:
    """A valid, unique sheet title: at most 31 characters, none of []:*?/\\, no edge quotes.

    `taken` holds the lowercased titles used so far (Excel compares them ignoring case) and
    gets the new one added.
    """
    base = _SHEET_TITLE_FORBIDDEN.sub("-", wanted)
    base = " ".join(base.split()).strip("'")[:SHEET_TITLE_MAX].strip().strip("'") or "Sheet"
    title, number = base, 1
    while title.lower() in taken:
        number += 1
        suffix = f" ({number})"
        title = base[: SHEET_TITLE_MAX - len(suffix)].rstrip().rstrip("'") + suffix
    taken.add(title.lower())
    return title


def put(sheet: RowSheet, row: int, column: int, value: object) -> Cell:
    """Write one cell; text that looks like a formula is stored, and kept on editing, as text."""
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        value = xlsx_text(value)
        cell.value = value
        if looks_like_formula(value):
            cell.data_type = "s"  # openpyxl would otherwise store "=..." as a formula
            cell.quotePrefix = True  # and Excel would turn it into one when the cell is edited
    else:
        cell.value = value
    return cell


def _write_row(sheet: RowSheet, row: int, values: Iterable[object], header: bool = False):
    for column, value in enumerate(values, start=1):
        cell = put(sheet, row, column, value)
        cell.alignment = WRAPPED
        if header:
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL


def _set_widths(sheet: RowSheet, widths: Sequence[float]) -> None:
    sheet.lay_out(widths)


def _write_summary(sheet: RowSheet, report: RoundReport, summaries: Sequence[AreaSummary]) -> None:
    facts = [
        (_("Team"), report.team_name),
        (_("Round"), report.round.name),
        (_("Framework"), framework_line(report)),
        (_("Started"), report.round.started_at.astimezone(report.zone).strftime("%Y-%m-%d")),
        (_("Members"), len(report.members)),
        (_("Generated"), report.generated_at.astimezone(report.zone).strftime("%Y-%m-%d %H:%M")),
    ]
    if report.anonymous:
        facts.append(
            (_("Names"), _("Shown as Member 1, 2… (the team compares answers anonymously)"))
        )
    header_row = len(facts) + 2
    levels = list(LEVEL_IDS)
    sheet.lay_out(
        [24, 32, 11, 9, 10, 12, 11, 10, 12, *([16] * len(levels)), 14, 24],
        freeze=f"C{header_row + 1}",
    )
    for row, (label, value) in enumerate(facts, start=1):
        put(sheet, row, 1, label).font = HEADER_FONT
        put(sheet, row, 2, value)

    header = [
        _("Category"),
        _("Area"),
        _("Questions"),
        _("Done"),
        _("Expected"),
        _("Completion"),
        _("Answered"),
        _("Skipped"),
        _("Not my area"),
        *(_("Rated: {level}").format(level=rating_label(level)) for level in levels),
        _("Average rating (1–4)"),
        _("Agreed rating"),
    ]
    _write_row(sheet, header_row, header, header=True)
    for offset, area in enumerate(summaries, start=1):
        consensus = report.consensus.get(area.area_id)
        _write_row(
            sheet,
            header_row + offset,
            [
                area.category,
                area.title,
                area.questions,
                area.done,
                area.total,
                area.share,
                area.answered,
                area.skipped,
                area.not_my_area,
                *(area.rating_counts.get(level, 0) for level in levels),
                round(area.average_rating, 2) if area.average_rating is not None else None,
                rating_label(consensus.agreed_rating) if consensus else "",
            ],
        )
        sheet.cell(row=header_row + offset, column=6).number_format = "0%"


def _write_trends(sheet: RowSheet, report: RoundReport) -> None:
    before, now = report.previous_round.name, report.round.name
    sheet.lay_out([32, 18, 18, 10, 18, 18, 10], freeze="B2")
    header = [
        _("Area"),
        _("Completion: {round}").format(round=before),
        _("Completion: {round}").format(round=now),
        _("Change"),
        _("Average rating: {round}").format(round=before),
        _("Average rating: {round}").format(round=now),
        _("Change"),
    ]
    _write_row(sheet, 1, header, header=True)
    trends = round_trends(report)
    for row, trend in enumerate(trends, start=2):
        _write_row(
            sheet,
            row,
            [
                trend.title,
                trend.share_before,
                trend.share_now,
                format_change(trend.share_change, percent=True),
                _rounded(trend.rating_before),
                _rounded(trend.rating_now),
                format_change(trend.rating_change),
            ],
        )
        for column in (2, 3):
            sheet.cell(row=row, column=column).number_format = "0%"
    if note := frameworks_note(report):
        _write_row(sheet, len(trends) + 3, [note])


def _write_area(
    sheet: RowSheet,
    report: RoundReport,
    area: Area,
    by_question: Mapping[str, Sequence[AnswerRecord]],
) -> None:
    names = [member.name for member in report.members]
    # Keep the header and the question visible while scrolling through many members.
    sheet.lay_out([5, 50, *([40] * len(names)), 26], freeze="C2")
    _write_row(sheet, 1, ["#", _("Question"), *names, _("Ratings")], header=True)
    for number, question in enumerate(area.questions, start=1):
        answers = {a.person_id: a for a in by_question.get(question.id, ())}
        cells = [_member_cell(answers.get(m.person_id)) for m in report.members]
        ratings = question_rating_counts(answers.values())
        summary = "\n".join(f"{rating_label(r)}: {n}" for r, n in ratings.items())
        _write_row(sheet, number + 1, [number, question.text, *cells, summary])

    consensus = report.consensus.get(area.id)
    row = len(area.questions) + 3
    for label, value in (
        (_("Agreed rating"), rating_label(consensus.agreed_rating) if consensus else ""),
        (_("Strengths"), consensus.strengths if consensus else ""),
        (_("Opportunities for improvement"), consensus.improvements if consensus else ""),
    ):
        put(sheet, row, 2, label).font = HEADER_FONT
        put(sheet, row, 3, value).alignment = WRAPPED
        row += 1


def _member_cell(answer: AnswerRecord | None) -> str:
    if answer is None:
        return ""
    if answer.status in NO_ANSWER_MARKS:
        return _(NO_ANSWER_MARKS[answer.status])
    parts = [answer.text] if answer.text else []
    if answer.attachment:
        parts.append(_("Attachment: {what}").format(what=answer.attachment))
    if answer.rating:
        parts.append(_("Rating: {rating}").format(rating=rating_label(answer.rating)))
    return "\n\n".join(parts)


def _write_raw(sheet: RowSheet, report: RoundReport) -> None:
    zone = report.zone
    columns = answer_columns()
    header = [*columns[:-2], *(f"{c} ({zone.key})" for c in columns[-2:])]
    sheet.lay_out([14, 22, 24, 18, 50, 18, 12, 60, 24, 20, 18, 18], freeze="A2")
    _write_row(sheet, 1, header, header=True)
    row = 1
    for row, answer in enumerate(answer_rows(report), start=2):
        _write_row(
            sheet,
            row,
            [*answer.texts, _local(answer.answered_at, zone), _local(answer.edited_at, zone)],
        )
        for column in (len(header) - 1, len(header)):
            sheet.cell(row=row, column=column).number_format = DATE_FORMAT
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{row}"


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    # Excel has no time zones: store the team's wall-clock time and name the zone in the header.
    return moment.astimezone(zone).replace(tzinfo=None) if moment else None


def _rounded(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None
