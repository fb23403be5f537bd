"""The flat answer table that the CSV and the spreadsheet's raw sheet both show.

One place defines the columns and the row order (pack order, then member order), so the two
files always agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.i18n import N_, _
from bot.export.data import AnswerRecord, RoundReport
from bot.export.stats import rating_label, status_label

# Column titles in English, marked for the catalog; answer_columns() gives them translated.
ANSWER_COLUMNS = (
    N_("Round"),
    N_("Category"),
    N_("Area"),
    N_("Question ID"),
    N_("Question"),
    N_("Member"),
    N_("Status"),
    N_("Answer"),
    N_("Rating"),
    N_("Attachment"),
    N_("Answered at"),
    N_("Last edited at"),
)
# A new answer's two timestamps are taken a moment apart; that is not an edit.
EDIT_THRESHOLD = timedelta(seconds=1)


@dataclass(frozen=True)
class AnswerRow:
    texts: tuple[str, ...]  # the columns up to "Attachment", as plain unescaped text
    answered_at: datetime
    edited_at: datetime | None  # None when the answer was never changed
    person_id: int = 0  # whose answer, and in which area: for the CSV's score column
    area_id: str = ""


def answer_columns() -> tuple[str, ...]:
    """The column titles in the reader's language."""
    return tuple(_(column) for column in ANSWER_COLUMNS)


def answer_rows(report: RoundReport) -> Iterator[AnswerRow]:
    pack = report.pack
    names = report.member_names()
    by_question = report.answers_by_question()
    for question in pack.questions():
        area = pack.area_of(question.id)
        category = pack.category_of(area.id)
        for answer in by_question.get(question.id, ()):
            yield AnswerRow(
                texts=(
                    report.round.name,
                    category.title,
                    area.title,
                    question.id,
                    question.text,
                    names.get(answer.person_id, ""),
                    status_label(answer.status),
                    answer.text,
                    rating_label(answer.rating),
                    answer.attachment or "",
                ),
                answered_at=answer.answered_at,
                edited_at=_edited_at(answer),
                person_id=answer.person_id,
                area_id=area.id,
            )


def _edited_at(answer: AnswerRecord) -> datetime | None:
    return answer.edited_at if answer.edited_at - answer.answered_at > EDIT_THRESHOLD else None
