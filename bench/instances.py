"""Several webhook instances sharing one PostgreSQL database: updates per second for 1, 2 and 3
instances behind a round-robin load balancer, and the proof that none lost or handled twice.

    .venv/bin/python bench/instances.py                       # 1, 2 and 3 instances, 50 people
    .venv/bin/python bench/instances.py --instances 1,2 --people 20 --rounds 8
    .venv/bin/python bench/instances.py --quick               # a short run for CI

Each instance is `python -m bot` in webhook mode (bench/instances_support.py, the kill drill's
set-up); this process runs the fake Bot API, which posts updates side by side (up to
max_connections, like Telegram) to a round-robin proxy in front of the instances, and plays the
people. Every N gets a database of its own on the server of --database-url (created, migrated,
dropped afterwards: the one named in the URL is never touched).

The flow is throughput.py's closed loop: each person types an answer, waits for "Saved", taps a
maturity rating, waits for the next question. CPU is summed over the instances' processes;
PostgreSQL's is read apart, for the server processes serving the run's database (the server
must run on this machine). After each N the database is checked against
what the people sent: every answer stored once with its text whole and its rating, in the order
answered; a processed_update row for every update sent, the inbox empty; every reply seen once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.instances_support import BotProcess, RoundRobinProxy, webhook_environment
from bench.processes import bot_environment, cpu_seconds, free_port
from bench.seeding import fresh_database
from bench.throughput import (
    QUESTIONS,
    TIMEOUT_S,
    closed_loop,
    join_team,
    percentile,
    sql_counts,
)
from bot.playground.botapi.fake_telegram import FakeTelegram
from criteria.loader import DEFAULT_PACK_ID
from criteria.model import MATURITY_LEVELS
from storage.migrate import upgrade_to_head_async
from storage.models import Answer, InboxUpdate, Person, ProcessedUpdate

DEFAULT_DATABASE = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_instances"


@dataclass
class Sample:
    instances: int
    updates: int  # in the measured closed loop
    seconds: float
    cpu_ms: float  # per update, summed over the instances
    database_cpu_ms: float  # per update, PostgreSQL's processes serving this database
    latencies: list[float]
    statements: float  # per update, summed over the instances
    proof: list[str]  # what was checked, each line "...: True/False"

    @property
    def rate(self) -> float:
        return self.updates / self.seconds


async def run_instances(args, count: int, database_url: str) -> Sample:
    await upgrade_to_head_async(database_url)
    async with FakeTelegram() as fake:
        ports = [free_port() for _ in range(count)]
        proxy = RoundRobinProxy(ports)
        await proxy.start()
        with tempfile.TemporaryDirectory() as logs:
            instances = [
                BotProcess(
                    f"bot{n}",
                    bot_environment(
                        fake,
                        database_url,
                        COUNT_SQL_STATEMENTS="1",
                        **webhook_environment(proxy.port, port),
                    ),
                    Path(logs),
                )
                for n, port in enumerate(ports)
            ]
            try:
                for instance in instances:  # one after another: each sets the same webhook
                    await instance.start()
                sample, people = await load(args, fake, instances, database_url)
                sample.proof = await check(args, fake, people, database_url)
            except BaseException:
                for instance in instances:
                    log = Path(logs) / f"{instance.name}-1.log"
                    if log.exists():
                        print(f"--- {log.name}\n{log.read_text()[-3000:]}", file=sys.stderr)
                raise
            finally:
                await asyncio.gather(*(instance.stop() for instance in instances))
                await proxy.stop()
        fake.assert_no_rejected_calls()
    return sample


async def database_backends(database_url: str) -> list[int]:
    """The PostgreSQL server processes serving the instances' connections to this database."""
    url = make_url(database_url)
    connection = await asyncpg.connect(url.set(drivername="postgresql").render_as_string(False))
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            url.database,
        )
    finally:
        await connection.close()
    return [row["pid"] for row in rows]


def backends_cpu(pids: list[int]) -> dict[int, float]:
    """CPU seconds of each process still there (the server must run on this machine)."""
    seconds = {}
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, PermissionError):
            seconds[pid] = cpu_seconds(pid)
    return seconds


def total_cpu(instances: list[BotProcess]) -> float:
    return sum(cpu_seconds(instance.process.pid) for instance in instances)


async def total_statements(instances: list[BotProcess]) -> int:
    counts = [await sql_counts(instance.health_port) for instance in instances]
    return sum(count["statements"] for count in counts)


async def load(args, fake, instances: list[BotProcess], database_url: str) -> tuple[Sample, list]:
    manager = fake.person("Manager")
    await manager.command("/newteam", f"Bench team {DEFAULT_PACK_ID}")
    created = await manager.wait_for_message(contains="is ready", timeout=TIMEOUT_S)
    token = created.text.split("?start=", 1)[1].split()[0]
    people = await join_team(fake, args.people, "Person", token)
    await closed_loop(people, 1)  # warm up: every instance has handled some of each kind
    await fake.wait_idle(timeout=TIMEOUT_S)
    cpu, statements = total_cpu(instances), await total_statements(instances)
    # The instances' pools keep their connections: a backend started during the loop from 0.
    database_before = backends_cpu(await database_backends(database_url))
    timings, seconds = await closed_loop(people, args.rounds)
    cpu = total_cpu(instances) - cpu
    database_after = backends_cpu(await database_backends(database_url))
    database_cpu = sum(
        seconds_now - database_before.get(pid, 0.0) for pid, seconds_now in database_after.items()
    )
    await fake.wait_idle(timeout=TIMEOUT_S)
    # Each /healthz read's own SELECT 1 is not the updates'.
    statements = await total_statements(instances) - statements - len(instances)
    sample = Sample(
        len(instances),
        timings.updates,
        seconds,
        cpu * 1000 / timings.updates,
        database_cpu * 1000 / timings.updates,
        timings.all(),
        statements / timings.updates,
        [],
    )
    return sample, [answering.person for answering in people]


