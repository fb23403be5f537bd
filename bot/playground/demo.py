"""`--demo`: a café team with two rounds behind it, so every view shows something at once.

Eight people at the Corner Café (Maya manages), a group chat linked to the team, last round
("Summer 2026", closed) fully answered and agreed, this round ("Winter 2026") half-way: some
people finished, some are part-way, one has not started, and one area splits the team. Written
through the bot's own services (teams, answers, rounds, groups), as if people had used the bot.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.actions import HIGH, MEDIUM, ofi_items
from bot.domain.compare import agreed_level
from bot.playground.demo_answers import ANSWERS, CONSENSUS_NOTES, DEMO_ACTIONS
from bot.playground.demo_organisation import seed_organisation_team
from bot.playground.demo_scores import seed_scores
from bot.playground.world import World
from bot.services import actions, answers, consensus, groups, rounds, teams
from bot.services.people import TelegramUser, ensure_person
from criteria.model import MATURITY_LEVELS, Pack
from storage.models import AssessmentRound, Person, Team
from storage.statuses import ActionStatus

TEAM_NAME = "Corner Café"
GROUP_TITLE = "Corner Café team"
LEVELS = [level.id for level in MATURITY_LEVELS]


@dataclass(frozen=True)
class DemoPerson:
    first_name: str
    language_code: str
    #: Questions answered this round, out of the pack's (the last round: all of them).
    answered_now: int | None  # None: all
    #: Added to the area's usual level, so people see things a little differently.
    outlook: int
    #: What this person tends to add, so two people given the same voice still differ.
    aside: str = ""


STAFF = (
    DemoPerson("Maya", "en", None, 0),
    DemoPerson("Ana", "es", None, 1),
    DemoPerson("Ben", "en", None, 0),
    DemoPerson("Grace", "en", None, 1, "Regulars tell me this all the time."),
    DemoPerson("Chloé", "en", 14, -1, "At least on my shifts."),
    DemoPerson("Dmitri", "ru", 9, 0, "Weekends are different, though."),
    DemoPerson("Farid", "en", 3, -1, "I'm still new, so not sure."),
    DemoPerson("Lucía", "es", 0, 0, "Same in the kitchen."),
)
#: The area's usual maturity (index in MATURITY_LEVELS) last round and this round.
AREA_LEVELS = {
    "product-offering": (0, 1),
    "customer-support": (1, 2),
    "customer-segmentation": (0, 1),
    "customer-relationships": (1, 2),
    "complaint-management": (0, 1),
}
#: This round the team splits on segmentation: some see a system, others see none.
SPLIT_AREA = "customer-segmentation"
AGREED_NOW = ("product-offering", "complaint-management")


async def seed_demo(
    session: AsyncSession, world: World, pack: Pack, timezone: str, now: datetime
) -> Team:
    """Create the people in the playground's Telegram and the team in the database."""
    people: list[tuple[DemoPerson, Person]] = []
    for index, staff in enumerate(STAFF):
        player = world.add_person(
            staff.first_name,
            staff.language_code,
            note="manager" if index == 0 else "",
            started=True,
        )
        person = await ensure_person(
            session, TelegramUser(player.id, staff.first_name, None, staff.language_code)
        )
        people.append((staff, person))
    manager = people[0][1]
    team, first_round, _invite = await teams.create_team(
        session, manager, TEAM_NAME, pack, timezone, now - timedelta(days=160)
    )
    for _staff, person in people[1:]:
        invite = await teams.create_invite(session, team.id, manager.id, now=now)
        await teams.join_with_invite(session, person, invite.token, now)

    first_round.name = "Summer 2026"
    first_round.started_at = now - timedelta(days=160)
    await _answer_round(session, first_round, people, pack, this_round=False)
    await _agree(session, first_round, people, pack, areas=tuple(AREA_LEVELS))

    second_round = await rounds.open_new_round(
        session, team, first_round, "Winter 2026", (now + timedelta(days=14)).date(), pack
    )
    assert second_round is not None  # nobody else can have opened one: the team is new
    first_round.closed_at = now - timedelta(days=60)
    second_round.started_at = now - timedelta(days=21)
    await _answer_round(session, second_round, people, pack, this_round=True)
    await _agree(session, second_round, people, pack, areas=AGREED_NOW)
    await seed_scores(session, team, (first_round, second_round), people, pack, world.notes)
    await seed_organisation_team(session, team, people, timezone, now)
    await _plan(session, team, second_round, [person for _staff, person in people], now)

    group = world.add_group(GROUP_TITLE, [world.people[p.telegram_user_id] for _, p in people])
    await groups.link_group(session, group.chat_id, team.id, GROUP_TITLE, manager.id)
    await session.flush()
    world.demo_seeded = True
    return team


