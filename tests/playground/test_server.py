"""The page's server without a browser: refused calls reach the page in Telegram's words, the
live feed announces changes, and the saved world brings the same people back after a restart."""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp

from bot.playground.server import start_site
from bot.playground.world import PlaygroundBotApi, World
from tests.support.webhook_runner import free_port


@contextlib.asynccontextmanager
async def page_server(tmp_path):
    fake = PlaygroundBotApi()
    await fake.start()
    world = World(fake, tmp_path / "world.json")
    port = free_port()
    runner = await start_site(world, "127.0.0.1", port)
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as page:
            yield fake, world, page
    finally:
        await runner.cleanup()
        await fake.stop()


async def test_a_refused_call_reaches_the_page_in_telegrams_words(tmp_path):
    async with page_server(tmp_path) as (fake, world, page):
        ana = world.add_person("Ana", started=True)
        async with aiohttp.ClientSession() as bot:  # any bot: here a plain HTTP client
            sent = await bot.post(
                f"{fake.base_url}{fake.token}/sendMessage",
                json={"chat_id": ana.chat_id, "text": "x" * 4097},
            )
            assert sent.status == 400
        chat = await (await page.get(f"/api/chat?person={ana.id}&chat={ana.chat_id}")).json()
    assert chat["messages"] == []
    [refusal] = chat["refusals"]
    assert refusal["method"] == "sendMessage"
    assert refusal["error_code"] == 400
    assert refusal["description"] == "Bad Request: message is too long"


async def test_the_live_feed_announces_what_a_person_does(tmp_path):
    async with page_server(tmp_path) as (_fake, world, page):
        ben = world.add_person("Ben")
        async with page.get("/api/events") as events:
            assert await events.content.readline() == b"event: change\n"
            await events.content.readline()  # data
            await events.content.readline()  # blank line
            sent = await page.post("/api/send", json={"person": ben.id, "text": "hello\nthere"})
            assert (await sent.json())["delivered"] is True
            line = await asyncio.wait_for(events.content.readline(), 5)
        assert line == b"event: change\n"
        chat = await (await page.get(f"/api/chat?person={ben.id}&chat={ben.chat_id}")).json()
    [message] = chat["messages"]
    assert message["text"] == "hello\nthere"
    assert message["mine"] is True


async def test_the_saved_world_brings_the_same_people_back(tmp_path):
    async with page_server(tmp_path) as (_fake, _world, page):
        added = await (
            await page.post("/api/people", json={"name": "Zoe", "language": "ru"})
        ).json()
    fake = PlaygroundBotApi()
    restored = World.load(fake, tmp_path / "world.json")
    assert restored is not None
    zoe = restored.person(added["id"])
    assert (zoe.first_name, zoe.user["language_code"]) == ("Zoe", "ru")
    # She wrote to the bot before the restart, so the bot may write to her.
    assert zoe.chat.started
