"""Fixtures of the storage tests."""

from __future__ import annotations

import uuid

import pytest

from tests.support.databases import create_postgres_database, drop_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path):
    """A database with no tables at all, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/empty.db"
        return
    name = f"bot_migration_{uuid.uuid4().hex[:8]}"
    yield create_postgres_database(name)
    drop_postgres_database(name)
