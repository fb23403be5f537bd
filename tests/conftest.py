"""Shared fixtures: real databases (SQLite and PostgreSQL), the fake Bot API, the bot on it."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from bot.playground.botapi.fake_telegram import FakeTelegram
from tests.support.botrunner import running_bot
from tests.support.databases import BACKENDS, MigratedTemplates, empty_all_tables, open_database


def pytest_addoption(parser):
    parser.addoption(
        "--system-time",
        metavar="ISO-INSTANT",
        help="run the suite with the system clock moved to this instant (and ticking on from "
        "there), to show that no test depends on the time of day or the date: "
        "--system-time 2030-11-25T03:00:00+00:00",
    )


def pytest_configure(config):
    """With --system-time, every clock the suite and the bot read says that moment."""
    moment = config.getoption("--system-time")
    if moment:
        config._time_travel = time_machine.travel(datetime.fromisoformat(moment), tick=True)
        config._time_travel.start()


def pytest_unconfigure(config):
    if getattr(config, "_time_travel", None) is not None:
        config._time_travel.stop()


def pytest_report_header(config):
    moment = config.getoption("--system-time")
    return f"system time moved to {moment}" if moment else None


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory):
    templates = MigratedTemplates(tmp_path_factory.mktemp("db-templates"))
    yield templates
    templates.close()


@pytest.fixture(params=BACKENDS)
async def db(request, migrated_templates, tmp_path):
    """A migrated, empty database on each backend; the test runs once per backend."""
    if request.param == "sqlite":
        database = open_database("sqlite", migrated_templates.sqlite_url(tmp_path))
    else:
        database = open_database("postgresql", migrated_templates.postgres_url())
        await empty_all_tables(database.engine)
    yield database
    await database.dispose()


@pytest.fixture
async def fake():
    """The strict fake Bot API; a test fails if the bot made any call Telegram would reject."""
    async with FakeTelegram() as fake:
        yield fake
        fake.assert_no_rejected_calls()


@pytest.fixture
async def bot(fake, db):
    """The real application, polling the fake, on the test's database."""
    async with running_bot(fake, db.url) as application:
        yield application
