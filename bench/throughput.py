"""Updates per second, CPU per update and latency of the bot, against a PTB echo bot.

    .venv/bin/python bench/throughput.py                  # SQLite in a temp dir, 3 runs
    .venv/bin/python bench/throughput.py --database-url \\
        postgresql+asyncpg://postgres@127.0.0.1:5432/bench_throughput   # created if missing
    .venv/bin/python bench/throughput.py --quick          # a short run for CI: it keeps working

Each bot runs in a process of its own (`python -m bot`, bench/echo_bot.py); this process runs
the fake Bot API and plays the people, as Telegram and its users would. CPU is read from /proc for
the bot's process alone, SQL statements and commits from the bot's /healthz
(COUNT_SQL_STATEMENTS=1: the bot counts them itself).

The flow is a person's: type an answer, wait for "Saved", tap a maturity rating, wait for the
next question. Closed loop: 50 people each go on as soon as the bot answered. Paced: 20 answers
a second across 50 (other) people. Latency: from a person's update to the bot's answer to it
(the "Saved" message, the next question). The echo bot gets the same people, typing only.
Every mode runs once per run, in turn, so load from elsewhere hits them alike; medians reported.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.processes import bot_environment, bot_process, first_poll, free_port
from bench.profile import Profile, Profiling, profiling
from bench.seeding import fresh_database
from bot.playground.botapi.fake_telegram import FakeTelegram
from criteria.loader import DEFAULT_PACK_ID, load_packs
from criteria.model import MATURITY_LEVELS
from storage.migrate import upgrade_to_head_async

QUESTIONS = load_packs().get(DEFAULT_PACK_ID).questions()
TARGET_SQLITE, TARGET_POSTGRES = 0.60, 0.50  # of the echo bot's updates per second
TARGET_CPU_RATIO = 2.0
TARGET_P95_MS = 50.0
TIMEOUT_S = 120


# --- people ---------------------------------------------------------------------------------


async def next_bot_message(fake, person, after_id: int, contains: str | None = None):
    """The bot's first message in the person's chat after message `after_id`."""
    chat = person.chat
    while True:
        for message_id in range(after_id + 1, chat.next_message_id):
            message = chat.messages.get(message_id)
            if message is not None and message.from_bot:
                if contains is None or contains in message.text:
                    return message
                after_id = message_id
        await fake.wait_for_change(0.05)


@dataclass
class Timings:
    """Milliseconds from a person's update to the bot's answer, by kind of update."""

    answer: list[float] = field(default_factory=list)  # typed answer -> "Saved"
    tap: list[float] = field(default_factory=list)  # rating tap -> the next question
    updates: int = 0

    def all(self) -> list[float]:
        return self.answer + self.tap


class Answering:
    """One person going through the questionnaire: answer, rate, next question."""

    def __init__(self, fake, person, first_question: int) -> None:
        self.fake, self.person = fake, person
        self.question = first_question

    async def one_question(self, timings: Timings) -> None:
        fake, person = self.fake, self.person
        started = time.perf_counter()
        update = await person.send(f"We do this every week ({self.question}).")
        saved = await asyncio.wait_for(
            next_bot_message(fake, person, update["message"]["message_id"], "Saved"), TIMEOUT_S
        )
        tapped = time.perf_counter()
        timings.answer.append((tapped - started) * 1000)
        level = MATURITY_LEVELS[self.question % len(MATURITY_LEVELS)]
        await person.press(saved, level.label)
        self.question += 1
        following = QUESTIONS[self.question].text
        await asyncio.wait_for(
            next_bot_message(fake, person, saved.message_id, following), TIMEOUT_S
        )
        timings.tap.append((time.perf_counter() - tapped) * 1000)
        timings.updates += 2


class Echoing:
    """One person writing to the echo bot."""

    def __init__(self, fake, person) -> None:
        self.fake, self.person = fake, person
        self.count = 0

    async def one_question(self, timings: Timings) -> None:
        self.count += 1
        started = time.perf_counter()
        update = await self.person.send(f"We do this every week ({self.count}).")
        await asyncio.wait_for(
            next_bot_message(self.fake, self.person, update["message"]["message_id"]), TIMEOUT_S
        )
        timings.answer.append((time.perf_counter() - started) * 1000)
        timings.updates += 1


async def closed_loop(people, rounds: int) -> tuple[Timings, float]:
    """Everyone at once, each going on as soon as answered; returns timings and seconds."""
    timings = Timings()

    async def go(someone) -> None:
        for _ in range(rounds):
            await someone.one_question(timings)

    started = time.perf_counter()
    await asyncio.gather(*(go(someone) for someone in people))
    return timings, time.perf_counter() - started


async def paced(people, per_second: float, total: int) -> Timings:
    """`total` answers, one every 1/per_second s, by the people in turn (each waits for its
    previous answer to be through before starting the next)."""
    timings = Timings()
    busy: dict[int, asyncio.Task] = {}
    start = time.perf_counter()
    for index, someone in zip(range(total), itertools.cycle(people), strict=False):
        delay = start + index / per_second - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        previous = busy.get(id(someone))

        async def go(someone=someone, previous=previous) -> None:
            if previous is not None:
                await previous
            await someone.one_question(timings)

        busy[id(someone)] = asyncio.create_task(go())
    await asyncio.gather(*busy.values())
    return timings


# --- a run ----------------------------------------------------------------------------------


@dataclass
class Sample:
    """One mode's results in one run."""

    rate: float  # updates per second, closed loop
    cpu_ms: float  # the bot process's CPU per update, closed loop
    loop_ms: list[float]  # latencies, closed loop
    paced_ms: list[float]
    statements: float | None = None  # per update, closed loop
    commits: float | None = None
    profile: Profile | None = None  # where the bot's CPU went in the closed loop (--profile)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


