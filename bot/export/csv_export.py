"""The answers as CSV: one row per answer, UTF-8 with a byte order mark.

The BOM is what makes Excel open UTF-8 as UTF-8 instead of the system code page, so
Cyrillic and accented answers survive a double-click.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.i18n import N_, _
from bot.export.cells import csv_safe
from bot.export.data import RoundReport
from bot.export.rows import answer_columns, answer_rows
from bot.export.scorebook import person_area_scores

AREA_SCORE_COLUMN = N_("Area score")


def build_csv(report: RoundReport) -> bytes:
    zone = report.zone
    # Encoded row by row into the bytes that are sent, rather than kept as one long text first
    # (a 2,000-person team's CSV is 15 MB; bench/scale.py). utf-8-sig writes the BOM first.
    buffer = io.BytesIO()
    text = io.TextIOWrapper(buffer, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow([*answer_columns(), _(AREA_SCORE_COLUMN)])
    scores = person_area_scores(report)
    for row in answer_rows(report):
        values = [*row.texts, local_time(row.answered_at, zone), local_time(row.edited_at, zone)]
        # The author's score of the answer's area (bot/export/scorebook.py), blank if none.
        values.append(str(scores.get((row.person_id, row.area_id), "")))
        writer.writerow([csv_safe(value) for value in values])
    text.flush()
    text.detach()  # leaves the buffer open to read
    return buffer.getvalue()


def local_time(moment: datetime | None, zone: ZoneInfo) -> str:
    """ISO 8601 in the team's time zone, with the offset, so it is unambiguous and sortable."""
    if moment is None:
        return ""
    return moment.astimezone(zone).isoformat(sep=" ", timespec="minutes")
