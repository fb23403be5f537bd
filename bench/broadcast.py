"""A reminder run to thousands of people under Telegram's flood limits: pace, 429s, losses.

N simulated people in one team, none finished, against the loopback fake Bot API with its
flood-limit mode on (429 with retry_after above 30 messages/s overall or 1/s per chat). The
real reminder job runs once (bot.scheduled.jobs.run_slot, as the scheduler would); the report gives
the
messages per second, how many 429s Telegram (the fake) answered and the bot waited out, and
checks that every person got exactly one reminder and the delivery log says so.

    .venv/bin/python bench/broadcast.py                     # 2,000 people, SQLite in a temp dir
    .venv/bin/python bench/broadcast.py --people 500 --inject-429 40   # plus a 429 storm
    .venv/bin/python bench/broadcast.py --database-url postgresql+asyncpg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import delete, func
from sqlmodel import select

from bot.core.runtime import RUNTIME_KEY
from bot.domain.schedule import ScheduleKind
from bot.playground.botapi.fake_telegram import FakeTelegram
from bot.scheduled import jobs
from bot.services.deliveries import DeliveryKind, team_period
from criteria.loader import DEFAULT_PACK_ID, load_packs
from storage.models import AssessmentRound, Delivery, Membership, Person, Role, Team
from tests.support.botrunner import running_bot

PERIOD = "2030-W48-mon"
SLOT = datetime(2030, 11, 25, 10, 0, tzinfo=UTC)


async def seed(sessions, fake: FakeTelegram, people: int):
    """One team, its round and `people` members who have not answered anything."""
    pack = load_packs().get(DEFAULT_PACK_ID)
    async with sessions() as session:
        team = Team(name="Broadcast bench", pack_id=pack.id, weekly_reminder_cap=2)
        session.add(team)
        await session.flush()
        session.add(
            AssessmentRound(team_id=team.id, name="R1", pack_id=pack.id, pack_version=pack.version)
        )
        fakes = [fake.person(f"Person {n}", started=True) for n in range(people)]
        rows = [Person(telegram_user_id=p.user_id, first_name=p.first_name) for p in fakes]
        session.add_all(rows)
        await session.flush()
        session.add_all(
            Membership(team_id=team.id, person_id=row.id, role=Role.MEMBER) for row in rows
        )
        await session.commit()
        return team.id, fakes, [row.id for row in rows]


async def remove(sessions, team_id: int, person_ids: list[int]) -> None:
    """Leave a shared (PostgreSQL) database as it was."""
    async with sessions() as session:
        await session.execute(delete(Team).where(Team.id == team_id))
        await session.execute(delete(Person).where(Person.id.in_(person_ids)))
        await session.commit()


async def bench(people: int, database_url: str, inject_429: int) -> bool:
    async with FakeTelegram() as fake, running_bot(fake, database_url) as app:
        sessions = app.bot_data[RUNTIME_KEY].sessions
        team_id, persons, person_ids = await seed(sessions, fake, people)
        fake.flood_limit(per_second_total=30, per_chat_per_second=1)
        if inject_429:
            # Refusals on top of the flood limit, as when other bots share Telegram's patience.
            fake.fail_next("sendMessage", error_code=429, retry_after=1, times=inject_429)
        sends_before = len(fake.calls_to("sendMessage"))
        started = time.perf_counter()
        outcome = await jobs.run_slot(app, team_id, ScheduleKind.REMINDER, PERIOD, SLOT)
        elapsed = time.perf_counter() - started

        refusals = Counter(call.error_code for call in fake.clear_rejected_calls())
        attempts = len(fake.calls_to("sendMessage")) - sends_before
        per_person = Counter(
            sum(1 for m in person.messages if "self-assessment still has" in m.text)
            for person in persons
        )
        async with sessions() as session:
            logged = dict(
                (
                    await session.execute(
                        select(Delivery.status, func.count())
                        .where(
                            Delivery.kind == DeliveryKind.REMINDER,
                            Delivery.period == team_period(team_id, PERIOD),
                        )
                        .group_by(Delivery.status)
                    )
                ).all()
            )
        await remove(sessions, team_id, person_ids)

    report = outcome.report
    exactly_once = per_person == Counter({1: people}) and logged == {"sent": people}
    print(f"people:                      {people:,}")
    print(f"reminders sent:              {report.sent:,} in {elapsed:.1f} s")
    print(f"rate:                        {report.sent / elapsed:.1f} messages/s (limit 30)")
    print(f"sendMessage calls:           {attempts:,} (429s answered: {refusals.get(429, 0):,})")
    print(f"429s past the rate limiter:  {report.retried_after_429} (waited out by the run)")
    print(f"failed:                      {report.failed}")
    print(f"reminders per person:        {dict(sorted(per_person.items()))}")
    print(f"delivery log:                {logged}")
    print(f"every person exactly once:   {'yes' if exactly_once else 'NO'}")
    return exactly_once


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--inject-429", type=int, default=0, help="extra 429s to answer")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    # The limiter logs every 429 that outlives its retries; the report counts them instead.
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory() as workdir:
        database_url = args.database_url or f"sqlite+aiosqlite:///{workdir}/bench.db"
        print(f"database:                    {database_url.split(':', 1)[0]}")
        ok = asyncio.run(bench(args.people, database_url, args.inject_429))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
