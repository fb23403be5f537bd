"""COUNT_SQL_STATEMENTS: the bot counts its SQL statements and commits and shows them on /healthz,
so a benchmark in another process can read what each update cost the database."""

from __future__ import annotations

import asyncio

import aiohttp

from tests.support.flows import QUESTIONS, start_team
from tests.support.webhook_runner import running_webhook_bot


async def health_of(service) -> dict:
    url = f"http://127.0.0.1:{service.health_port}/healthz"
    async with aiohttp.ClientSession() as client, client.get(url) as reply:
        return await reply.json()


def inbox_commits(db) -> int:
    return 2 if db.url.startswith("postgresql") else 1


async def counts_once_settled(service, before: dict, commits: int) -> dict:
    """The counts once `commits` more are in (or after a while): on PostgreSQL the inbox row
    goes in a transaction of its own after the reply, which wait_idle does not wait for."""
    for _ in range(50):
        after = (await health_of(service))["sql"]
        if after["commits"] - before["commits"] >= commits:
            return after
        await asyncio.sleep(0.1)
    return after


async def test_health_shows_the_statements_and_commits_of_each_update(fake, db):
    async with running_webhook_bot(fake, db.url, count_sql_statements=True) as service:
        _manager, token = await start_team(fake)
        alice = fake.person("Alice")
        await alice.command("/start", token)
        await alice.wait_for_message(contains=QUESTIONS[0].text)
        await fake.wait_idle()
        before = (await health_of(service))["sql"]

        await alice.send("We review it weekly.")
        await alice.wait_for_message(contains="Saved")
        await fake.wait_idle()
        after = await counts_once_settled(service, before, commits=1 + inbox_commits(db))
    # The typed answer's one commit, and the inbox's around it (bot/ops/inbox.py: storing the
    # update, and on PostgreSQL its removal once the replies are sent); its statements (the
    # second check's SELECT 1 aside): the guards' record of the update, the person, the round,
    # the answer at least.
    assert after["commits"] - before["commits"] == 1 + inbox_commits(db)
    assert after["statements"] - before["statements"] - 1 >= 4


async def test_health_shows_no_counts_unless_asked(fake, db):
    async with running_webhook_bot(fake, db.url) as service:
        assert "sql" not in await health_of(service)
