"""Updates per second and reply latency: the full bot against a bare PTB echo bot.

Both run against the same loopback fake Bot API (tests/support/fake_telegram.py) in this process,
so the ratio between them is what matters, not the absolute numbers. The full bot does all its
database work: deduplication, person, team, round, conversation, answer with history, commit.

    .venv/bin/python bench/throughput.py                 # SQLite in a temp dir
    .venv/bin/python bench/throughput.py --database-url postgresql+asyncpg://postgres@127.0.0.1/test

Throughput: N typed answers from P people are queued at once; the clock stops when every reply
arrived. Latency ("a person's pace"): one message at a time, time from sending to the reply.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from tests.support.botrunner import running_bot
from tests.support.fake_telegram import FakeTelegram

INVITE = "https://t.me/"


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(update.effective_message.text)


async def run_echo_bot(fake: FakeTelegram, concurrent: bool):
    application = (
        Application.builder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .concurrent_updates(concurrent)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    await application.initialize()
    await application.updater.start_polling(poll_interval=0, timeout=1)
    await application.start()
    return application


async def stop_echo_bot(application) -> None:
    await application.updater.stop()
    await application.stop()
    await application.shutdown()


def replies_so_far(fake: FakeTelegram) -> int:
    return len(fake.calls_to("sendMessage"))


async def measure_throughput(fake: FakeTelegram, people, updates: int) -> float:
    before = replies_so_far(fake)
    started = time.perf_counter()
    for index in range(updates):
        await people[index % len(people)].send(f"answer part {index}")
    await fake.wait_until(lambda: replies_so_far(fake) - before >= updates, timeout=600)
    return updates / (time.perf_counter() - started)


async def measure_latency(fake: FakeTelegram, person, samples: int) -> list[float]:
    timings = []
    for index in range(samples):
        before = replies_so_far(fake)
        started = time.perf_counter()
        await person.send(f"paced answer {index}")
        await fake.wait_until(lambda before=before: replies_so_far(fake) > before, timeout=30)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def bench_echo(args) -> dict:
    results = {}
    for concurrent in (False, True):
        async with FakeTelegram() as fake:
            application = await run_echo_bot(fake, concurrent)
            people = [fake.person(f"P{i}") for i in range(args.people)]
            await measure_throughput(fake, people, min(200, args.updates))  # warm-up
            rate = await measure_throughput(fake, people, args.updates)
            latency = await measure_latency(fake, people[0], args.samples)
            await stop_echo_bot(application)
        results["echo-concurrent" if concurrent else "echo"] = (rate, latency)
    return results


async def bench_bot(args, database_url: str) -> tuple[float, list[float]]:
    async with FakeTelegram() as fake, running_bot(fake, database_url):
        manager = fake.person("Manager")
        await manager.command("/newteam", "Bench team")
        created = await manager.wait_for_message(contains="is ready", timeout=30)
        token = created.text.split("?start=", 1)[1].split()[0]
        people = []
        for index in range(args.people):
            person = fake.person(f"Member {index}")
            await person.command("/start", token)
            people.append(person)
        await fake.wait_until(lambda: all(p.messages for p in people), timeout=120)
        await measure_throughput(fake, people, min(200, args.updates))  # warm-up
        rate = await measure_throughput(fake, people, args.updates)
        latency = await measure_latency(fake, people[0], args.samples)
        fake.assert_no_rejected_calls()
    return rate, latency


def report(name: str, rate: float, latency: list[float]) -> None:
    print(
        f"{name:<18} {rate:8.1f} updates/s   latency p50 {percentile(latency, 0.5):6.1f} ms"
        f"   p95 {percentile(latency, 0.95):6.1f} ms"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    echo_results = await bench_echo(args)
    for name, (rate, latency) in echo_results.items():
        report(name, rate, latency)
    with tempfile.TemporaryDirectory() as workdir:
        database_url = args.database_url or f"sqlite+aiosqlite:///{workdir}/bench.db"
        rate, latency = await bench_bot(args, database_url)
    backend = database_url.split(":", 1)[0]
    report(f"bot ({backend.split('+')[0]})", rate, latency)
    best_echo = max(r for r, _ in echo_results.values())
    print(
        f"bot / best echo: {rate / best_echo:.0%} (target ≥ 70%);"
        f" bot p95 {percentile(latency, 0.95):.1f} ms (target ≤ 50 ms)"
    )


if __name__ == "__main__":
    asyncio.run(main())
