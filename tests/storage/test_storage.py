"""Migrations on both databases, and the progress queries' cost for a large team."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, select

from bot.services import progress
from criteria.loader import DEFAULT_PACK_ID, load_packs
from storage.migrate import upgrade_to_head
from storage.models import Answer, AnswerStatus, AssessmentRound, Membership, Person, Team
from tests.support.databases import open_database

PACK = load_packs().get(DEFAULT_PACK_ID)


async def test_migrations_bring_an_empty_database_to_the_models(empty_database_url):
    await _run_in_thread(upgrade_to_head, empty_database_url)
    database = open_database("any", empty_database_url)
    try:
        async with database.engine.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}),
                    SQLModel.metadata,
                )
            )
            tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        assert diff == [], f"models and migrations disagree: {diff}"
        assert set(SQLModel.metadata.tables) <= set(tables)
        # A second upgrade is a no-op: the bot runs it at every start.
        await _run_in_thread(upgrade_to_head, empty_database_url)
    finally:
        await database.dispose()


async def _run_in_thread(function, *args):
    import asyncio

    return await asyncio.to_thread(function, *args)


async def _team_with_answers(db, people: int, seed: int = 7) -> tuple[Team, AssessmentRound]:
    """A team of `people` members, each having answered a random share of the pack."""
    rng = random.Random(seed)
    questions = [q.id for q in PACK.questions()]
    async with db.sessions() as session:
        team = Team(name="Front desk", pack_id=PACK.id)
        session.add(team)
        await session.flush()
        round_ = AssessmentRound(team_id=team.id, name="2026", pack_id=PACK.id, pack_version="1")
        persons = [
            Person(telegram_user_id=seed * 100_000 + i, first_name=f"P{i:03d}")
            for i in range(people)
        ]
        session.add(round_)
        session.add_all(persons)
        await session.flush()
        session.add_all(
            Membership(team_id=team.id, person_id=p.id, role="manager" if i == 0 else "member")
            for i, p in enumerate(persons)
        )
        for person in persons:
            for question_id in rng.sample(questions, rng.randint(0, len(questions))):
                status = rng.choice(list(AnswerStatus))
                session.add(
                    Answer(
                        round_id=round_.id,
                        person_id=person.id,
                        question_id=question_id,
                        status=status,
                        text="x" if status == "answered" else "",
                    )
                )
        await session.commit()
    return team, round_


async def test_team_progress_costs_the_same_for_3_and_300_people(db):
    small_team, small_round = await _team_with_answers(db, 3, seed=1)
    big_team, big_round = await _team_with_answers(db, 300, seed=2)

    async with db.sessions() as session:
        with db.statements.measure() as small_cost:
            small = await progress.progress_of_team(session, PACK, small_team.id, small_round.id)
        with db.statements.measure() as big_cost:
            big = await progress.progress_of_team(session, PACK, big_team.id, big_round.id)

    assert small_cost.count == big_cost.count == 2
    assert len(small.by_person) == 3 and len(big.by_person) == 300
    assert big.total == 300 * len(PACK.questions())

    # Cross-check against a direct count from the table.
    async with db.sessions() as session:
        rows = (
            await session.execute(
                select(Answer.person_id, Answer.question_id, Answer.status).where(
                    Answer.round_id == big_round.id
                )
            )
        ).all()
    done = sum(1 for _, _, status in rows if status in ("answered", "not_my_area"))
    assert big.done == done
    for area in PACK.areas():
        area_ids = {q.id for q in area.questions}
        finished = {
            pid
            for pid in {p.person_id for p in big.by_person}
            if sum(
                1
                for p, q, s in rows
                if p == pid and q in area_ids and s in ("answered", "not_my_area")
            )
            == len(area_ids)
        }
        assert set(big.behind[area.id]) == {p.person_id for p in big.by_person} - finished


async def test_questions_left_are_in_order_with_skipped_last_in_one_statement(db):
    _team, round_ = await _team_with_answers(db, 1, seed=3)
    ids = [q.id for q in PACK.questions()]
    async with db.sessions() as session:
        person = (await session.execute(select(Person))).scalars().one()
        await session.execute(Answer.__table__.delete())
        session.add(Answer(round_id=round_.id, person_id=person.id, question_id=ids[0]))
        session.add(
            Answer(
                round_id=round_.id,
                person_id=person.id,
                question_id=ids[1],
                status=AnswerStatus.SKIPPED,
            )
        )
        session.add(
            Answer(
                round_id=round_.id,
                person_id=person.id,
                question_id=ids[2],
                status=AnswerStatus.NOT_MY_AREA,
            )
        )
        await session.commit()
        with db.statements.measure() as cost:
            left = await progress.questions_left(session, PACK, round_.id, person.id)
    assert cost.count == 1
    assert [q.id for q in left] == [*ids[3:], ids[1]]


async def test_one_current_answer_per_person_question_and_round(db):
    _team, round_ = await _team_with_answers(db, 1, seed=4)
    async with db.sessions() as session:
        person = (await session.execute(select(Person))).scalars().one()
        await session.execute(Answer.__table__.delete())
        session.add(Answer(round_id=round_.id, person_id=person.id, question_id="q"))
        await session.commit()
        session.add(Answer(round_id=round_.id, person_id=person.id, question_id="q"))
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_timestamps_come_back_timezone_aware(db):
    moment = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    async with db.sessions() as session:
        team = Team(name="T", pack_id=PACK.id, created_at=moment)
        session.add(team)
        await session.commit()
    async with db.sessions() as session:
        stored = await session.get(Team, team.id)
    assert stored.created_at == moment and stored.created_at.tzinfo is not None


async def test_sqlite_writers_of_two_engines_queue_without_stopping_the_event_loop(
    migrated_templates, tmp_path
):
    """SQLite runs on the event loop's thread, so waiting for another connection's write lock
    happens in asyncio: the holder, on the same loop, can finish, and the waiter then goes on.
    (SQLite only: PostgreSQL has row locks and a pool of connections.)"""
    db = open_database("sqlite", migrated_templates.sqlite_url(tmp_path))
    other = open_database("sqlite", db.url)
    try:
        async with db.sessions() as holder:
            holder.add(Team(name="First", pack_id=PACK.id))
            await holder.flush()  # BEGIN IMMEDIATE: this engine now holds the write lock

            async def second_writer() -> None:
                async with other.sessions() as session:
                    session.add(Team(name="Second", pack_id=PACK.id))
                    await session.commit()

            waiting = asyncio.create_task(second_writer())
            await asyncio.sleep(0.05)  # let it try, and find the lock taken
            assert not waiting.done()
            await holder.commit()
        await asyncio.wait_for(waiting, 5)
        async with db.sessions() as session:
            names = (await session.execute(select(Team.name).order_by(Team.id))).scalars().all()
        assert names == ["First", "Second"]
    finally:
        await other.dispose()
        await db.dispose()
