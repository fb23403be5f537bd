"""What a weekly digest says: completion, what is incomplete and by whom, change since last week.

Pure: built from a pack, the members and their answer statuses (through
bot.domain.progress.team_progress) and the previous digest's numbers; rendering and escaping
belong to bot/scheduled/digest_message.py. The numbers a digest reports are stored with it
(DigestNumbers.to_json) so next week's digest can say what changed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from bot.domain.actions import PlanSummary
from bot.domain.progress import Statuses, area_done, team_progress
from criteria.model import Pack


@dataclass(frozen=True)
class DigestNumbers:
    """The counts a digest reported, kept in the delivery log to compare with next week."""

    round_id: int
    done: int
    total: int
    areas: Mapping[str, tuple[int, int]]  # area id -> (done, total)

    def to_json(self) -> str:
        return json.dumps(
            {
                "round_id": self.round_id,
                "done": self.done,
                "total": self.total,
                "areas": {area: list(counts) for area, counts in self.areas.items()},
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str | None) -> DigestNumbers | None:
        """None for a missing or unreadable record: a digest without comparison beats none."""
        if not text:
            return None
        try:
            data = json.loads(text)
            return cls(
                round_id=int(data["round_id"]),
                done=int(data["done"]),
                total=int(data["total"]),
                areas={k: (int(v[0]), int(v[1])) for k, v in data["areas"].items()},
            )
        except (ValueError, KeyError, TypeError, IndexError):
            return None


@dataclass(frozen=True)
class AreaLine:
    area_id: str
    title: str
    done: int
    total: int
    change_points: int | None  # percentage points since last week; None when not comparable
    behind: tuple[str, ...]  # names of the members who have not finished this area

    @property
    def percent(self) -> int:
        return percent(self.done, self.total)


@dataclass(frozen=True)
class Heatmap:
    """Members × areas, each cell the share of that area's questions the member has done."""

    people: tuple[str, ...]
    areas: tuple[str, ...]
    shares: tuple[tuple[float, ...], ...]  # one row per person, one column per area
    hidden_people: int  # members left out to keep the picture readable


@dataclass(frozen=True)
class Digest:
    team_name: str
    round_name: str
    members: int
    finished_members: int
    done: int
    total: int
    change_points: int | None
    compared_with: date | None  # the day of the digest the changes are measured from
    areas: tuple[AreaLine, ...]
    due_date: date | None
    days_left: int | None  # negative once the due date has passed
    unreachable: tuple[str, ...]
    heatmap: Heatmap
    numbers: DigestNumbers
    # The area where managers' and members' scores differ most (bot/domain/scoring.py):
    # (area title, members' median, managers' median, gap); None when no gap can be shown.
    widest_gap: tuple[str, float, float, float] | None = None
    plan: PlanSummary | None = None  # the improvement actions section (managers' digest)

    @property
    def percent(self) -> int:
        return percent(self.done, self.total)

    @property
    def incomplete_areas(self) -> tuple[AreaLine, ...]:
        return tuple(area for area in self.areas if area.behind)

    @property
    def complete(self) -> bool:
        return self.members > 0 and self.done >= self.total


HEATMAP_MAX_PEOPLE = 40


def percent(done: int, total: int) -> int:
    return round(100 * done / total) if total else 100


def build_digest(
    pack: Pack,
    team_name: str,
    round_id: int,
    round_name: str,
    members: Iterable[tuple[int, str]],
    statuses_by_person: Mapping[int, Statuses],
    previous: DigestNumbers | None,
    due_date: date | None,
    today: date,
    unreachable: Iterable[str] = (),
    previous_on: date | None = None,
) -> Digest:
    """The digest of one round today; `previous` is the last digest's numbers (sent on
    `previous_on`), if any were kept. A previous digest of another round is not compared."""
    members = list(members)
    progress = team_progress(pack, members, statuses_by_person)
    names = dict(members)
    comparable = previous if previous is not None and previous.round_id == round_id else None
    areas = tuple(
        AreaLine(
            area.area_id,
            area.title,
            area.done,
            area.total,
            _change(area.done, area.total, comparable.areas.get(area.area_id))
            if comparable
            else None,
            tuple(names[person_id] for person_id in progress.behind[area.area_id]),
        )
        for area in progress.by_area
    )
    numbers = DigestNumbers(
        round_id, progress.done, progress.total, {a.area_id: (a.done, a.total) for a in areas}
    )
    return Digest(
        team_name=team_name,
        round_name=round_name,
        members=len(members),
        finished_members=sum(1 for person in progress.by_person if person.complete),
        done=progress.done,
        total=progress.total,
        change_points=(
            _change(progress.done, progress.total, (comparable.done, comparable.total))
            if comparable
            else None
        ),
        compared_with=previous_on if comparable else None,
        areas=areas,
        due_date=due_date,
        days_left=(due_date - today).days if due_date else None,
        unreachable=tuple(unreachable),
        heatmap=build_heatmap(pack, members, statuses_by_person),
        numbers=numbers,
    )


def _change(done: int, total: int, before: tuple[int, int] | None) -> int | None:
    if before is None:
        return None
    return percent(done, total) - percent(*before)


def build_heatmap(
    pack: Pack,
    members: list[tuple[int, str]],
    statuses_by_person: Mapping[int, Statuses],
    max_people: int = HEATMAP_MAX_PEOPLE,
) -> Heatmap:
    """Least complete members first, so a cut-off picture still shows who needs a hand."""
    areas = pack.areas()
    rows = []
    for person_id, name in members:
        statuses = statuses_by_person.get(person_id, {})
        shares = tuple(
            area_done(area, statuses) / len(area.questions) if area.questions else 1.0
            for area in areas
        )
        rows.append((sum(shares), name, shares))
    rows.sort(key=lambda row: (row[0], row[1]))
    shown = rows[:max_people]
    return Heatmap(
        people=tuple(name for _, name, _ in shown),
        areas=tuple(area.title for area in areas),
        shares=tuple(shares for _, _, shares in shown),
        hidden_people=len(rows) - len(shown),
    )
