"""Scheduling tests' shared ground: a seeded team, the controlled clock, firing jobs as PTB does."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import select

from bot.domain.schedule import ScheduleKind
from bot.scheduled import jobs
from criteria.loader import DEFAULT_PACK_ID, load_packs
from storage.models import (
    Action,
    Answer,
    AssessmentRound,
    Delivery,
    Membership,
    Person,
    Role,
    Team,
)

PACK = load_packs().get(DEFAULT_PACK_ID)
QUESTIONS = PACK.questions()
REMINDER, DIGEST = ScheduleKind.REMINDER, ScheduleKind.DIGEST
# Well after the real date, so no job the bot sets for "now" fires while a test runs.
MONDAY = datetime(2030, 11, 25, 10, 0, tzinfo=UTC)  # 2030-W48-mon
FRIDAY_DIGEST = datetime(2030, 11, 29, 16, 0, tzinfo=UTC)  # 2030-W48
# Outside quiet hours and far from any default slot: the start-up sweep has nothing to catch up.
WEDNESDAY_NOON = datetime(2030, 11, 27, 12, 0, tzinfo=UTC)
# When seeded teams were created: before every moment these tests stand at, whatever the date the
# suite runs (a slot before a team existed is never caught up).
SEEDED_AT = datetime(2030, 1, 1, tzinfo=UTC)


@dataclass
class Seeded:
    team_id: int
    round_id: int
    people: dict[str, object]  # name -> fake Person
    person_ids: dict[str, int]


async def seed_team(db, fake, manager: str = "Maria", members=("Alice", "Bob"), **team_fields):
    """A team with an open round straight in the database: quicker than invites, same rows."""
    async with db.sessions() as session:
        team_fields.setdefault("created_at", SEEDED_AT)
        team = Team(name="Front desk <North>", pack_id=PACK.id, **team_fields)
        session.add(team)
        await session.flush()
        round_ = AssessmentRound(
            team_id=team.id, name="Round 1", pack_id=PACK.id, pack_version=PACK.version
        )
        session.add(round_)
        people, ids = {}, {}
        for name, role in [(manager, Role.MANAGER)] + [(m, Role.MEMBER) for m in members]:
            person = fake.person(name, started=True)
            row = Person(telegram_user_id=person.user_id, first_name=name, active_team_id=team.id)
            session.add(row)
            await session.flush()
            session.add(Membership(team_id=team.id, person_id=row.id, role=role))
            people[name], ids[name] = person, row.id
        await session.commit()
        return Seeded(team.id, round_.id, people, ids)


async def answer(db, seeded: Seeded, name: str, count: int | None = None) -> None:
    """`name` answers the first `count` questions (all of them by default)."""
    async with db.sessions() as session:
        for question in QUESTIONS[: len(QUESTIONS) if count is None else count]:
            session.add(
                Answer(
                    round_id=seeded.round_id,
                    person_id=seeded.person_ids[name],
                    question_id=question.id,
                    text="We do it weekly.",
                )
            )
        await session.commit()


async def add_actions(db, seeded: Seeded, rows) -> dict[str, int]:
    """Improvement actions straight in the database, created by the manager: (title, owner's
    name, status, due date) each; returns their ids by title."""
    async with db.sessions() as session:
        actions = {}
        for title, owner, status, due in rows:
            action = Action(
                team_id=seeded.team_id,
                round_id=seeded.round_id,
                title=title,
                owner_id=seeded.person_ids[owner],
                status=status,
                due_date=due,
                created_by=next(iter(seeded.person_ids.values())),
            )
            session.add(action)
            actions[title] = action
        await session.commit()
        return {title: action.id for title, action in actions.items()}


async def deliveries_of(db, kind: str) -> list[Delivery]:
    async with db.sessions() as session:
        rows = await session.execute(select(Delivery).where(Delivery.kind == kind))
        return list(rows.scalars())


def reminders_to(person) -> list:
    return [m for m in person.messages if "self-assessment still has" in m.text]


def digests_to(participant) -> list:
    return [m for m in participant.messages if "Weekly digest" in m.text]


class Clock:
    """A bot clock (bot/core/clock.py) standing still at `now` until a test moves it, or following
    a function of the test's (`follow`) for time that passes as the bot acts."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._follow: Callable[[], datetime] | None = None

    def follow(self, moment: Callable[[], datetime]) -> None:
        self._follow = moment

    def __setattr__(self, name, value) -> None:
        if name == "now":  # standing at a moment again
            super().__setattr__("_follow", None)
        super().__setattr__(name, value)

    def __call__(self) -> datetime:
        return self._follow() if self._follow is not None else self.now


def job_named(app, name: str):
    (job,) = app.job_queue.get_jobs_by_name(name)
    return job


def next_run(app, name: str) -> datetime | None:
    jobs_now = app.job_queue.get_jobs_by_name(name)
    return jobs.planned_for(jobs_now[0]) if jobs_now else None


async def fire(app, name: str) -> None:
    """Run a scheduled job's callback the way PTB does when its time comes."""
    await job_named(app, name).run(app)


async def monday_slot_from_two_instances(first, second, team_id: int) -> None:
    """Every way two instances may come to run a team's Monday reminder slot, all at once: both
    instances' jobs firing, the leader's sweep, and a direct run on each."""
    reminders = f"reminders:team:{team_id}"
    await asyncio.gather(
        fire(first, reminders),
        fire(second, reminders),
        fire(first, jobs.SWEEP_JOB_ID),
        jobs.run_slot(second, team_id, REMINDER, "2030-W48-mon", MONDAY),
        jobs.run_slot(first, team_id, REMINDER, "2030-W48-mon", MONDAY),
    )
