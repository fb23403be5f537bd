"""`--demo`'s scores: what the café team scored privately in both rounds, and what it agreed.

Ben is a shift lead and, like Maya, a manager of the team, so `/gap` has two managers to set
against the staff; the demo team shows a side from two people (as `/anonymous threshold 2`
would set it). Managers see complaint handling well above what the staff see, and this round
the team splits on segmentation again, so `/scores` opens on a real disagreement. Written
through the bot's services (bot/services/scores.py, membership), as if people had used /score,
/agree and the team view.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.scoring import OVERALL, distributions
from bot.services import membership, scores
from criteria.model import Pack
from storage.models import AssessmentRound, Person, Team

SHIFT_LEAD = "Ben"
SHIFT_LEAD_NOTE = "shift lead, manager"
THRESHOLD = 2  # Maya and Ben: each side of /gap shows from two people
#: The staff's usual score of each area, last round and this round.
MEMBERS_SCORE = {
    "product-offering": (25, 35),
    "customer-support": (30, 40),
    "customer-segmentation": (10, 25),
    "customer-relationships": (30, 40),
    "complaint-management": (15, 25),
}
#: How much higher the managers score it (they read the complaints notebook; staff do not).
MANAGERS_LIFT = {"complaint-management": (25, 35), "customer-support": (5, 5)}
#: This round half the team sees the loyalty-card routine as a system, half sees nothing yet.
SPLIT = ("customer-segmentation", 45, 10)
#: Small personal differences, by the person's place in the team.
NUDGE = (0, 5, -5, 5, 0, -5, 5, 0)
#: What the team agreed per area, with its one-line reason: last round every area, this round
#: the two areas it has agreed so far (as /agree N SCORE reason records it).
AGREED = (
    {
        "product-offering": (25, "Weekly till review works, but only Maya does it, unwritten."),
        "customer-support": (30, "Every channel is answered; how well depends on the shift."),
        "customer-segmentation": (10, "We know our regulars; nobody groups customers on purpose."),
        "customer-relationships": (30, "Regulars are looked after; nobody follows up the rest."),
        "complaint-management": (20, "Complaints are fixed on the spot, then forgotten."),
    },
    {
        "product-offering": (35, "Specials are trialled for two weeks and kept by the numbers."),
        "complaint-management": (40, "The complaints notebook is kept, but only managers read it."),
    },
)


async def seed_scores(
    session: AsyncSession,
    team: Team,
    rounds: Sequence[AssessmentRound],
    people: Sequence[tuple[object, Person]],
    pack: Pack,
    world_notes: dict[int, str],
) -> None:
    """Ben made a manager, then each round's private scores and agreed scores (last round's
    first). `people` are the demo's (DemoPerson, Person) pairs, the manager first."""
    maya = people[0][1]
    ben = next(person for staff, person in people if staff.first_name == SHIFT_LEAD)
    await membership.make_manager(session, team.id, ben.id)
    world_notes[ben.telegram_user_id] = SHIFT_LEAD_NOTE
    team.anonymity_threshold = THRESHOLD
    managers = {maya.id, ben.id}
    for round_index, round_ in enumerate(rounds):
        this_round = round_index == len(rounds) - 1
        for person_index, (staff, person) in enumerate(people):
            for area_id in _finished_areas(pack, None if not this_round else staff.answered_now):
                value = _score(area_id, person_index, person.id in managers, round_index)
                await scores.record_score(
                    session, round_.id, person.id, area_id, OVERALL, value, person.id in managers
                )
        await _agree(session, round_.id, AGREED[min(round_index, 1)], maya.id)


def _finished_areas(pack: Pack, answered: int | None) -> list[str]:
    """The areas whose every question is among the first `answered` (None: all)."""
    questions = pack.questions()
    done = {q.id for q in (questions if answered is None else questions[:answered])}
    return [area.id for area in pack.areas() if all(q.id in done for q in area.questions)]


def _score(area_id: str, person_index: int, manager: bool, round_index: int) -> int:
    round_index = min(round_index, 1)
    if round_index == 1 and area_id == SPLIT[0]:
        return SPLIT[1] if person_index % 2 == 0 else SPLIT[2]
    value = MEMBERS_SCORE[area_id][round_index] + NUDGE[person_index % len(NUDGE)]
    if manager:
        value += MANAGERS_LIFT.get(area_id, (0, 0))[round_index]
    return max(0, min(100, value))


async def _agree(
    session: AsyncSession, round_id: int, agreed: dict[str, tuple[int, str]], set_by: int
) -> None:
    """The agreed scores, each with the median and spread of the scores at that moment."""
    by_area: dict[str, list[int]] = {}
    for row in await scores.team_scores(session, round_id):
        by_area.setdefault(row.area_id, []).append(row.value)
    spread = {d.area_id: d for d in distributions(by_area)}
    for area_id, (value, rationale) in agreed.items():
        dist = spread.get(area_id)
        await scores.set_agreed(
            session,
            round_id,
            area_id,
            value,
            rationale,
            dist.median if dist else None,
            dist.spread if dist else None,
            dist.count if dist else 0,
            set_by,
        )
