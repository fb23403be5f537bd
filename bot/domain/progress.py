"""Progress through a pack, for one person and for a team, from answer statuses alone."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from criteria.model import Area, Pack, Question
from storage.statuses import DONE_STATUSES, AnswerStatus

Statuses = Mapping[str, str]  # question id -> status


@dataclass(frozen=True)
class AreaProgress:
    area_id: str
    title: str
    done: int
    total: int

    @property
    def complete(self) -> bool:
        return self.done >= self.total

    @property
    def share(self) -> float:
        return self.done / self.total if self.total else 1.0


@dataclass(frozen=True)
class PersonProgress:
    person_id: int
    name: str
    done: int
    total: int
    areas_left: tuple[str, ...]  # area ids with at least one question still to do

    @property
    def complete(self) -> bool:
        return self.done >= self.total


@dataclass(frozen=True)
class TeamProgress:
    by_area: tuple[AreaProgress, ...]  # done/total summed over the members
    by_person: tuple[PersonProgress, ...]
    behind: Mapping[str, tuple[int, ...]]  # area id -> person ids who have not finished it

    @property
    def done(self) -> int:
        return sum(area.done for area in self.by_area)

    @property
    def total(self) -> int:
        return sum(area.total for area in self.by_area)


def remaining_questions(pack: Pack, statuses: Statuses) -> list[Question]:
    """Questions still to do, in the order to ask them: never-seen first, then skipped ones."""
    unseen = [q for q in pack.questions() if q.id not in statuses]
    skipped = [q for q in pack.questions() if statuses.get(q.id) == AnswerStatus.SKIPPED]
    return unseen + skipped


def next_question(pack: Pack, statuses: Statuses, after: str | None = None) -> Question | None:
    """The next question to ask; with `after`, prefer one that follows it in the pack."""
    remaining = remaining_questions(pack, statuses)
    if not remaining:
        return None
    if after is not None:
        order = {q.id: index for index, q in enumerate(pack.questions())}
        position = order.get(after, -1)
        for question in remaining:
            if order[question.id] > position and question.id not in statuses:
                return question
    return remaining[0]


def area_done(area: Area, statuses: Statuses) -> int:
    return sum(1 for q in area.questions if statuses.get(q.id) in DONE_STATUSES)


def person_area_progress(pack: Pack, statuses: Statuses) -> list[AreaProgress]:
    return [
        AreaProgress(area.id, area.title, area_done(area, statuses), len(area.questions))
        for area in pack.areas()
    ]


def team_progress(
    pack: Pack,
    members: Iterable[tuple[int, str]],
    statuses_by_person: Mapping[int, Statuses],
) -> TeamProgress:
    """Completion by area and by person for the given members (person id, display name)."""
    members = list(members)
    areas = pack.areas()
    done_by_area = dict.fromkeys((a.id for a in areas), 0)
    behind: dict[str, list[int]] = {a.id: [] for a in areas}
    people = []
    for person_id, name in members:
        statuses = statuses_by_person.get(person_id, {})
        person_done = 0
        areas_left = []
        for area in areas:
            done = area_done(area, statuses)
            done_by_area[area.id] += done
            person_done += done
            if done < len(area.questions):
                behind[area.id].append(person_id)
                areas_left.append(area.id)
        people.append(
            PersonProgress(person_id, name, person_done, len(pack.questions()), tuple(areas_left))
        )
    by_area = tuple(
        AreaProgress(a.id, a.title, done_by_area[a.id], len(a.questions) * len(members))
        for a in areas
    )
    return TeamProgress(by_area, tuple(people), {k: tuple(v) for k, v in behind.items()})