async def _plan(
    session: AsyncSession,
    team: Team,
    round_: AssessmentRound,
    people: list[Person],
    now: datetime,
) -> None:
    """The demo team's improvement plan: a priority from its consensus, rated high impact and
    medium effort, and a done, an open and an overdue action, as /themes and /action would have
    recorded them."""
    manager = people[0].id
    row = await consensus.consensus_of_area(session, round_.id, AGREED_NOW[0])
    item = ofi_items(row.improvements)[0]
    theme = await actions.add_theme(
        session, team.id, round_.id, row.area_id, item.key, item.text, actions.PRIORITY, manager
    )
    # Rated, as a manager's two taps would: it changes a lot, for a medium effort.
    await actions.rate_theme(session, theme, "i", HIGH)
    await actions.rate_theme(session, theme, "e", MEDIUM)
    plan = (
        (DEMO_ACTIONS[0], people[1].id, now - timedelta(days=4), ActionStatus.DONE),
        (DEMO_ACTIONS[1], people[2].id, now + timedelta(days=10), ActionStatus.STARTED),
        (DEMO_ACTIONS[2], people[-1].id, now - timedelta(days=3), ActionStatus.OPEN),  # overdue
    )
    for title, owner, due, status in plan:
        action = await actions.create_action(
            session, team.id, round_.id, title, manager, area_id=row.area_id, theme_id=theme.id
        )
        await actions.set_owner(session, action, owner, manager)
        await actions.set_due(session, action, due.date(), manager)
        if status is not ActionStatus.OPEN:
            await actions.set_status(session, action, status, owner, now - timedelta(days=2))


async def _answer_round(
    session: AsyncSession,
    round_: AssessmentRound,
    people: list[tuple[DemoPerson, Person]],
    pack: Pack,
    *,
    this_round: bool,
) -> None:
    questions = pack.questions()
    for person_index, (staff, person) in enumerate(people):
        done = staff.answered_now if this_round else None
        count = len(questions) if done is None else done
        for question_index, question in enumerate(questions[:count]):
            voices = ANSWERS[question.id]
            # This round each person says what a neighbour said last time: the words move on.
            voice = (person_index + question_index + (1 if this_round else 0)) % len(voices)
            text = f"{voices[voice]} {staff.aside}".strip()
            await answers.save_text(
                session, round_.id, person.id, question.id, text, None, append=False
            )
            level = _level(pack.area_of(question.id).id, staff, person_index, this_round)
            await answers.set_rating(session, round_.id, person.id, question.id, LEVELS[level])


def _level(area_id: str, staff: DemoPerson, person_index: int, this_round: bool) -> int:
    usual = AREA_LEVELS[area_id][1 if this_round else 0]
    if this_round and area_id == SPLIT_AREA:
        # Half the team sees the new loyalty-card routine as a system, half sees nothing yet.
        return 2 if person_index % 2 == 0 else 0
    return max(0, min(len(LEVELS) - 1, usual + (staff.outlook if person_index % 3 == 0 else 0)))


async def _agree(
    session: AsyncSession,
    round_: AssessmentRound,
    people: list[tuple[DemoPerson, Person]],
    pack: Pack,
    *,
    areas: tuple[str, ...],
) -> None:
    """What the group voted and noted per area, as /consensus N would have recorded it."""
    this_round = round_.closed_at is None
    for area_id in areas:
        row = await consensus.consensus_of_area(session, round_.id, area_id)
        for person_index, (staff, person) in enumerate(people):
            level = _level(area_id, staff, person_index, this_round)
            # The team settles near the usual level; the odd person votes one step off.
            level = AREA_LEVELS[area_id][1 if this_round else 0] if person_index % 4 else level
            await consensus.record_vote(session, row.id, person.id, LEVELS[level])
        agreed, counts = agreed_level(await consensus.votes_of(session, row.id))
        row.agreed_rating = agreed
        row.vote_counts = json.dumps({level: n for level, n in counts.items() if n})
        row.strengths, row.improvements = CONSENSUS_NOTES[area_id]
    await session.flush()
