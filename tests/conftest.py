"""Shared fixtures: real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from tests.support.databases import BACKENDS, MigratedTemplates, empty_all_tables, open_database


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
