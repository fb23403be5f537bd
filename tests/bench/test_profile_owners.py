"""bench/profile.py gives each py-spy sample to the library that was running: the innermost frame
of a library it knows, the standard library's plumbing passing the sample on to its caller."""

from __future__ import annotations

import pytest

from bench.profile import read_raw

pytestmark = pytest.mark.bench

# py-spy's raw output: a sample's frames, outermost first, then how many times it was seen.
MAIN = "<module> (bot/__main__.py:3)"
SAMPLES = "\n".join(
    [
        f"{MAIN};run (asyncio/runners.py:190);_run_once (asyncio/base_events.py:1922) 7",
        f"{MAIN};save (bot/services/answers.py:40);execute (sqlalchemy/orm/session.py:2300)"
        ";fetch (asyncpg/prepared_stmt.py:176) 5",
        f"{MAIN};save (bot/services/answers.py:40);execute (sqlalchemy/orm/session.py:2300) 4",
        f"{MAIN};send (bot/private/asking.py:80);send (httpx/_client.py:1629)"
        ";__init__ (dataclasses.py:3) 3",
        f"{MAIN};ask (bot/private/asking.py:12);__call__ (typing.py:10) 1",
        # SQLite's C calls, run inline on the event loop, show as the line of ours that calls
        # them; a pool thread waiting for work is idle and left out.
        f"{MAIN};save (bot/services/answers.py:40);_RunAtOnce.put_nowait (storage/db.py:98) 2",
        "Thread.run (threading.py:982);_worker (concurrent/futures/thread.py:81) 50",
    ]
)


def test_each_sample_goes_to_the_innermost_library_it_ran_in(tmp_path):
    raw = tmp_path / "samples.txt"
    raw.write_text(SAMPLES)

    profile = read_raw(raw)

    assert profile.samples == 22
    assert dict(profile.by_owner) == {
        "asyncio event loop": 7,
        "asyncpg": 5,
        "SQLAlchemy": 4,
        "httpx/httpcore/h11": 3,  # dataclasses.py passes its sample to its caller
        "sqlite3": 2,
        "the bot's own code": 1,
    }
    assert profile.line().startswith("asyncio event loop 32%, asyncpg 23%, SQLAlchemy 18%")