async def settled(session) -> int:
    """Wait until every instance has finished with the inbox (rows leave it after the reply);
    the rows left after 30 s."""
    for _ in range(300):
        left = (await session.execute(select(func.count()).select_from(InboxUpdate))).scalar()
        if not left:
            return 0
        await session.rollback()
        await asyncio.sleep(0.1)
    return left


async def check(args, fake, people, database_url: str) -> list[str]:
    """What the people sent against what is stored and what they saw; each line ends in
    True or False."""
    answered = args.rounds + 1  # with the warm-up's
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as session:
            left = await settled(session)
            processed = set((await session.execute(select(ProcessedUpdate.update_id))).scalars())
            rows = (
                await session.execute(
                    select(Person.first_name, Answer.id, Answer.question_id, Answer.text)
                    .add_columns(Answer.rating)
                    .join(Person, Person.id == Answer.person_id)
                    .order_by(Answer.id)
                )
            ).all()
    finally:
        await engine.dispose()
    # The manager's /newteam, each person's /start, then two updates a question.
    sent = 1 + args.people * (1 + 2 * answered)
    stored: dict[str, list] = {}
    for row in rows:
        stored.setdefault(row.first_name, []).append(row)
    whole = in_order = seen_once = True
    for person in people:
        name = person.first_name
        theirs = stored.get(name, [])
        expected = [
            (
                QUESTIONS[q].id,
                f"We do this every week ({q}).",
                MATURITY_LEVELS[q % len(MATURITY_LEVELS)].id,
            )
            for q in range(answered)
        ]
        got = [(r.question_id, r.text, r.rating) for r in theirs]
        whole &= sorted(got) == sorted(expected)
        in_order &= got == expected  # stored in the order answered (ids rise)
        bot_texts = [m.text or "" for m in person.chat.messages.values() if m.from_bot]
        seen_once &= sum("Saved" in text for text in bot_texts) == answered
        seen_once &= all(
            sum(
                text.startswith(QUESTIONS[q].text) or f"\n{QUESTIONS[q].text}" in text
                for text in bot_texts
            )
            == 1
            for q in range(1, answered + 1)
        )
        seen_once &= len(person.callback_answers) == answered  # each tap answered once
    return [
        f"updates sent {sent}, confirmed to Telegram {len(fake.delivered_update_ids)},"
        f" processed_update rows {len(processed)}: equal: "
        f"{sent == len(processed) and processed == fake.delivered_update_ids}",
        f"inbox empty (none left waiting, none dead): {left == 0}",
        f"every answer stored once, whole, with its rating ({len(rows)} answers): "
        f"{whole and len(rows) == args.people * answered}",
        f"each person's answers stored in the order sent: {in_order}",
        f"no reply seen twice, every tap answered once: {seen_once}",
    ]


def report(samples: list[Sample], args) -> None:
    print(f"\n{args.people} people, {args.rounds} questions each in the closed loop; PostgreSQL")
    print(
        f"{'instances':>9} {'updates/s':>9} {'× one':>6} {'CPU ms/upd':>10}"
        f" {'PG CPU ms/upd':>13} {'p50/p95 ms':>11} {'statements/upd':>14}"
    )
    base = samples[0].rate
    for s in samples:
        p50, p95 = percentile(s.latencies, 0.5), percentile(s.latencies, 0.95)
        print(
            f"{s.instances:>9} {s.rate:9.1f} {s.rate / base:6.2f} {s.cpu_ms:10.2f}"
            f" {s.database_cpu_ms:13.2f}"
            f" {f'{p50:.0f}/{p95:.0f}':>11} {s.statements:14.2f}"
        )
    print(f"this machine has {os.cpu_count()} cores, shared by the instances, PostgreSQL and")
    print("the bench: past that many instances, more cannot add throughput here.")


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--instances", default="1,2,3", help="comma-separated instance counts")
    parser.add_argument("--people", type=int, default=50, help="people at once")
    parser.add_argument(
        "--rounds", type=int, default=8, help="questions each person answers, closed loop"
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE, help="a PostgreSQL URL")
    parser.add_argument("--quick", action="store_true", help="8 people, briefly (CI)")
    args = parser.parse_args()
    if args.quick:
        args.instances, args.people, args.rounds = "1,2,3", 8, 2
    if args.rounds + 2 >= len(QUESTIONS):
        parser.error(f"a person has {len(QUESTIONS)} questions: fewer rounds")
    if not args.database_url.startswith("postgresql"):
        parser.error("several instances share a PostgreSQL database")
    counts = [int(n) for n in args.instances.split(",") if n.strip()]
    logging.basicConfig(level=logging.WARNING)

    samples = []
    for count in counts:
        async with fresh_database(args.database_url) as url:
            sample = await run_instances(args, count, url)
        samples.append(sample)
        print(
            f"{count} instance(s): {sample.rate:6.1f} updates/s, {sample.cpu_ms:5.2f} CPU ms"
            f" per update, p95 {percentile(sample.latencies, 0.95):5.0f} ms",
            flush=True,
        )
        for line in sample.proof:
            print(f"  {line}", flush=True)
    report(samples, args)
    if any(line.endswith("False") for s in samples for line in s.proof):
        sys.exit("a check failed: see above")


if __name__ == "__main__":
    asyncio.run(main())