async def sql_counts(port: int) -> dict:
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"http://127.0.0.1:{port}/healthz") as reply,
    ):
        return (await reply.json())["sql"]


async def bench_echo(args) -> Sample:
    async with FakeTelegram() as fake:
        env = bot_environment(fake, "sqlite+aiosqlite:///:memory:")
        with tempfile.TemporaryDirectory() as workdir:
            echo_bot = str(Path(__file__).with_name("echo_bot.py"))
            async with bot_process(env, echo_bot, cwd=Path(workdir)) as process:
                await first_poll(fake, process.started_at)
                loop_people = [
                    Echoing(fake, fake.person(f"Loop {i}", started=True))
                    for i in range(args.people)
                ]
                await closed_loop(loop_people, 1)  # warm up
                async with maybe_profiling(args, process.pid, "echo") as sampled:
                    cpu = process.cpu_seconds()
                    timings, seconds = await closed_loop(loop_people, args.rounds * 2)
                    cpu = process.cpu_seconds() - cpu
                paced_people = [
                    Echoing(fake, fake.person(f"Paced {i}", started=True))
                    for i in range(args.people)
                ]
                paced_timings = await paced(paced_people, args.pace, args.paced)
        fake.assert_no_rejected_calls()
    return Sample(
        timings.updates / seconds,
        cpu * 1000 / timings.updates,
        timings.all(),
        paced_timings.all(),
        profile=sampled.profile,
    )


async def join_team(fake, count: int, prefix: str, token: str) -> list[Answering]:
    people = [fake.person(f"{prefix} {i}") for i in range(count)]
    for person in people:
        await person.command("/start", token)
    for person in people:
        await asyncio.wait_for(next_bot_message(fake, person, 0, QUESTIONS[0].text), TIMEOUT_S)
    return [Answering(fake, person, 0) for person in people]


async def bench_bot(args, database_url: str) -> Sample:
    await upgrade_to_head_async(database_url)
    health_port = free_port()
    async with FakeTelegram() as fake:
        env = bot_environment(
            fake, database_url, COUNT_SQL_STATEMENTS="1", HEALTH_PORT=str(health_port)
        )
        with tempfile.TemporaryDirectory() as workdir:
            async with bot_process(env, cwd=Path(workdir)) as process:
                await first_poll(fake, process.started_at)
                manager = fake.person("Manager")
                await manager.command("/newteam", f"Bench team {DEFAULT_PACK_ID}")
                created = await manager.wait_for_message(contains="is ready", timeout=TIMEOUT_S)
                token = created.text.split("?start=", 1)[1].split()[0]
                loop_people = await join_team(fake, args.people, "Loop", token)
                paced_people = await join_team(fake, args.people, "Paced", token)
                await closed_loop(loop_people, 1)  # warm up
                await fake.wait_idle(timeout=TIMEOUT_S)
                counts = await sql_counts(health_port)
                async with maybe_profiling(args, process.pid, "bot") as sampled:
                    cpu = process.cpu_seconds()
                    timings, seconds = await closed_loop(loop_people, args.rounds)
                    cpu = process.cpu_seconds() - cpu
                await fake.wait_idle(timeout=TIMEOUT_S)
                after = await sql_counts(health_port)
                paced_timings = await paced(paced_people, args.pace, args.paced)
        fake.assert_no_rejected_calls()
    # The second /healthz read's own SELECT 1 is not the updates'.
    statements = after["statements"] - counts["statements"] - 1
    commits = after["commits"] - counts["commits"]
    return Sample(
        timings.updates / seconds,
        cpu * 1000 / timings.updates,
        timings.all(),
        paced_timings.all(),
        statements / timings.updates,
        commits / timings.updates,
        profile=sampled.profile,
    )


@contextlib.asynccontextmanager
async def maybe_profiling(args, pid: int, name: str):
    """py-spy on the bot's process for the block when asked (--profile, bench/profile.py)."""
    if not args.profile:
        yield Profiling()
        return
    keep = Path(args.profile_samples) / f"{name}.txt" if args.profile_samples else None
    async with profiling(pid, keep) as sampled:
        yield sampled


# --- report ---------------------------------------------------------------------------------


def median(samples: list[Sample], value) -> float:
    values = [value(s) for s in samples]
    return statistics.median(v for v in values if v is not None)


