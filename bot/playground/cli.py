"""`python -m bot playground`: the local Bot API, the real bot and the page, in one process.

The bot is built by the same `build_application` and served by the same `running()` as
`python -m bot`; only its Telegram address differs (the local Bot API on a free loopback port).
Its data lives apart from a real deployment's: ./data/playground.db and, beside it, the saved
world (who the people and the group are in the local Telegram).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.core.config import Settings, SettingsError, load_settings
from bot.core.logging_setup import configure_logging
from bot.playground.world import GROUP_ID_BASE, PlaygroundBotApi, World

log = logging.getLogger(__name__)

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/playground.db"
BANNER = """\
  ==========================================================================
  PLAYGROUND: a local, simulated Telegram for trying the bot. NOT FOR
  PRODUCTION: no real Telegram, no real people, data in {database}.
  =========================================================================="""


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot playground",
        description="Try the bot with no Telegram: a local Bot API and a web page where you "
        "play the whole team.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address of the page (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port of the page (8000)")
    parser.add_argument("--demo", action="store_true", help="start with a café team, two rounds")
    parser.add_argument("--fresh", action="store_true", help="forget earlier playground data")
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help=f"where the playground keeps its data ({DEFAULT_DATABASE_URL})",
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        settings = playground_settings(args.database_url)
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.token)
    # The console is the playground's; migrations at every start are not news there.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    started = time.monotonic()
    if args.fresh:
        forget_files(settings.database_url, world_path(settings.database_url))
    try:
        asyncio.run(run(settings, args, started))
    except OSError as error:
        print(f"cannot serve the page on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    return 0


def playground_settings(database_url: str) -> Settings:
    """The production settings, pointed at the local Bot API (its address is set at start);
    a real deployment's token, database and webhook in the environment are left out."""
    from bot.playground.world import BOT_TOKEN

    return load_settings(
        _env_file=None,
        telegram_bot_token=BOT_TOKEN,
        database_url=database_url,
        webhook_url=None,
        health_port=0,
    )


def world_path(database_url: str) -> Path:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        database = Path(url.database)
        return database.with_name(database.stem + ".world.json")
    # One saved world per database, so switching between SQLite and PostgreSQL mixes nothing.
    return Path("data") / f"playground-{url.host or 'local'}-{url.database or 'db'}.world.json"


def forget_files(database_url: str, world_file: Path) -> None:
    """--fresh: the saved world and, on SQLite, the playground's database file, gone."""
    world_file.unlink(missing_ok=True)
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        for suffix in ("", "-wal", "-shm"):
            Path(url.database + suffix).unlink(missing_ok=True)


async def drop_tables(database_url: str) -> None:
    """--fresh on PostgreSQL: every table of the playground's database, gone."""
    from sqlalchemy import text
    from sqlmodel import SQLModel

    import storage.models  # noqa: F401 - the tables to drop
    from storage.db import create_engine

    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(SQLModel.metadata.drop_all)
            await connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        await engine.dispose()


async def prepare_world(
    fake: PlaygroundBotApi, settings: Settings, args: argparse.Namespace, path: Path
) -> World:
    """The saved world, or a new one: the demo team, or three people and a group."""
    from bot.playground.demo import seed_demo
    from criteria.loader import DEFAULT_PACK_ID, load_packs
    from storage.db import create_engine, session_factory
    from storage.migrate import upgrade_to_head_async
    from storage.types import utcnow

    world = World.load(fake, path)
    if world is not None and (world.demo_seeded or not args.demo):
        return world
    if world is not None:
        print("this playground has data already; --demo needs --fresh to start over with it")
        return world
    world = World(fake, path)
    if args.demo:
        await upgrade_to_head_async(settings.database_url)
        engine = create_engine(settings.database_url)
        try:
            async with session_factory(engine)() as session:
                pack = load_packs(settings.criteria_dir).get(DEFAULT_PACK_ID)
                await seed_demo(session, world, pack, settings.default_timezone, utcnow())
                await session.commit()
        finally:
            await engine.dispose()
    else:
        maya = world.add_person("Maya", "en", note="manager")
        ana = world.add_person("Ana", "es")
        ben = world.add_person("Ben", "en")
        group = world.fake.group(
            "Team chat", members=[maya, ana, ben], chat_id=-(GROUP_ID_BASE + 1)
        )
        world.groups[group.chat_id] = group
        # Added the way Telegram does it, so the bot sees it happen (and says hello).
        await group.add_bot(by=maya)
    world.save()
    return world


async def run(settings: Settings, args: argparse.Namespace, started: float) -> None:
    from bot.app import build_application
    from bot.ops.serve import running
    from bot.playground.server import start_site

    path = world_path(settings.database_url)
    if args.fresh and make_url(settings.database_url).get_backend_name() != "sqlite":
        await drop_tables(settings.database_url)
    fake = PlaygroundBotApi()
    await fake.start()
    try:
        # The bot talks to the local Bot API exactly as it would to api.telegram.org.
        settings = settings.model_copy(
            update={
                "telegram_api_base_url": fake.base_url,
                "telegram_api_base_file_url": fake.base_file_url,
            }
        )
        world = await prepare_world(fake, settings, args, path)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        # The page first: a port in use fails before anything else starts.
        site = await start_site(world, args.host, args.port)
        try:
            application = build_application(settings)
            async with running(application, settings, health_address="127.0.0.1"):
                _announce(args, settings, time.monotonic() - started)
                await stop.wait()
                print("stopping the playground…", flush=True)
        finally:
            await site.cleanup()
    finally:
        await fake.stop()
    print("playground stopped", flush=True)


def _announce(args: argparse.Namespace, settings: Settings, seconds: float) -> None:
    host = "127.0.0.1" if args.host in ("0.0.0.0", "") else args.host
    print(BANNER.format(database=settings.database_url), flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"  WARNING: the page listens on {args.host}: anyone who can reach it plays too.")
    print(f"  Playground ready in {seconds:.1f} s: open http://{host}:{args.port}", flush=True)
    print("  Ctrl-C stops it.", flush=True)
