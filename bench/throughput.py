"""Updates per second and reply latency: the full bot against a bare PTB echo bot.

Both run against the same loopback fake Bot API (bot/playground/botapi/fake_telegram.py) in this
process, so the ratio between them is what matters, not the absolute numbers. The full bot does
all its database work: deduplication, person, team, round, conversation, answer with history,
commit.
Target (the developers' guide): the bot reaches at least 70% of the echo bot's updates per second,
and answers within 50 ms (p95) at a person's pace.

    .venv/bin/python bench/throughput.py                 # SQLite in a temp dir, 3 runs
    .venv/bin/python bench/throughput.py --runs 5 --database-url \\
        postgresql+asyncpg://postgres@127.0.0.1/test

Throughput: N typed answers from P people are queued at once; the clock stops when every reply
arrived. Latency ("a person's pace"): one message at a time, time from sending to the reply.
Each run measures every mode once, in turn, so a busy machine slows them alike; the report gives
the median of the runs, and the ratio of the medians.

Modes: `echo` (PTB's default, one update at a time), `echo-concurrent` (concurrent_updates),
`bot`, and `echo-bot-reply`: the echo bot answering with the bot's reply (its HTML text and
buttons), which shows what the reply's shape costs the fake and PTB, apart from the bot's own
work. The target compares `bot` with the best plain echo mode.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event
from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, ContextTypes, Defaults, MessageHandler, filters

from bot.core.runtime import RUNTIME_KEY
from bot.playground.botapi.fake_telegram import FakeTelegram
from bot.private import question_view
from criteria.loader import DEFAULT_PACK_ID, load_packs
from storage.db import create_engine
from storage.migrate import upgrade_to_head_async
from storage.models import Answer
from tests.support.botrunner import running_bot
from tests.support.databases import empty_all_tables

TARGET_RATIO = 0.70
TARGET_P95_MS = 50.0
ECHO_MODES = ("echo", "echo-concurrent")
ALL_MODES = (*ECHO_MODES, "bot", "echo-bot-reply")
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


class Replies:
    """Counts the bot's sendMessage calls as they arrive, without rescanning every call."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self._seen = 0
        self._count = 0

    def count(self) -> int:
        calls = self.fake.calls
        for call in calls[self._seen :]:
            self._count += call.method == "sendMessage"
        self._seen = len(calls)
        return self._count