def report(results: dict[str, list[Sample]], backend: str, runs: int, args) -> None:
    print(f"\nmedians of {runs} run(s); bot on {backend}; {args.people} people")
    print(
        f"{'mode':<5} {'updates/s':>9} {'(each run)':>16} {'CPU ms/upd':>10}"
        f" {'loop p50/p95/p99 ms':>20} {'paced p50/p95/p99 ms':>21}"
    )
    for mode, samples in results.items():
        rates = " ".join(f"{s.rate:.0f}" for s in samples)
        loop = "/".join(
            f"{median(samples, lambda s, q=q: percentile(s.loop_ms, q)):.0f}"
            for q in (0.5, 0.95, 0.99)
        )
        paced_ = "/".join(
            f"{median(samples, lambda s, q=q: percentile(s.paced_ms, q)):.0f}"
            for q in (0.5, 0.95, 0.99)
        )
        print(
            f"{mode:<5} {median(samples, lambda s: s.rate):9.1f} {rates:>16}"
            f" {median(samples, lambda s: s.cpu_ms):10.2f} {loop:>20} {paced_:>21}"
        )
    for mode, samples in results.items():
        profiled = [s.profile for s in samples if s.profile is not None]
        if profiled:
            print(f"{mode}: where its CPU went (py-spy, a closed loop): {profiled[-1].line()}")
    if "bot" not in results:
        return
    bot = results["bot"]
    statements = median(bot, lambda s: s.statements)
    commits = median(bot, lambda s: s.commits)
    print(
        f"bot: {statements:.2f} SQL statements and {commits:.2f} commits per update"
        " (typed answers and rating taps alike)"
    )
    p95 = median(bot, lambda s: percentile(s.paced_ms, 0.95))
    print(f"bot paced p95: {p95:.1f} ms (target ≤ {TARGET_P95_MS:.0f} ms: {met(p95 <= 50)})")
    if "echo" not in results:
        return
    echo = results["echo"]
    ratio = median(bot, lambda s: s.rate) / median(echo, lambda s: s.rate)
    target = TARGET_SQLITE if backend == "sqlite" else TARGET_POSTGRES
    cpu_ratio = median(bot, lambda s: s.cpu_ms) / median(echo, lambda s: s.cpu_ms)
    print(
        f"bot / echo: {ratio:.0%} of the updates per second (target ≥ {target:.0%}:"
        f" {met(ratio >= target)}); CPU per update {cpu_ratio:.1f}× the echo bot's"
        f" (target ≤ {TARGET_CPU_RATIO:.0f}×: {met(cpu_ratio <= TARGET_CPU_RATIO)})"
    )


def met(condition: bool) -> str:
    return "met" if condition else "NOT met"


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per mode; medians reported")
    parser.add_argument("--people", type=int, default=50, help="people at once")
    parser.add_argument(
        "--rounds", type=int, default=16, help="questions each person answers, closed loop"
    )
    parser.add_argument("--pace", type=float, default=20.0, help="answers a second, paced")
    parser.add_argument("--paced", type=int, default=200, help="answers in the paced part")
    parser.add_argument("--modes", default="echo,bot", help="comma-separated: echo, bot")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument("--quick", action="store_true", help="one short run (CI)")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample each bot's closed loop with py-spy and say where its CPU went",
    )
    parser.add_argument(
        "--profile-samples",
        default=None,
        help="with --profile: a folder to keep py-spy's samples in (echo.txt, bot.txt)",
    )
    args = parser.parse_args()
    if args.quick:
        args.runs, args.people, args.rounds, args.paced = 1, 10, 2, 20
    # Each paced person answers paced/people questions, each looping one `rounds` + warm-up.
    if args.rounds + 1 >= len(QUESTIONS) or args.paced / args.people + 1 >= len(QUESTIONS):
        parser.error(f"a person has {len(QUESTIONS)} questions: fewer rounds or more people")
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if set(modes) - {"echo", "bot"}:
        parser.error("modes are echo and bot")
    logging.basicConfig(level=logging.WARNING)
    backend = "sqlite" if not args.database_url else make_url(args.database_url).get_backend_name()

    results: dict[str, list[Sample]] = {}
    for run in range(1, args.runs + 1):
        for mode in modes:
            if mode == "bot":
                async with fresh_database(args.database_url) as url:
                    sample = await bench_bot(args, url)
            else:
                sample = await bench_echo(args)
            results.setdefault(mode, []).append(sample)
            extra = (
                f", {sample.statements:.2f} statements, {sample.commits:.2f} commits/update"
                if mode == "bot"
                else ""
            )
            print(
                f"run {run} {mode:<4} {sample.rate:6.1f} updates/s, {sample.cpu_ms:5.2f} CPU ms,"
                f" paced p95 {percentile(sample.paced_ms, 0.95):5.1f} ms{extra}",
                flush=True,
            )
    report(results, backend, args.runs, args)


if __name__ == "__main__":
    asyncio.run(main())
