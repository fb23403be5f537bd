"""The perception gap beyond scores: per area, how managers and members rate its maturity (the
four maturity steps of their answers) and how much of it they have answered, side by side with
the gap between the two sides' median scores (bot/domain/scoring.py).

A side shows a figure only when at least the team's anonymity threshold of people stand behind
it: raters for the maturity, people on that side for the completion. Scores take the role a
person had when they scored; answers carry no role, so they take the person's role today.

Pure: rows in, figures out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import median_low

from bot.domain.scoring import Gap
from criteria.model import MATURITY_LEVELS
from storage.statuses import DONE_STATUSES, AnswerStatus

LEVEL_IDS: tuple[str, ...] = tuple(level.id for level in MATURITY_LEVELS)

# (person, is a manager, question id or None, answer status or None, rating or None): one row per
# answer of a team member in the round, or one row with Nones for a member with no answer yet.
AnswerRow = tuple[int, bool, str | None, str | None, str | None]


@dataclass(frozen=True)
class Side:
    """One side's view of one area."""

    people: int  # on this side of the team
    raters: int  # of them, who rated at least one answer in the area
    maturity: int | None  # the median step (an index of LEVEL_IDS); None when hidden or unrated
    completion: float | None  # share of the area's questions done, 0 to 1; None when hidden
    raters_needed: int  # how many more raters before the maturity shows
    people_needed: int  # how many more people before the completion shows


@dataclass(frozen=True)
class Perception:
    area_id: str
    score: Gap
    members: Side
    managers: Side

    @property
    def maturity_gap(self) -> int | None:
        """Managers' median step minus members' (positive: leaders see it more mature)."""
        if self.members.maturity is None or self.managers.maturity is None:
            return None
        return self.managers.maturity - self.members.maturity

    @property
    def completion_gap(self) -> float | None:
        """Managers' completion minus members', in percentage points."""
        if self.members.completion is None or self.managers.completion is None:
            return None
        return round((self.managers.completion - self.members.completion) * 100, 1)


def side_view(
    people: set[int], answers: Sequence[tuple[int, str, str | None]], questions: int, threshold: int
) -> Side:
    """One side of one area from its people and their (person, status, rating) answers there."""
    threshold = max(threshold, 1)
    rated = [
        (person, LEVEL_IDS.index(rating))
        for person, status, rating in answers
        if status == AnswerStatus.ANSWERED and rating in LEVEL_IDS
    ]
    steps = [step for _person, step in rated]
    raters = len({person for person, _step in rated})
    done = sum(1 for _person, status, _rating in answers if status in DONE_STATUSES)
    possible = questions * len(people)
    return Side(
        people=len(people),
        raters=raters,
        maturity=median_low(steps) if steps and raters >= threshold else None,
        completion=done / possible if possible and len(people) >= threshold else None,
        raters_needed=max(threshold - raters, 0),
        people_needed=max(threshold - len(people), 0),
    )


def area_perceptions(
    gaps: Iterable[Gap],
    rows: Iterable[AnswerRow],
    questions_by_area: Mapping[str, Sequence[str]],
    threshold: int,
) -> list[Perception]:
    """Each gap's area with both sides' maturity and completion, in the gaps' order."""
    rows = list(rows)
    sides = {True: set(), False: set()}
    area_of = {q: area for area, questions in questions_by_area.items() for q in questions}
    answers: dict[tuple[str, bool], list[tuple[int, str, str | None]]] = {}
    for person, manager, question_id, status, rating in rows:
        sides[manager].add(person)
        area_id = area_of.get(question_id)
        if area_id is not None:
            answers.setdefault((area_id, manager), []).append((person, status, rating))
    found = []
    for gap in gaps:
        questions = len(questions_by_area.get(gap.area_id, ()))

        def side(manager: bool, area_id: str = gap.area_id, count: int = questions) -> Side:
            return side_view(sides[manager], answers.get((area_id, manager), []), count, threshold)

        found.append(Perception(gap.area_id, gap, side(False), side(True)))
    return found
