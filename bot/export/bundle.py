"""Builds every file of one round's export: XLSX, CSV, PDF and Markdown, each within the limit.

This is the slow, CPU-bound part (charts, PDF layout); callers on the event loop run it with
`asyncio.to_thread` so the bot keeps answering everyone else meanwhile.
"""

from __future__ import annotations

import re

from bot.core.i18n import _
from bot.export.csv_export import build_csv
from bot.export.data import RoundReport
from bot.export.limits import TELEGRAM_UPLOAD_LIMIT_BYTES, ExportFile, fit_upload_limit
from bot.export.markdown import build_markdown
from bot.export.pdf import build_pdf
from bot.export.plan import build_actions_csv
from bot.export.xlsx import build_xlsx

FILE_STEM_MAX = 60
# Anything but letters (in any script), digits, dots and dashes becomes a dash, so the name is
# safe on every file system a manager might save it to.
_UNSAFE_IN_FILENAME = re.compile(r"[^\w.-]+")


def build_exports(
    report: RoundReport, upload_limit: int = TELEGRAM_UPLOAD_LIMIT_BYTES
) -> list[ExportFile]:
    stem = file_stem(report)
    files = [
        ExportFile(f"{stem}.xlsx", build_xlsx(report), _("Spreadsheet (XLSX)")),
        ExportFile(f"{stem}.csv", build_csv(report), _("Answers (CSV)")),
        ExportFile(f"{stem}.pdf", build_pdf(report), _("Report (PDF)")),
        ExportFile(f"{stem}.md", build_markdown(report).encode("utf-8"), _("Report (Markdown)")),
    ]
    actions_csv = build_actions_csv(report)
    if actions_csv is not None:
        files.append(ExportFile(f"{stem}-actions.csv", actions_csv, _("Action plan (CSV)")))
    return [part for file in files for part in fit_upload_limit(file, upload_limit)]


def file_stem(report: RoundReport) -> str:
    """ "team-round-date", e.g. "Front-desk-Round-2-2026-03-31"."""
    date = report.generated_at.astimezone(report.zone).strftime("%Y-%m-%d")
    name = f"{report.team_name}-{report.round.name}"
    name = _UNSAFE_IN_FILENAME.sub("-", name).strip("-.")[:FILE_STEM_MAX].strip("-.")
    return f"{name or 'export'}-{date}"
