"""What the export says about scores: the scorebook (per area: each score, the spread, the
agreed score and its reason, strengths and opportunities for improvement), the perception gap,
and the agreed scores across rounds. Decided once here; the XLSX sheets (bot/export/xlsx.py) and
the report's section (bot/export/report.py, for PDF and Markdown) only lay it out. The CSV gains
each person's score of the answer's area."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.i18n import N_, _, maturity_label
from bot.domain.perception import LEVEL_IDS, Perception, area_perceptions
from bot.domain.scoring import (
    Gap,
    area_gaps,
    area_scores_by_person,
    distribution_visible,
    distributions,
)
from bot.export.data import RoundReport

SCOREBOOK_TITLE = N_("Scorebook")
GAP_TITLE = N_("Perception gap")


@dataclass(frozen=True)
class ScorebookRow:
    area_id: str
    title: str
    scores: str  # "Ana 30 %, Ben 40 %", or "Member 1 30 %…"; empty while hidden
    count: int
    median: float | None
    low: int | None
    high: int | None
    spread: int | None
    agreed: int | None
    rationale: str
    strengths: str
    improvements: str


def _scored_areas(report: RoundReport):
    scoring = report.pack.scoring
    return [a for a in report.pack.areas() if scoring is not None and scoring.scores(a.id)]


def _by_area(report: RoundReport) -> dict[str, dict[int, int]]:
    return area_scores_by_person(
        (s.person_id, s.area_id, s.dimension, s.value) for s in report.scoring.scores
    )


def scorebook_rows(report: RoundReport) -> list[ScorebookRow]:
    names = report.member_names()
    by_area = _by_area(report)
    agreed = {a.area_id: a for a in report.scoring.agreed if a.round_id == report.round.id}
    rows = []
    for area in _scored_areas(report):
        people = by_area.get(area.id, {})
        dist = next(iter(distributions({area.id: people.values()})), None)
        visible = distribution_visible(report.anonymous, len(people), report.scoring.threshold)
        listed = sorted(people.items(), key=lambda item: (item[1], names.get(item[0], "")))
        shown = ", ".join(f"{names.get(p, '?')} {v} %" for p, v in listed) if visible else ""
        consensus = report.consensus.get(area.id)
        row = agreed.get(area.id)
        rows.append(
            ScorebookRow(
                area.id,
                area.title,
                shown,
                len(people),
                dist.median if dist and visible else None,
                dist.low if dist and visible else None,
                dist.high if dist and visible else None,
                dist.spread if dist and visible else None,
                row.value if row else None,
                row.rationale if row else "",
                consensus.strengths if consensus else "",
                consensus.improvements if consensus else "",
            )
        )
    return rows


def gaps(report: RoundReport) -> list[Gap]:
    return area_gaps(
        (
            (s.person_id, s.area_id, s.dimension, s.value, s.as_manager)
            for s in report.scoring.scores
        ),
        [area.id for area in _scored_areas(report)],
        report.scoring.threshold,
    )


def perceptions(report: RoundReport) -> list[Perception]:
    """Each scored area's gap with both sides' maturity and completion (bot/domain/perception)."""
    managers = {m.person_id for m in report.members if m.role == "manager"}
    rows = [(m.person_id, m.person_id in managers, None, None, None) for m in report.members]
    rows += [
        (a.person_id, a.person_id in managers, a.question_id, a.status, a.rating)
        for a in report.answers
    ]
    questions = {a.id: [q.id for q in a.questions] for a in _scored_areas(report)}
    return area_perceptions(gaps(report), rows, questions, report.scoring.threshold)


def level_text(step: int | None) -> str:
    return "" if step is None else maturity_label(LEVEL_IDS[step])


def share_text(share: float | None) -> str:
    return "" if share is None else f"{round(share * 100):g} %"


def _share(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def agreed_trend(report: RoundReport) -> tuple[list[str], list[tuple[str, list[int | None]]]]:
    """Round names (oldest first) and, per scored area, its agreed score in each of them."""
    rounds = [*reversed(report.earlier_rounds), report.round]
    values = {(a.round_id, a.area_id): a.value for a in report.scoring.agreed}
    rows = [
        (area.title, [values.get((r.id, area.id)) for r in rounds])
        for area in _scored_areas(report)
    ]
    return [r.name for r in rounds], rows


def number_text(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def percent_text(value: float | None) -> str:
    return "" if value is None else f"{value:g} %"


@dataclass(frozen=True)
class SheetData:
    title: str  # marked only (N_): translated where the sheet is named
    header: tuple[str, ...]
    rows: list[tuple]
    widths: tuple[float, ...]


def score_sheets(report: RoundReport) -> list[SheetData]:
    """The scorebook and gap sheets' contents (bot/export/xlsx.py lays them out)."""
    if report.pack.scoring is None:
        return []
    titles = {a.id: a.title for a in report.pack.areas()}
    scorebook = SheetData(
        SCOREBOOK_TITLE,
        (
            _("Area"),
            _("Scores"),
            _("Number of scores"),
            _("Median"),
            _("Lowest"),
            _("Highest"),
            _("Spread"),
            _("Agreed score"),
            _("Rationale"),
            _("Strengths"),
            _("Opportunities for improvement"),
        ),
        [
            (
                r.title,
                r.scores,
                r.count,
                r.median,
                r.low,
                r.high,
                r.spread,
                r.agreed,
                r.rationale,
                r.strengths,
                r.improvements,
            )
            for r in scorebook_rows(report)
        ],
        (28, 40, 10, 10, 10, 10, 10, 10, 40, 40, 40),
    )
    gap = SheetData(
        GAP_TITLE,
        (
            _("Area"),
            _("Members"),
            _("Managers"),
            _("Gap"),
            _("Members who scored"),
            _("Managers who scored"),
            _("Members' maturity"),
            _("Managers' maturity"),
            _("Maturity gap (steps)"),
            _("Members' completion (%)"),
            _("Managers' completion (%)"),
            _("Completion gap (points)"),
        ),
        [
            (
                titles[p.area_id],
                p.score.members,
                p.score.managers,
                p.score.gap,
                p.score.members_count,
                p.score.managers_count,
                level_text(p.members.maturity),
                level_text(p.managers.maturity),
                p.maturity_gap,
                _share(p.members.completion),
                _share(p.managers.completion),
                p.completion_gap,
            )
            for p in perceptions(report)
        ],
        (28, 12, 12, 10, 12, 12, 24, 24, 12, 12, 12, 12),
    )
    return [scorebook, gap]


def person_area_scores(report: RoundReport) -> dict[tuple[int, str], int]:
    """(person, area) -> that person's score of the area: the CSV's last column."""
    return {
        (person_id, area_id): value
        for area_id, people in _by_area(report).items()
        for person_id, value in people.items()
    }
