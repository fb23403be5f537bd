"""`--demo`'s second team: the café's owners and shift leads on the whole-organisation pack.

Maya manages it too, so `/teams` lets her switch and `/pack` shows the other framework; Ben,
Ana and Dmitri answered the first questions of its current round. Everyone's answering stays
with the Corner Café team (the one the demo opens on) until they choose otherwise with /teams.
Written through the bot's services (teams, answers), as if people had used the bot.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import answers, teams
from criteria.loader import PACKS_DIR, load_pack
from criteria.model import MATURITY_LEVELS
from storage.models import Person, Team

ORG_PACK_FILE = "baldrige-organisation.yaml"
ORG_TEAM_NAME = "Corner Café business"
ORG_ROUND_NAME = "Winter 2026"
#: Who answers (by first name) and how many of the pack's first questions they answered.
ORG_PEOPLE = (("Maya", 7), ("Ben", 4), ("Ana", 3), ("Dmitri", 2))
#: Each question's answers, in the order of ORG_PEOPLE (the first people who got that far).
ORG_ANSWERS: dict[str, tuple[str, ...]] = {
    "lead-1": (
        "I say it at every Monday meeting: good coffee, people remembered by name. It's on the "
        "wall in the back too.",
        "Maya's values are clear when she's in. On my shifts I repeat them, not always.",
        "Sé lo que Maya quiere, pero nunca lo hemos escrito juntos.",
        "Сказали на первой неделе. Потом не вспоминали.",
    ),
    "lead-2": (
        "Monday meetings and the WhatsApp group. People talk more in the group than to my face.",
        "Shift handovers. I pass on what Maya says, and what the staff say back, mostly.",
        "Por WhatsApp. Si hay algo serio, hablo con Ben antes que con Maya.",
        "Говорим на кухне. Мне легче написать, чем сказать вслух.",
    ),
    "lead-3": (
        "Anyone can try an idea for two weeks. Farid's breakfast boxes came from that.",
        "Ideas are welcome, but nobody checks afterwards whether they worked.",
        "Probamos cosas, pero no sabemos si funcionaron.",
    ),
    "gov-1": (
        "The accountant checks the books every quarter; I show the team the main numbers twice "
        "a year.",
        "We see the sales of the week. Costs we don't see.",
    ),
    "gov-2": (
        "Food safety inspections, allergen training at the start. Breaches go in the notebook.",
    ),
    "gov-3": ("Coffee grounds go to the community garden; we stopped plastic lids in spring.",),
    "gov-4": ("We host the mums' group on Tuesdays and give the day's leftovers to the shelter.",),
}


async def seed_organisation_team(
    session: AsyncSession,
    cafe: Team,
    people: Sequence[tuple[object, Person]],
    timezone: str,
    now: datetime,
) -> Team:
    """The second team, its current round part-answered; everyone's answering back on `cafe`."""
    pack = load_pack(PACKS_DIR / ORG_PACK_FILE)
    by_name = {person.first_name: person for _staff, person in people}
    maya = by_name[ORG_PEOPLE[0][0]]
    team, round_, _invite = await teams.create_team(
        session, maya, ORG_TEAM_NAME, pack, timezone, now - timedelta(days=30)
    )
    round_.name = ORG_ROUND_NAME
    round_.started_at = now - timedelta(days=30)
    for name, _count in ORG_PEOPLE[1:]:
        invite = await teams.create_invite(session, team.id, maya.id, now=now)
        await teams.join_with_invite(session, by_name[name], invite.token, now)
    questions = pack.questions()
    for person_index, (name, count) in enumerate(ORG_PEOPLE):
        person = by_name[name]
        for question_index, question in enumerate(questions[:count]):
            said = ORG_ANSWERS[question.id]
            text = said[person_index] if person_index < len(said) else said[-1]
            await answers.save_text(
                session, round_.id, person.id, question.id, text, None, append=False
            )
            if question.asks_rating:
                level = (question_index + person_index) % 3  # reacting to aligned, mostly
                await answers.set_rating(
                    session, round_.id, person.id, question.id, MATURITY_LEVELS[level].id
                )
    for name, _count in ORG_PEOPLE:
        by_name[name].active_team_id = cafe.id
    await session.flush()
    return team
