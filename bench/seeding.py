"""Teams with every answer given, written straight into the models' tables for the benches.

Through the bot, a 50-person team answering 23 questions is 2,300 updates; a benchmark of an
export or a digest needs the rows, not the way they came. The rows are the ones the bot writes
(storage/models.py), inserted in bulk with SQLAlchemy Core.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg
from sqlalchemy import insert, select
from sqlalchemy.engine import make_url

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
    user_ids: dict[str, int] = field(default_factory=dict)  # name -> Telegram user id
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


async def copy_or_insert(connection, table, rows: list[dict]) -> None:
    """PostgreSQL's COPY when the connection is asyncpg's (ten times the rows a second of an
    INSERT), else batched INSERTs; in the connection's transaction either way."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        await insert_rows(connection, table, rows)
        return
    raw = (await connection.get_raw_connection()).driver_connection
    columns = list(rows[0])
    await raw.copy_records_to_table(
        table.name, records=[tuple(row[c] for c in columns) for row in rows], columns=columns
    )


async def seed_organisation(
    database_url: str,
    *,
    teams: int,
    members: int,
    first_user_id: int = 3_000_000_000,
    answered: bool = True,
    name: str = "Team",
) -> list[SeededTeam]:
    """`teams` teams, each a manager and `members` members who answered every question (or
    none), written in bulk; Telegram ids count up from `first_user_id`."""
    team_table, round_table = Team.__table__, AssessmentRound.__table__
    person_table = Person.__table__
    engine = create_engine(database_url)
    seeded: list[SeededTeam] = []
    try:
        async with engine.begin() as connection:
            team_ids = (
                (
                    await connection.execute(
                        insert(team_table).returning(team_table.c.id, sort_by_parameter_order=True),
                        [
                            {"name": f"{name} {t}", "pack_id": PACK.id, "created_at": SEEDED_AT}
                            for t in range(teams)
                        ],
                    )
                )
                .scalars()
                .all()
            )
            round_ids = (
                (
                    await connection.execute(
                        insert(round_table).returning(
                            round_table.c.id, sort_by_parameter_order=True
                        ),
                        [
                            {
                                "team_id": team_id,
                                "name": "Round 1",
                                "pack_id": PACK.id,
                                "pack_version": PACK.version,
                                "started_at": SEEDED_AT,
                            }
                            for team_id in team_ids
                        ],
                    )
                )
                .scalars()
                .all()
            )
            size = members + 1
            person_rows = [
                {
                    "telegram_user_id": first_user_id + t * size + i,
                    "first_name": f"{name} {t} {'manager' if i == 0 else f'member {i}'}",
                    "active_team_id": team_id,
                    "created_at": SEEDED_AT,
                }
                for t, team_id in enumerate(team_ids)
                for i in range(size)
            ]
            person_ids = (
                (
                    await connection.execute(
                        insert(person_table).returning(
                            person_table.c.id, sort_by_parameter_order=True
                        ),
                        person_rows,
                    )
                )
                .scalars()
                .all()
            )
            memberships, answers = [], []
            for t, (team_id, round_id) in enumerate(zip(team_ids, round_ids, strict=True)):
                team = SeededTeam(team_id, round_id, person_rows[t * size]["first_name"])
                for i in range(size):
                    row, person_id = person_rows[t * size + i], person_ids[t * size + i]
                    team.person_ids[row["first_name"]] = person_id
                    team.user_ids[row["first_name"]] = row["telegram_user_id"]
                    memberships.append(
                        {
                            "team_id": team_id,
                            "person_id": person_id,
                            "role": str(Role.MANAGER if i == 0 else Role.MEMBER),
                            "joined_at": SEEDED_AT,
                        }
                    )
                    if answered:
                        answers.extend(answer_rows(round_id, person_id, i))
                seeded.append(team)
                if len(answers) >= 100_000:  # a bounded batch in memory, whatever the size
                    await copy_or_insert(connection, Answer.__table__, answers)
                    answers = []
            await copy_or_insert(connection, Membership.__table__, memberships)
            await copy_or_insert(connection, Answer.__table__, answers)
        return seeded
    finally:
        await engine.dispose()


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


@asynccontextmanager
async def fresh_database(database_url: str | None) -> AsyncIterator[str]:
    """An empty database for one run: SQLite in a temp dir, or on the PostgreSQL server of
    `database_url` a new database named after it (created, then dropped: the one named in the
    URL is never touched)."""
    if database_url is None or database_url.startswith("sqlite"):
        with tempfile.TemporaryDirectory() as workdir:
            yield f"sqlite+aiosqlite:///{workdir}/bench.db"
        return
    url = make_url(database_url)
    name = f"{url.database or 'bench'}_{uuid.uuid4().hex[:8]}"
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(False)
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()