@dataclass
class Sample:
    """One mode's results in one run."""

    rate: float
    cpu_ms: float  # CPU per update
    latency_ms: list[float]
    statements: float | None = None  # per update, bot only
    commits: float | None = None

    def p(self, share: float) -> float:
        ordered = sorted(self.latency_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@dataclass
class Results:
    samples: dict[str, list[Sample]] = field(default_factory=dict)

    def add(self, mode: str, sample: Sample) -> None:
        self.samples.setdefault(mode, []).append(sample)

    def median(self, mode: str, value) -> float | None:
        values = [value(s) for s in self.samples.get(mode, [])]
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None


async def measure_throughput(fake: FakeTelegram, people, updates: int) -> tuple[float, float]:
    """Updates per second, and CPU milliseconds per update (this process: bot, fake, bench).

    The CPU time hardly depends on what else the machine runs, so its ratio is the steadier
    comparison on a shared machine; updates per second is what the target names.
    """
    replies = Replies(fake)
    before = replies.count()
    started, cpu_started = time.perf_counter(), time.process_time()
    for index in range(updates):
        await people[index % len(people)].send(f"answer part {index}")
    await fake.wait_until(lambda: replies.count() - before >= updates, timeout=600)
    cpu_ms = (time.process_time() - cpu_started) * 1000 / updates
    return updates / (time.perf_counter() - started), cpu_ms


async def measure_latency(fake: FakeTelegram, person, samples: int) -> list[float]:
    replies = Replies(fake)
    timings = []
    for index in range(samples):
        before = replies.count()
        started = time.perf_counter()
        await person.send(f"paced answer {index}")
        await fake.wait_until(lambda before=before: replies.count() > before, timeout=30)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


# --- the echo bots --------------------------------------------------------------------------


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(update.effective_message.text)


def bot_reply_echo():
    """An echo that answers like the bot does after a typed answer: HTML text and buttons."""
    question = load_packs().get(DEFAULT_PACK_ID).questions()[0]

    async def echo_bot_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        answer = Answer(round_id=1, person_id=1, question_id=question.id, text="x" * 40)
        await update.effective_message.reply_text(
            question_view.saved_text(answer, question, appended=True),
            reply_markup=question_view.saved_keyboard(1, question),
        )

    return echo_bot_reply


async def bench_echo(args, mode: str) -> Sample:
    async with FakeTelegram() as fake:
        builder = (
            Application.builder()
            .token(fake.token)
            .base_url(fake.base_url)
            .base_file_url(fake.base_file_url)
            .concurrent_updates(mode == "echo-concurrent")
        )
        callback = echo
        if mode == "echo-bot-reply":
            builder = builder.defaults(Defaults(parse_mode=ParseMode.HTML))
            callback = bot_reply_echo()
        application = builder.build()
        application.add_handler(MessageHandler(filters.TEXT, callback))
        await application.initialize()
        await application.updater.start_polling(poll_interval=0, timeout=1)
        await application.start()
        try:
            people = [fake.person(f"P{i}") for i in range(args.people)]
            await measure_throughput(fake, people, args.warmup)
            rate, cpu_ms = await measure_throughput(fake, people, args.updates)
            latency = await measure_latency(fake, people[0], args.samples)
        finally:
            await application.updater.stop()
            await application.stop()
            await application.shutdown()
        fake.assert_no_rejected_calls()
    return Sample(rate, cpu_ms, latency)


# --- the bot --------------------------------------------------------------------------------


@dataclass
class StatementCount:
    statements: int = 0
    commits: int = 0

    def on_statement(self, _conn, _cursor, statement, *_args) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            self.statements += 1

    def on_commit(self, _conn) -> None:
        self.commits += 1


async def empty_database(database_url: str) -> None:
    """PostgreSQL keeps the last run's rows; the fake numbers updates from the same start, so
    they would all be dropped as duplicates."""
    await upgrade_to_head_async(database_url)
    engine = create_engine(database_url)
    try:
        await empty_all_tables(engine)
    finally:
        await engine.dispose()


async def bench_bot(args, database_url: str) -> Sample:
    if not database_url.startswith("sqlite"):
        await empty_database(database_url)
    async with FakeTelegram() as fake, running_bot(fake, database_url) as application:
        manager = fake.person("Manager")
        await manager.command("/newteam", f"Bench team {DEFAULT_PACK_ID}")  # the framework too
        created = await manager.wait_for_message(contains="is ready", timeout=30)
        token = created.text.split("?start=", 1)[1].split()[0]
        people = []
        for index in range(args.people):
            person = fake.person(f"Member {index}")
            await person.command("/start", token)
            people.append(person)
        await fake.wait_until(lambda: all(p.messages for p in people), timeout=120)
        await measure_throughput(fake, people, args.warmup)
        # Statements and commits of the measured updates (and of any scheduler job meanwhile).
        engine = application.bot_data[RUNTIME_KEY].engine.sync_engine
        count = StatementCount()
        event.listen(engine, "before_cursor_execute", count.on_statement)
        event.listen(engine, "commit", count.on_commit)
        rate, cpu_ms = await measure_throughput(fake, people, args.updates)
        event.remove(engine, "before_cursor_execute", count.on_statement)
        event.remove(engine, "commit", count.on_commit)
        latency = await measure_latency(fake, people[0], args.samples)
        fake.assert_no_rejected_calls()
    per_update = count.statements / args.updates, count.commits / args.updates
    return Sample(rate, cpu_ms, latency, *per_update)


# --- report ---------------------------------------------------------------------------------


def report(results: Results, backend: str, runs: int) -> None:
    print(f"\nmedians of {runs} run(s); bot on {backend}")
    print(
        f"{'mode':<16} {'updates/s':>9} {'(each run)':>20} {'CPU ms/upd':>10}"
        f" {'p50 ms':>7} {'p95 ms':>7}"
    )
    for mode, samples in results.samples.items():
        rates = " ".join(f"{s.rate:.0f}" for s in samples)
        print(
            f"{mode:<16} {results.median(mode, lambda s: s.rate):9.1f} {rates:>20}"
            f" {results.median(mode, lambda s: s.cpu_ms):10.2f}"
            f" {results.median(mode, lambda s: s.p(0.5)):7.1f}"
            f" {results.median(mode, lambda s: s.p(0.95)):7.1f}"
        )
    if "bot" in results.samples:
        statements = results.median("bot", lambda s: s.statements)
        commits = results.median("bot", lambda s: s.commits)
        print(f"bot: {statements:.1f} SQL statements and {commits:.2f} commits per update")
    echo_rates = {
        m: results.median(m, lambda s: s.rate) for m in ECHO_MODES if m in results.samples
    }
    if not echo_rates or "bot" not in results.samples:
        return
    best = max(echo_rates, key=echo_rates.get)
    bot_rate = results.median("bot", lambda s: s.rate)
    ratio = bot_rate / echo_rates[best]
    p95 = results.median("bot", lambda s: s.p(0.95))
    cpu = {m: results.median(m, lambda s: s.cpu_ms) for m in results.samples}
    print(
        f"\nbot / {best}: {ratio:.0%} of the updates per second"
        f" (target ≥ {TARGET_RATIO:.0%}: {'met' if ratio >= TARGET_RATIO else 'NOT met'});"
        f" by CPU per update: {cpu[best] / cpu['bot']:.0%}"
    )
    print(
        f"bot p95 at a person's pace: {p95:.1f} ms"
        f" (target ≤ {TARGET_P95_MS:.0f} ms: {'met' if p95 <= TARGET_P95_MS else 'NOT met'})"
    )
    if "echo-bot-reply" in results.samples:
        shaped = results.median("echo-bot-reply", lambda s: s.rate)
        print(
            f"echo-bot-reply / {best}: {shaped / echo_rates[best]:.0%} of the updates per second,"
            f" {cpu[best] / cpu['echo-bot-reply']:.0%} by CPU: the most any bot sending this"
            f" reply could reach; bot / echo-bot-reply: {bot_rate / shaped:.0%},"
            f" {cpu['echo-bot-reply'] / cpu['bot']:.0%} by CPU"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per mode; medians reported")
    parser.add_argument("--updates", type=int, default=2000, help="updates per throughput run")
    parser.add_argument("--warmup", type=int, default=200, help="updates before measuring")
    parser.add_argument("--people", type=int, default=50, help="people sending at once")
    parser.add_argument("--samples", type=int, default=200, help="paced messages for latency")
    parser.add_argument(
        "--modes",
        default="echo,echo-concurrent,bot",
        help=f"comma-separated, from {', '.join(ALL_MODES)}",
    )
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    args = parser.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = set(modes) - set(ALL_MODES)
    if unknown:
        parser.error(f"unknown modes: {', '.join(sorted(unknown))}")
    logging.basicConfig(level=logging.WARNING)

    results = Results()
    backend = "sqlite"
    for run in range(1, args.runs + 1):
        for mode in modes:
            if mode == "bot":
                with tempfile.TemporaryDirectory() as workdir:
                    url = args.database_url or f"sqlite+aiosqlite:///{workdir}/bench.db"
                    backend = url.split(":", 1)[0].split("+")[0]
                    sample = await bench_bot(args, url)
            else:
                sample = await bench_echo(args, mode)
            results.add(mode, sample)
            extra = f", {sample.statements:.1f} statements/update" if mode == "bot" else ""
            print(
                f"run {run} {mode:<16} {sample.rate:7.1f} updates/s,"
                f" p95 {sample.p(0.95):5.1f} ms{extra}",
                flush=True,
            )
    report(results, backend, args.runs)


if __name__ == "__main__":
    asyncio.run(main())
