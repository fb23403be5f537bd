"""Operator commands beside the bot itself.

python -m bot run-job reminders|digest --team ID [--now ISO]
    Run a team's reminders or digest now, for the period `now` falls in (reminders: that
    local day, e.g. 2026-W48-tue; digests: that ISO week). It goes through the delivery log
    like a scheduled run, so whatever the log already has is not sent again, and it is safe
    to run while the bot is running. Quiet hours hold here too: inside them nothing is sent
    (exit status 1), and a run reaching them stops; run it again after they end.
python -m bot jobs
    List each team's next scheduled runs, in the team's time and in UTC.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.config import Settings, SettingsError, load_settings
from bot.core.logging_setup import configure_logging
from bot.domain.schedule import ScheduleKind, current_period, next_slot

# A pending claim this old is from a process that died; a younger one may be a running bot's
# send in flight, which this process must not repeat.
ABANDONED_CLAIM_AGE = timedelta(minutes=10)
KINDS = {"reminders": ScheduleKind.REMINDER, "digest": ScheduleKind.DIGEST}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Without arguments: run the bot. With one of these: an operator command.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run_job = commands.add_parser("run-job", help="run a team's reminders or digest now")
    run_job.add_argument("kind", choices=sorted(KINDS))
    run_job.add_argument("--team", type=int, required=True, help="the team's id (see: jobs)")
    run_job.add_argument(
        "--now", type=_moment, default=None, help="act as if it were this ISO time (naive = UTC)"
    )
    commands.add_parser("jobs", help="list the next scheduled runs per team")
    # Listed for --help only: bot/__main__.py hands `playground` to bot/playground/cli.py.
    commands.add_parser("playground", help="try the bot with no Telegram (--help: its options)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        if args.command == "run-job":
            settings.token  # noqa: B018 - fail now, with BotFather's instructions, if missing
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.token if settings.telegram_bot_token else None)
    if args.command == "jobs":
        return asyncio.run(list_jobs(settings))
    return asyncio.run(run_job_now(settings, KINDS[args.kind], args.team, args.now))


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date and time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def run_job_now(
    settings: Settings, kind: ScheduleKind, team_id: int, now: datetime | None
) -> int:
    # Imported here so `--help` and bad arguments answer without loading the bot.
    from bot.app import build_application
    from bot.core.runtime import Runtime
    from bot.scheduled.broadcast import RunRequest
    from bot.scheduled.jobs import RUNNERS
    from bot.services.schedules import team_zone
    from storage.db import create_engine, session_factory
    from storage.migrate import upgrade_to_head_async
    from storage.models import Team
    from storage.types import utcnow

    await upgrade_to_head_async(settings.database_url)
    # The bot exactly as the running one is configured: HTML defaults, the same rate limiter.
    application = build_application(settings)
    engine = create_engine(settings.database_url)
    rt = Runtime(settings, application.bot_data["packs"], engine, session_factory(engine))
    try:
        async with rt.sessions() as session:
            team = await session.get(Team, team_id)
        if team is None:
            print(f"no team with id {team_id}", file=sys.stderr)
            return 1
        now = now or utcnow()
        period = current_period(kind, now, team_zone(team, settings.default_timezone))
        async with application.bot:
            request = RunRequest(team_id, period, now, utcnow() - ABANDONED_CLAIM_AGE)
            outcome = await RUNNERS[kind](rt, application.bot, request)
        print(outcome.summary())
        held_back = outcome.deferred_until is not None
        return 0 if outcome.report.failed == 0 and not held_back else 1
    finally:
        await engine.dispose()


async def list_jobs(settings: Settings) -> int:
    from bot.services.schedules import all_teams, recurrence_of, team_zone
    from storage.db import create_engine, session_factory
    from storage.migrate import upgrade_to_head_async
    from storage.types import utcnow

    await upgrade_to_head_async(settings.database_url)  # as the bot does at start
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            teams = await all_teams(session)
    finally:
        await engine.dispose()
    now = utcnow()
    print(f"{'team':>5}  {'name':<24} {'time zone':<20} {'next reminders':<30} next digest")
    for team in teams:
        zone = team_zone(team, settings.default_timezone)
        runs = []
        for kind in ScheduleKind:
            slot = next_slot(kind, recurrence_of(team, kind, settings.default_timezone), now)
            runs.append(_slot_text(slot.at, ZoneInfo(zone)) if slot else "off")
        print(f"{team.id:>5}  {team.name[:24]:<24} {zone:<20} {runs[0]:<30} {runs[1]}")
    if not teams:
        print("(no teams yet)")
    return 0


def _slot_text(at: datetime, zone: ZoneInfo) -> str:
    return f"{at.astimezone(zone):%a %d %b %H:%M} ({at:%H:%M} UTC)"
