"""Completion, ratings and trends by area, computed from a RoundReport.

Ratings are maturity level ids (criteria.model.MATURITY_LEVELS); for an average they count as
1 (reacting) to 4 (integrated), the order of the Baldrige scale.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from bot.core.i18n import N_, _, maturity_label, ngettext
from bot.export.data import RoundReport
from criteria.model import MATURITY_LEVELS, Pack
from storage.statuses import DONE_STATUSES, AnswerStatus

# The maturity scale's level ids, lowest first; their labels come in the reader's language.
LEVEL_IDS: tuple[str, ...] = tuple(level.id for level in MATURITY_LEVELS)
RATING_SCORES: Mapping[str, int] = {level_id: score for score, level_id in enumerate(LEVEL_IDS, 1)}
STATUS_LABELS: Mapping[str, str] = {
    AnswerStatus.ANSWERED: N_("Answered"),
    AnswerStatus.SKIPPED: N_("Skipped"),
    AnswerStatus.NOT_MY_AREA: N_("Not my area"),
}


class AnswerLike(Protocol):
    person_id: int
    question_id: str
    status: str
    rating: str | None


@dataclass(frozen=True)
class AreaSummary:
    area_id: str
    category: str
    title: str
    questions: int
    done: int  # answered or "not my area", over all members
    total: int  # questions x members
    answered: int
    skipped: int
    not_my_area: int
    rating_counts: Mapping[str, int]  # rating id -> how many answers gave it

    @property
    def share(self) -> float:
        return self.done / self.total if self.total else 0.0

    @property
    def ratings(self) -> int:
        return sum(self.rating_counts.values())

    @property
    def average_rating(self) -> float | None:
        if not self.ratings:
            return None
        return sum(RATING_SCORES[r] * n for r, n in self.rating_counts.items()) / self.ratings


@dataclass(frozen=True)
class AreaTrend:
    area_id: str
    title: str
    share_before: float
    share_now: float
    rating_before: float | None
    rating_now: float | None

    @property
    def share_change(self) -> float:
        return self.share_now - self.share_before

    @property
    def rating_change(self) -> float | None:
        if self.rating_before is None or self.rating_now is None:
            return None
        return self.rating_now - self.rating_before


def rating_label(rating: str | None) -> str:
    """A maturity level's label in the reader's language; "" for none."""
    return maturity_label(rating) if rating else ""


def status_label(status: str) -> str:
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status


def area_summaries(
    pack: Pack, member_ids: Iterable[int], answers: Iterable[AnswerLike]
) -> tuple[AreaSummary, ...]:
    """Per area of the pack: completion, statuses and ratings of the given members' answers."""
    members = set(member_ids)
    statuses: dict[str, Counter[str]] = {area.id: Counter() for area in pack.areas()}
    ratings: dict[str, Counter[str]] = {area.id: Counter() for area in pack.areas()}
    for answer in answers:
        if answer.person_id not in members:
            continue
        try:
            area = pack.area_of(answer.question_id)
        except KeyError:  # a question the pack no longer has: nothing to place it under
            continue
        statuses[area.id][answer.status] += 1
        if answer.status == AnswerStatus.ANSWERED and answer.rating in RATING_SCORES:
            ratings[area.id][answer.rating] += 1
    return tuple(
        AreaSummary(
            area_id=area.id,
            category=pack.category_of(area.id).title,
            title=area.title,
            questions=len(area.questions),
            done=sum(n for status, n in statuses[area.id].items() if status in DONE_STATUSES),
            total=len(area.questions) * len(members),
            answered=statuses[area.id][AnswerStatus.ANSWERED],
            skipped=statuses[area.id][AnswerStatus.SKIPPED],
            not_my_area=statuses[area.id][AnswerStatus.NOT_MY_AREA],
            rating_counts={r: ratings[area.id][r] for r in RATING_SCORES if ratings[area.id][r]},
        )
        for area in pack.areas()
    )


def question_rating_counts(answers: Iterable[AnswerLike]) -> dict[str, int]:
    """Rating id -> count among these answers, in scale order."""
    counts = Counter(a.rating for a in answers if a.status == AnswerStatus.ANSWERED and a.rating)
    return {r: counts[r] for r in RATING_SCORES if counts[r]}


def round_summaries(report: RoundReport) -> tuple[AreaSummary, ...]:
    return area_summaries(report.pack, (m.person_id for m in report.members), report.answers)


def round_trends(report: RoundReport) -> tuple[AreaTrend, ...]:
    """What changed by area between the previous round and this one; empty with one round.

    Both rounds are measured over the team as it is now, so a change means the same people
    answered more or rated differently, not that the team grew.
    """
    if report.previous_round is None:
        return ()
    member_ids = [m.person_id for m in report.members]
    previous_pack = report.previous_pack or report.pack
    before = {
        summary.area_id: summary
        for summary in area_summaries(previous_pack, member_ids, report.previous_answers)
    }
    now = area_summaries(report.pack, member_ids, report.answers)
    # Rounds on different frameworks compare the areas both have, by id, in this round's order.
    return tuple(
        AreaTrend(
            area_id=n.area_id,
            title=n.title,
            share_before=b.share,
            share_now=n.share,
            rating_before=b.average_rating,
            rating_now=n.average_rating,
        )
        for n in now
        if (b := before.get(n.area_id)) is not None
    )


def frameworks_note(report: RoundReport) -> str | None:
    """When the two rounds use different frameworks: which areas the trends compare."""
    previous = report.previous_pack
    if previous is None:
        return None
    shared = len(round_trends(report))
    return ngettext(
        "The rounds use different frameworks (“{before}” and “{now}”): the trends compare the "
        "{count} area both have, by id.",
        "The rounds use different frameworks (“{before}” and “{now}”): the trends compare the "
        "{count} areas both have, by id.",
        shared,
    ).format(before=previous.title, now=report.pack.title, count=shared)


def format_share(share: float) -> str:
    return f"{share:.0%}"


def format_average(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def format_change(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "—"
    if percent:
        points = round(value * 100)
        # Translators: a change in percentage points, e.g. "+12 pts".
        return _("{points} pts").format(points=f"{points:+d}" if points else "±0")
    return f"{value:+.1f}" if round(value, 1) else "±0.0"
