"""A whole organisation in one PostgreSQL database: digests, a large export, long messages,
a reminder run at Telegram's pace. Each part reports its time, peak memory and SQL statements.

    .venv/bin/python bench/scale.py                     # the sizes of issue 15 (takes minutes)
    .venv/bin/python bench/scale.py --quick             # small sizes, for CI: it keeps working
    .venv/bin/python bench/scale.py --database-url postgresql+asyncpg://postgres@127.0.0.1/x

The database is a new one on the server of --database-url, dropped at the end. The rows are
written in bulk (bench/seeding.py: COPY into the models' tables), not through the bot.

1. digests: 1,000 teams × 50 people × 23 answered questions; every team's weekly digest
   composed by the real code path (bot.services.digests.compose_digest and the messages
   bot.scheduled.digest_message makes of it), statements counted per team.
2. export: a 2,000-person team (46,000 answers): the report gathered and every file built
   (bot.export.bundle, in this process so its memory is measured).
3. long messages: /team and /compare of a 500-person team through the fake Bot API: every
   message within 4,096 characters (the fake refuses longer ones) and every member listed once.
4. reminders: a reminder run with the fake's flood limits on (30 messages/s overall, 1/s per
   chat), every person exactly once; the achieved rate projected to 10,000 people
   (target ≤ 1.1 × 333 s).
Peak memory is this process's peak resident memory during the part (VmHWM, reset before it).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select

from bench.seeding import PACK, fresh_database, seed_organisation
from bot.core.render import split_message
from bot.domain.schedule import ScheduleKind
from bot.export.csv_export import build_csv
from bot.export.data import gather_round_report
from bot.export.markdown import build_markdown
from bot.export.pdf import build_pdf
from bot.export.xlsx import build_xlsx
from bot.playground.botapi.fake_telegram import FakeTelegram
from bot.scheduled import jobs
from bot.scheduled.digest_message import digest_blocks
from bot.services.deliveries import DeliveryKind, team_period
from bot.services.digests import compose_digest
from storage.db import create_engine, session_factory
from storage.migrate import upgrade_to_head_async
from storage.models import AssessmentRound, Delivery, GroupLink, Team
from storage.statement_count import count_statements
from tests.support.botrunner import running_bot

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_scale"
TELEGRAM_TEXT_LIMIT = 4096
TELEGRAM_RATE = 30  # messages a second, Telegram's broadcast limit
PROJECTED_PEOPLE = 10_000
TARGET_REMINDER_S = 1.1 * PROJECTED_PEOPLE / TELEGRAM_RATE
PERIOD = "2030-W48-mon"
SLOT = datetime(2030, 11, 25, 10, 0, tzinfo=UTC)
NAME = re.compile(r"\b\w+ \d+ (?:manager|member \d+)\b")
MORE = re.compile(r"and ([\d,]+) more")


@dataclass(frozen=True)
class Sizes:
    teams: int
    team_size: int
    export_people: int
    long_people: int
    reminder_people: int


FULL = Sizes(teams=1000, team_size=50, export_people=2000, long_people=500, reminder_people=1500)
QUICK = Sizes(teams=20, team_size=10, export_people=100, long_people=60, reminder_people=60)


# --- measuring a part -----------------------------------------------------------------------


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak_rss() -> None:
    """Linux: writing 5 to clear_refs resets VmHWM to the current resident size."""
    Path("/proc/self/clear_refs").write_text("5")


@asynccontextmanager
async def part(title: str, engine=None) -> AsyncIterator[dict]:
    """Time, peak memory and statements of the block; the block adds its own lines."""
    count = count_statements(engine) if engine is not None else None
    statements = count.statements if count else 0
    reset_peak_rss()
    notes: dict = {}
    started = time.perf_counter()
    yield notes
    elapsed = time.perf_counter() - started
    line = f"{title}: {elapsed:.1f} s, peak RSS {peak_rss_mb():.0f} MB"
    if count is not None:
        line += f", {count.statements - statements:,} SQL statements"
    print(line, flush=True)
    for key, value in notes.items():
        print(f"    {key}: {value}", flush=True)


# --- the parts ------------------------------------------------------------------------------


async def digests(url: str, sizes: Sizes) -> None:
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        async with part(
            f"seed: {sizes.teams:,} teams × {sizes.team_size} people × 23 answers"
        ) as notes:
            await seed_organisation(url, teams=sizes.teams, members=sizes.team_size - 1)
        async with sessions() as session:
            teams = (await session.execute(select(Team).order_by(Team.id))).scalars().all()
            rounds = {
                r.team_id: r for r in (await session.execute(select(AssessmentRound))).scalars()
            }
        count = count_statements(engine)
        per_team, messages, longest = [], 0, 0
        async with part(f"digests of {len(teams):,} teams", engine) as notes:
            for team in teams:
                before = count.statements
                async with sessions() as session:
                    digest, _recipients = await compose_digest(
                        session, PACK, team, rounds[team.id], date(2030, 11, 29), "2030-W48"
                    )
                parts = split_message(digest_blocks(digest, for_group=False))
                messages += len(parts)
                longest = max(longest, *(len(p) for p in parts))
                per_team.append(count.statements - before)
            notes["statements per team"] = f"{min(per_team)}–{max(per_team)} (the same for all)"
            notes["digest messages"] = f"{messages:,}, the longest {longest:,} characters"
    finally:
        await engine.dispose()


async def export(url: str, sizes: Sizes) -> None:
    people = sizes.export_people
    (team,) = await seed_organisation(
        url, teams=1, members=people - 1, first_user_id=5_000_000_000, name="Export"
    )
    engine = create_engine(url)
    try:
        async with part(f"export: gather a {people:,}-person team's report", engine) as notes:
            async with session_factory(engine)() as session:
                report = await gather_round_report(session, PACK, team.team_id, team.round_id)
            notes["answers"] = f"{len(report.answers):,} of {len(report.members):,} people"
        # Each file on its own, so its time and peak memory are its own (bot.export.bundle
        # builds them one after the other the same way, in the worker process).
        for kind, build in (
            ("XLSX", build_xlsx),
            ("CSV", build_csv),
            ("PDF", build_pdf),
            ("Markdown", build_markdown),
        ):
            async with part(f"export: build the {kind}") as notes:
                data = build(report)
                notes["size"] = f"{len(data) / 1e6:.1f} MB"
    finally:
        await engine.dispose()


def listed_names(messages) -> Counter:
    return Counter(NAME.findall("\n".join(m.text for m in messages)))


async def long_messages(url: str, sizes: Sizes) -> None:
    people = sizes.long_people
    (team,) = await seed_organisation(
        url, teams=1, members=people - 1, first_user_id=6_000_000_000, name="Large"
    )
    async with FakeTelegram() as fake, running_bot(fake, url) as app:
        engine = app.bot_data["runtime"].engine
        manager = fake.person(team.manager, user_id=team.user_ids[team.manager], started=True)
        group = fake.group("Large team chat", members=[manager])
        await group.add_bot(by=manager)
        await fake.wait_idle(timeout=60)
        async with session_factory(engine)() as session:  # linked, as /link would
            await session.execute(
                insert(GroupLink).values(chat_id=group.id, team_id=team.team_id, title="chat")
            )
            await session.commit()
        everyone = Counter(dict.fromkeys(team.person_ids, 1))
        for title, command, chat, listed in (
            ("/team", "/team", None, manager),
            ("/compare", "/compare", group, group),
        ):
            async with part(f"{title} of a {people:,}-person team", engine) as notes:
                before = len(listed.messages)
                await manager.command(command, chat=chat)
                await fake.wait_idle(timeout=120, settle=0.5)
                shown = listed.messages[before:]
                notes["messages"] = (
                    f"{len(shown)}, the longest {max(len(m.text) for m in shown):,} characters"
                    f" (limit {TELEGRAM_TEXT_LIMIT:,}; the fake refuses longer ones)"
                )
                names = listed_names(shown)
                if command == "/team":
                    notes["members listed"] = (
                        f"{len(names):,} of {people:,}, each once: {names == everyone}"
                    )
                else:  # one message by design: the answers that fit, then "… and N more"
                    more = MORE.search(shown[-1].text)
                    counted = len(names) + (int(more.group(1).replace(",", "")) if more else 0)
                    notes["answers shown"] = (
                        f"{len(names):,} and {counted - len(names):,} more,"
                        f" each once: {max(names.values()) == 1 and counted == people}"
                    )
        fake.assert_no_rejected_calls()


async def reminders(url: str, sizes: Sizes) -> None:
    people = sizes.reminder_people
    (team,) = await seed_organisation(
        url,
        teams=1,
        members=people - 1,
        first_user_id=7_000_000_000,
        answered=False,
        name="Remind",
    )
    async with FakeTelegram() as fake, running_bot(fake, url) as app:
        runtime = app.bot_data["runtime"]
        persons = [
            fake.person(name, user_id=user_id, started=True)
            for name, user_id in team.user_ids.items()
        ]
        fake.flood_limit(per_second_total=TELEGRAM_RATE, per_chat_per_second=1)
        async with part(f"reminders to {people:,} people at ≤ 30/s", runtime.engine) as notes:
            started = time.perf_counter()
            outcome = await jobs.run_slot(app, team.team_id, ScheduleKind.REMINDER, PERIOD, SLOT)
            elapsed = time.perf_counter() - started
            sent = outcome.report.sent
            rate = sent / elapsed
            per_person = Counter(
                sum(1 for m in person.messages if "self-assessment" in m.text) for person in persons
            )
            async with runtime.sessions() as session:
                logged = dict(
                    (
                        await session.execute(
                            select(Delivery.status, func.count())
                            .where(
                                Delivery.kind == DeliveryKind.REMINDER,
                                Delivery.period == team_period(team.team_id, PERIOD),
                            )
                            .group_by(Delivery.status)
                        )
                    ).all()
                )
            refusals = Counter(call.error_code for call in fake.clear_rejected_calls())
            projected = PROJECTED_PEOPLE / rate
            notes["sent"] = f"{sent:,} in {elapsed:.1f} s: {rate:.1f} messages/s"
            notes["429s answered by the fake"] = refusals.get(429, 0)
            notes["every person exactly once"] = per_person == Counter({1: people}) and logged == {
                "sent": people
            }
            notes[f"projected to {PROJECTED_PEOPLE:,} people"] = (
                f"{projected:.0f} s (target ≤ {TARGET_REMINDER_S:.0f} s:"
                f" {'met' if projected <= TARGET_REMINDER_S else 'NOT met'})"
            )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL, help="a PostgreSQL server")
    parser.add_argument("--quick", action="store_true", help="small sizes (CI)")
    parser.add_argument(
        "--parts", default="digests,export,long,reminders", help="which parts, comma-separated"
    )
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
    chosen = {p.strip() for p in args.parts.split(",")}
    async with fresh_database(args.database_url) as url:
        await upgrade_to_head_async(url)
        for name, run in (
            ("digests", digests),
            ("export", export),
            ("long", long_messages),
            ("reminders", reminders),
        ):
            if name in chosen:
                await run(url, sizes)


if __name__ == "__main__":
    asyncio.run(main())
