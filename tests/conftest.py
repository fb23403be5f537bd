"""Shared fixtures: real databases (SQLite and PostgreSQL), the fake Bot API, the bot on it."""

from __future__ import annotations

import pytest

from tests.support.botrunner import running_bot
from tests.support.databases import BACKENDS, MigratedTemplates, empty_all_tables, open_database
from tests.support.fake_telegram import FakeTelegram


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
