"""Start-up time and memory of `python -m bot`, in a process of its own.

    .venv/bin/python bench/footprint.py            # 3 runs, medians
    .venv/bin/python bench/footprint.py --quick    # 1 run, for CI: it keeps working

The bench process runs the fake Bot API and plays a team; the bot is `python -m bot` on an
already migrated SQLite database with a team of 12 who answered every question. Reported:
seconds from creating the process to its first getUpdates call (start-up to polling); resident
memory once idle; after a manager's /export; after a /heatmap picture in the team's group.
Targets (issue 15): start-up ≤ 2 s, idle ≤ 110 MB, ≤ 40 MB more after an export.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.processes import bot_environment, bot_process, first_poll
from bench.seeding import seed_answered_team
from bot.playground.botapi.fake_telegram import FakeTelegram
from storage.migrate import upgrade_to_head_async
from tests.support.groups import linked_group

TARGET_STARTUP_S = 2.0
TARGET_IDLE_MB = 110.0
TARGET_EXPORT_EXTRA_MB = 40.0
SETTLE_S = 2.0


@dataclass
class Footprint:
    startup_s: float
    idle_mb: float
    after_export_mb: float
    after_chart_mb: float
    worker_mb: float  # the picture worker's processes, still alive after the chart


async def measure_once(members: int) -> Footprint:
    with tempfile.TemporaryDirectory() as workdir:
        url = f"sqlite+aiosqlite:///{workdir}/footprint.db"
        await upgrade_to_head_async(url)
        async with FakeTelegram() as fake:
            seeded = await seed_answered_team(url, fake, members=members)
            manager = seeded.people[seeded.manager]
            env = bot_environment(fake, url)
            async with bot_process(env, cwd=Path(workdir)) as bot:
                startup = await first_poll(fake, bot.started_at)
                await fake.wait_idle(timeout=60, settle=SETTLE_S)
                idle = bot.rss_mb()

                await manager.command("/export")
                for _ in range(4):
                    await manager.wait_for_message(lambda m: m.document is not None, timeout=120)
                await fake.wait_idle(timeout=60, settle=SETTLE_S)
                after_export = bot.rss_mb()

                group = await linked_group(fake, manager)
                await manager.command("/heatmap", chat=group)
                await group.wait_for_message(lambda m: m.photo is not None, timeout=120)
                await fake.wait_idle(timeout=60, settle=SETTLE_S)
                after_chart = bot.rss_mb()
                worker = bot.children_rss_mb()
            fake.assert_no_rejected_calls()
    return Footprint(startup, idle, after_export, after_chart, worker)


def verdict(value: float, target: float) -> str:
    return "met" if value <= target else "NOT met"


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="runs; medians reported")
    parser.add_argument("--members", type=int, default=11, help="members besides the manager")
    parser.add_argument("--quick", action="store_true", help="one run (CI)")
    args = parser.parse_args()
    runs = 1 if args.quick else args.runs
    results = []
    for run in range(1, runs + 1):
        result = await measure_once(args.members)
        results.append(result)
        print(
            f"run {run}: start-up {result.startup_s:.2f} s, idle {result.idle_mb:.0f} MB,"
            f" after /export {result.after_export_mb:.0f} MB,"
            f" after /heatmap {result.after_chart_mb:.0f} MB;"
            f" worker processes {result.worker_mb:.0f} MB",
            flush=True,
        )

    def median(field: str) -> float:
        return statistics.median(getattr(r, field) for r in results)

    startup, idle = median("startup_s"), median("idle_mb")
    export, chart = median("after_export_mb"), median("after_chart_mb")
    print(f"\nmedians of {runs} run(s)")
    print(
        f"start-up to polling: {startup:.2f} s"
        f" (target ≤ {TARGET_STARTUP_S:.0f} s: {verdict(startup, TARGET_STARTUP_S)})"
    )
    print(f"idle RSS: {idle:.0f} MB (target ≤ {TARGET_IDLE_MB:.0f} MB: {verdict(idle, 110)})")
    print(
        f"after /export: {export:.0f} MB, +{export - idle:.0f} MB"
        f" (target ≤ +{TARGET_EXPORT_EXTRA_MB:.0f} MB:"
        f" {verdict(export - idle, TARGET_EXPORT_EXTRA_MB)})"
    )
    print(f"after /heatmap: {chart:.0f} MB, +{chart - idle:.0f} MB")
    print(
        f"picture worker (bot/export/worker.py), alive until idle a minute:"
        f" {median('worker_mb'):.0f} MB"
    )


if __name__ == "__main__":
    asyncio.run(main())
