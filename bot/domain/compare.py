"""Comparing a team's answers to one question: who said what, how the ratings spread, where the
team disagrees, and the anonymity rule that keeps a small group from exposing anyone.

Pure functions over plain data; ratings are maturity level ids (criteria.model.MATURITY_LEVELS).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from criteria.model import MATURITY_LEVELS
from storage.statuses import AnswerStatus

LEVEL_IDS: tuple[str, ...] = tuple(level.id for level in MATURITY_LEVELS)
# Ratings two or more levels apart ("reacting" against "aligned") are worth talking about;
# neighbouring levels are ordinary differences of judgement.
DISAGREEMENT_SPAN = 2
ANSWERED = AnswerStatus.ANSWERED
NOT_MY_AREA = AnswerStatus.NOT_MY_AREA


@dataclass(frozen=True)
class MemberAnswer:
    """One member's state on one question; status None means not answered yet."""

    person_id: int
    name: str
    status: str | None = None
    text: str = ""
    rating: str | None = None


@dataclass(frozen=True)
class ComparedAnswer:
    name: str  # the member's name; "" when the team compares anonymously
    number: int | None  # "Member 2" when anonymous (the view words it), else None
    status: str  # answered or not_my_area
    text: str
    rating: str | None


# Why a team disagrees on a question (the view words it in the reader's language).
RATINGS_APART = "ratings_apart"
AREA_SPLIT = "area_split"  # some answered while others said it is not their area


@dataclass(frozen=True)
class Disagreement:
    kind: str  # RATINGS_APART or AREA_SPLIT
    levels: int = 0  # with RATINGS_APART: how many maturity levels the ratings span


@dataclass(frozen=True)
class QuestionComparison:
    entries: tuple[ComparedAnswer, ...]  # empty when hidden
    spread: Mapping[str, int]  # every level id, lowest first -> how many rated it; empty if hidden
    disagreement: Disagreement | None  # why the team disagrees, or None
    answered: int
    not_my_area: int
    waiting: int  # members without an answer yet (skipped counts as waiting)
    hidden: bool  # anonymous, and too few answered to show anything without exposing someone


def rating_spread(ratings: Iterable[str | None]) -> dict[str, int]:
    """How many gave each maturity level, every level present, lowest first; unknown ids ignored."""
    spread = dict.fromkeys(LEVEL_IDS, 0)
    for rating in ratings:
        if rating in spread:
            spread[rating] += 1
    return spread


def disagreement(answers: Sequence[MemberAnswer]) -> Disagreement | None:
    """Why these answers disagree (ratings far apart, or answered against not-my-area), or None."""
    levels = sorted(
        LEVEL_IDS.index(a.rating) for a in answers if a.status == ANSWERED and a.rating in LEVEL_IDS
    )
    if levels and levels[-1] - levels[0] >= DISAGREEMENT_SPAN:
        return Disagreement(RATINGS_APART, levels[-1] - levels[0] + 1)
    answered = any(a.status == ANSWERED for a in answers)
    if answered and any(a.status == NOT_MY_AREA for a in answers):
        return Disagreement(AREA_SPLIT)
    return None


def breakdown_visible(answered: int, anonymous: bool, threshold: int) -> bool:
    """Named comparisons always show; anonymous ones only once enough people answered, so that
    nobody's answer or rating can be told apart from the others'."""
    return not anonymous or answered >= threshold


def anonymous_numbers(person_ids: Iterable[int], salt: str) -> dict[int, int]:
    """Person id -> N of "Member N", numbered in an order that depends on `salt` but not on names
    or roles, so the numbering gives nobody away and changes from one question to the next."""

    def shuffled(person_id: int) -> str:
        return hashlib.sha256(f"{salt}:{person_id}".encode()).hexdigest()

    ordered = sorted(set(person_ids), key=shuffled)
    return {person_id: number for number, person_id in enumerate(ordered, start=1)}


def compare_question(
    answers: Sequence[MemberAnswer], *, anonymous: bool, threshold: int, salt: str
) -> QuestionComparison:
    """The comparison of one question; `answers` has one entry per member, in display order."""
    responded = [a for a in answers if a.status in (ANSWERED, NOT_MY_AREA)]
    answered = sum(1 for a in responded if a.status == ANSWERED)
    not_my_area = len(responded) - answered
    waiting = len(answers) - len(responded)
    if not breakdown_visible(answered, anonymous, threshold):
        return QuestionComparison((), {}, None, answered, not_my_area, waiting, hidden=True)
    if anonymous:
        numbers = anonymous_numbers((a.person_id for a in responded), salt)
        responded.sort(key=lambda a: numbers[a.person_id])
        entries = tuple(
            ComparedAnswer("", numbers[a.person_id], a.status, a.text, a.rating) for a in responded
        )
    else:
        entries = tuple(ComparedAnswer(a.name, None, a.status, a.text, a.rating) for a in responded)
    spread = rating_spread(a.rating for a in responded if a.status == ANSWERED)
    return QuestionComparison(
        entries, spread, disagreement(responded), answered, not_my_area, waiting, hidden=False
    )


def agreed_level(votes: Iterable[str]) -> tuple[str | None, dict[str, int]]:
    """The level most votes chose (a tie goes to the lower level: claim no more maturity than
    the whole team sees), and the votes per level; None when nobody voted."""
    counts = rating_spread(votes)
    if not any(counts.values()):
        return None, counts
    best = max(counts.values())
    return next(level for level in LEVEL_IDS if counts[level] == best), counts


@dataclass(frozen=True)
class NoteAdded:
    """A reply added to what the team noted for an area, as far as the area's limit allows."""

    text: str  # the notes with (the part that fit of) the reply on a line of its own
    kept: int  # characters of the reply that fit
    dropped: int  # characters of the reply that did not fit; the person is told


def add_note(current: str, reply: str, limit: int) -> NoteAdded:
    """Add the whole reply while the area has room; whatever is past the limit is counted in
    `dropped`, never cut silently."""
    reply = reply.strip()
    separator = "\n" if current else ""
    room = max(0, limit - len(current) - len(separator))
    kept = reply[:room]
    if not kept:
        return NoteAdded(current, 0, len(reply))
    return NoteAdded(f"{current}{separator}{kept}", len(kept), len(reply) - len(kept))
