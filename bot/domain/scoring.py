"""Scoring like Baldrige examiners: the process scoring bands, medians and spreads, which areas
the team disagrees on most, and the gap between how managers and members see an area.

Pure: numbers in, numbers out. The bands' wording lives in the view (bot/private/scoring.py),
translated; here a band is its range.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from statistics import median

STEP = 5  # scores are multiples of five per cent
OVERALL = "overall"
ADLI_DIMENSIONS = ("approach", "deployment", "learning", "integration")


@dataclass(frozen=True)
class Band:
    low: int
    high: int

    @property
    def steps(self) -> tuple[int, ...]:
        """The scores a person may pick inside the band."""
        return tuple(range(self.low, self.high + 1, STEP))


# The six process scoring bands, lowest first.
BANDS = (
    Band(0, 5),
    Band(10, 25),
    Band(30, 45),
    Band(50, 65),
    Band(70, 85),
    Band(90, 100),
)


def is_valid_score(score: int) -> bool:
    """A score on the scale: 0 to 100, a multiple of five."""
    return 0 <= score <= 100 and score % STEP == 0


def band_of(score: int) -> int:
    """The index of the band a valid score falls in."""
    for index, band in enumerate(BANDS):
        if band.low <= score <= band.high:
            return index
    raise ValueError(f"not a score on the scale: {score}")


def dimensions(per_dimension: bool) -> tuple[str, ...]:
    return ADLI_DIMENSIONS if per_dimension else (OVERALL,)


def area_score(scores_by_dimension: Mapping[str, int]) -> int:
    """One person's score of an area: their overall score, or the mean of their ADLI scores
    rounded to the scale."""
    values = list(scores_by_dimension.values())
    return round(sum(values) / len(values) / STEP) * STEP


@dataclass(frozen=True)
class Distribution:
    area_id: str
    scores: tuple[int, ...]  # sorted, lowest first

    @property
    def count(self) -> int:
        return len(self.scores)

    @property
    def low(self) -> int:
        return self.scores[0]

    @property
    def high(self) -> int:
        return self.scores[-1]

    @property
    def median(self) -> float:
        return float(median(self.scores))

    @property
    def spread(self) -> int:
        return self.high - self.low


def distributions(scores: Mapping[str, Iterable[int]]) -> list[Distribution]:
    """Each scored area's distribution, the widest spread first (the team talks about what it
    disagrees on); ties by more people, then the lowest median. Areas nobody scored are left out."""
    found = [Distribution(area_id, tuple(sorted(v))) for area_id, v in scores.items() if v]
    return sorted(found, key=lambda d: (-d.spread, -d.count, d.median))


def histogram(scores: Iterable[int]) -> tuple[int, ...]:
    """How many scores fall in each band, lowest band first: a small chart's bars."""
    counts = [0] * len(BANDS)
    for score in scores:
        counts[band_of(score)] += 1
    return tuple(counts)


@dataclass(frozen=True)
class Gap:
    area_id: str
    members: float | None  # median score; None when too few members scored
    managers: float | None
    members_count: int
    managers_count: int
    members_needed: int  # how many more are needed before this side shows
    managers_needed: int

    @property
    def shown(self) -> bool:
        return self.members is not None and self.managers is not None

    @property
    def gap(self) -> float | None:
        """Managers' median minus members' (positive: leaders see it better than staff)."""
        return self.managers - self.members if self.shown else None


def perception_gap(
    area_id: str, members: Iterable[int], managers: Iterable[int], threshold: int
) -> Gap:
    """The two sides' medians of one area, each shown only with at least `threshold` people,
    so a side of one or two never gives its people's scores away."""
    members, managers = list(members), list(managers)
    threshold = max(threshold, 1)

    def side(values: list[int]) -> float | None:
        return float(median(values)) if len(values) >= threshold else None

    return Gap(
        area_id,
        side(members),
        side(managers),
        len(members),
        len(managers),
        max(threshold - len(members), 0),
        max(threshold - len(managers), 0),
    )


def widest_gap(gaps: Iterable[Gap]) -> Gap | None:
    """The shown gap furthest from zero, or None."""
    shown = [g for g in gaps if g.shown]
    return max(shown, key=lambda g: abs(g.gap), default=None)


def distribution_visible(anonymous: bool, count: int, threshold: int) -> bool:
    """An anonymous team sees an area's scores only once at least `threshold` people scored."""
    return count > 0 and (not anonymous or count >= threshold)


def area_scores_by_person(
    rows: Iterable[tuple[int, str, str, int]],
) -> dict[str, dict[int, int]]:
    """(person, area, dimension, score) rows -> area -> person -> that person's area score."""
    collected: dict[str, dict[int, dict[str, int]]] = {}
    for person_id, area_id, dimension, value in rows:
        collected.setdefault(area_id, {}).setdefault(person_id, {})[dimension] = value
    return {
        area_id: {person_id: area_score(dims) for person_id, dims in people.items()}
        for area_id, people in collected.items()
    }


def area_gaps(
    rows: Iterable[tuple[int, str, str, int, bool]], area_ids: Iterable[str], threshold: int
) -> list[Gap]:
    """(person, area, dimension, score, scored as manager) rows -> each listed area's gap, in
    the order given. A person's side is the role they had when they scored."""
    rows = list(rows)
    managers = {(area_id, person) for person, area_id, _d, _v, manager in rows if manager}
    by_area = area_scores_by_person((p, a, d, v) for p, a, d, v, _m in rows)
    gaps = []
    for area_id in area_ids:
        people = by_area.get(area_id, {})
        members_side = [v for p, v in people.items() if (area_id, p) not in managers]
        managers_side = [v for p, v in people.items() if (area_id, p) in managers]
        gaps.append(perception_gap(area_id, members_side, managers_side, threshold))
    return gaps
