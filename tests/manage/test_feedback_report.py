"""The report in the shape of a Baldrige feedback report: key themes first (priorities ordered by
impact and effort, with them; strengths to keep), then per area the agreed score, strengths,
opportunities for improvement and the actions serving them, then the action plan as a table,
then the answers. Checked in the Markdown and in the PDF's text, and the PDF page is narrow
enough to read on a phone."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pypdf

from bot.domain.actions import HIGH, LOW, MEDIUM
from bot.export.data import (
    ActionRecord,
    AnswerRecord,
    ConsensusRecord,
    MemberInfo,
    RoundInfo,
    RoundReport,
    ThemeRecord,
)
from bot.export.markdown import build_markdown
from bot.export.pdf import build_pdf
from bot.export.score_data import AgreedRecord, ScoreData
from criteria.loader import DEFAULT_PACK_ID, load_packs
from storage.statuses import ActionStatus, AnswerStatus

PACK = load_packs().get(DEFAULT_PACK_ID)
AT = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
FIRST, SECOND = PACK.areas()[0], PACK.areas()[1]


def feedback_report() -> RoundReport:
    question = FIRST.questions[0]
    return RoundReport(
        team_name="Front desk",
        timezone="UTC",
        anonymous=False,
        pack=PACK,
        round=RoundInfo(7, "Spring", AT, None, None, PACK.id),
        members=(MemberInfo(1, "Maria", "manager"), MemberInfo(2, "Sam", "member")),
        answers=(
            AnswerRecord(
                2, question.id, AnswerStatus.ANSWERED, "We ask every guest", "2", None, AT, AT
            ),
        ),
        consensus={
            FIRST.id: ConsensusRecord(
                FIRST.id, "2", {"2": 2}, "We listen well", "Write the steps down"
            )
        },
        scoring=ScoreData((), (AgreedRecord(7, FIRST.id, 45, "", None, None, 0),)),
        themes=(
            ThemeRecord("priority", FIRST.id, "Write the steps down", 1, MEDIUM, HIGH),
            ThemeRecord("priority", "", "Hire & train", 2, HIGH, LOW),
            ThemeRecord("priority", SECOND.id, "Call back", 3),
            ThemeRecord("strength", FIRST.id, "We listen well", 1),
        ),
        actions=(
            ActionRecord(
                "Draft the checklist",
                FIRST.id,
                "Sam",
                date(2027, 4, 1),
                ActionStatus.STARTED,
                None,
            ),
            ActionRecord("Train temps", "", None, None, ActionStatus.OPEN, None),
        ),
    )


def in_order(text: str, *parts: str) -> list[int]:
    """Where each part first appears after the previous one (ValueError: missing, out of order)."""
    positions, start = [], 0
    for part in parts:
        start = text.index(part, start)
        positions.append(start)
    return positions


def test_markdown_reads_as_a_feedback_report():
    markdown = build_markdown(feedback_report())
    in_order(
        markdown,
        "## Key themes",
        "### Priorities",
        "1\\. Hire \\& train — impact high, effort low",
        "2\\. Write the steps down (Product offering) — impact medium, effort high",
        "3\\. Call back (Customer support)",
        "### Strengths to keep",
        "1\\. We listen well (Product offering)",
        "## Feedback by area",
        f"#### {FIRST.title}",
        "- **Agreed score:** 45 %",
        "##### Strengths",
        "We listen well",
        "##### Opportunities for improvement",
        "Write the steps down",
        "##### Actions",
        "Draft the checklist — Sam, started",
        f"#### {SECOND.title}",
        "- **Agreed score:** not agreed yet",
        "## Action plan",
        "| Action | Area | Owner | Due | Status |",
        "| Draft the checklist | Product offering | Sam | 2027-04-01 | started |",
        "| Train temps |  | needs an owner |  | open |",
        "## Answers",
        f"#### {FIRST.title}",
        f"##### 1\\. {FIRST.questions[0].text}",
        "We ask every guest",
    )


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_pdf_has_the_same_order_on_a_page_a_phone_shows_whole():
    content = build_pdf(feedback_report())
    text = pdf_text(content)
    in_order(
        text,
        "Key themes",
        "1. Hire & train — impact high, effort low",
        "Strengths to keep",
        "Feedback by area",
        FIRST.title,
        "Agreed score: 45 %",
        "Draft the checklist — Sam, started",
        "Action plan",
        "Answers",
        "We ask every guest",
    )
    page = pypdf.PdfReader(io.BytesIO(content)).pages[0]
    width_mm = float(page.mediabox.width) / 72 * 25.4
    assert width_mm < 160  # A5, not A4: a phone shows a page whole at a readable size
