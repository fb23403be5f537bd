"""Teams with every answer given, written straight into the models' tables for the benches.

Through the bot, a 50-person team answering 23 questions is 2,300 updates; a benchmark of an
export or a digest needs the rows, not the way they came. The rows are the ones the bot writes
(storage/models.py), inserted in bulk with SQLAlchemy Core.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import insert, select

from criteria.loader import DEFAULT_PACK_ID, load_packs
from criteria.model import MATURITY_LEVELS
from storage.db import create_engine
from storage.models import Answer, AssessmentRound, Membership, Person, Role, Team

PACK = load_packs().get(DEFAULT_PACK_ID)
QUESTIONS = PACK.questions()
SEEDED_AT = datetime(2030, 1, 1, tzinfo=UTC)
ANSWER_TEXT = "We review it every week with the whole team and write down what we change."
BATCH = 5_000


@dataclass
class SeededTeam:
    team_id: int
    round_id: int
    manager: str
    person_ids: dict[str, int] = field(default_factory=dict)
    people: dict[str, object] = field(default_factory=dict)  # name -> the fake's Person


def answer_rows(round_id: int, person_id: int, seed: int) -> list[dict]:
    return [
        {
            "round_id": round_id,
            "person_id": person_id,
            "question_id": question.id,
            "status": "answered",
            "text": ANSWER_TEXT,
            "rating": MATURITY_LEVELS[(seed + index) % len(MATURITY_LEVELS)].id,
            "created_at": SEEDED_AT,
            "updated_at": SEEDED_AT,
        }
        for index, question in enumerate(QUESTIONS)
    ]


async def insert_rows(connection, table, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        await connection.execute(insert(table), rows[start : start + BATCH])


async def seed_answered_team(
    database_url: str,
    fake=None,
    *,
    members: int,
    name: str = "Bench team",
    first_user_id: int | None = None,
) -> SeededTeam:
    """A team with an open round, a manager and `members` members who answered everything.

    With `fake`, everyone is a person of that fake Bot API who has started the bot; without it,
    Telegram ids count up from `first_user_id`.
    """
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            team_id = (
                await connection.execute(
                    insert(Team.__table__)
                    .values(name=name, pack_id=PACK.id, created_at=SEEDED_AT)
                    .returning(Team.__table__.c.id)
                )
            ).scalar_one()
            round_id = (
                await connection.execute(
                    insert(AssessmentRound.__table__)
                    .values(
                        team_id=team_id,
                        name="Round 1",
                        pack_id=PACK.id,
                        pack_version=PACK.version,
                        started_at=SEEDED_AT,
                    )
                    .returning(AssessmentRound.__table__.c.id)
                )
            ).scalar_one()
            names = [f"{name} manager"] + [f"{name} member {i}" for i in range(1, members + 1)]
            seeded = SeededTeam(team_id, round_id, names[0])
            user_ids = {}
            for index, person_name in enumerate(names):
                if fake is not None:
                    seeded.people[person_name] = fake.person(person_name, started=True)
                    user_ids[person_name] = seeded.people[person_name].user_id
                else:
                    user_ids[person_name] = (first_user_id or 2_000_000_000) + index
            await insert_rows(
                connection,
                Person.__table__,
                [
                    {
                        "telegram_user_id": user_ids[n],
                        "first_name": n,
                        "active_team_id": team_id,
                        "created_at": SEEDED_AT,
                    }
                    for n in names
                ],
            )
            rows = await connection.execute(
                select(Person.__table__.c.id, Person.__table__.c.telegram_user_id).where(
                    Person.__table__.c.active_team_id == team_id
                )
            )
            by_user = {user: person_id for person_id, user in rows}
            seeded.person_ids = {n: by_user[user_ids[n]] for n in names}
            await insert_rows(
                connection,
                Membership.__table__,
                [
                    {
                        "team_id": team_id,
                        "person_id": seeded.person_ids[n],
                        "role": Role.MANAGER if n == names[0] else Role.MEMBER,
                        "joined_at": SEEDED_AT,
                    }
                    for n in names
                ],
            )
            answers = []
            for seed, n in enumerate(names):
                answers.extend(answer_rows(round_id, seeded.person_ids[n], seed))
            await insert_rows(connection, Answer.__table__, answers)
        return seeded
    finally:
        await engine.dispose()
