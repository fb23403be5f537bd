"""COUNT_SQL_STATEMENTS: the bot counts its SQL statements and commits and shows them on /healthz,
so a benchmark in another process can read what each update cost the database."""

from __future__ import annotations

import aiohttp

from tests.support.flows import QUESTIONS, start_team
from tests.support.webhook_runner import running_webhook_bot


async def health_of(service) -> dict:
    url = f"http://127.0.0.1:{service.health_port}/healthz"
    async with aiohttp.ClientSession() as client, client.get(url) as reply:
        return await reply.json()


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
        after = (await health_of(service))["sql"]
    # The typed answer's one commit and its statements (the second check's SELECT 1 aside): the
    # guards' record of the update, the person, the round, the answer at least.
    assert after["commits"] - before["commits"] == 1
    assert after["statements"] - before["statements"] - 1 >= 4


async def test_health_shows_no_counts_unless_asked(fake, db):
    async with running_webhook_bot(fake, db.url) as service:
        assert "sql" not in await health_of(service)
