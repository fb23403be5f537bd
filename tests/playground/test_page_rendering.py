"""The page draws what a bot sends as a Telegram app would, and shows refused calls in red.

Here the bot is a plain HTTP client calling the local Bot API directly, so a test can send
exactly the message (or the mistake) it wants to see on the page; the local Bot API and the
page's server run in a thread of their own, beside the synchronous browser.
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest

from bot.playground.server import start_site
from bot.playground.world import PlaygroundBotApi, World
from tests.support.webhook_runner import free_port

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect


@dataclass
class LocalTelegram:
    fake: PlaygroundBotApi
    chat_id: int
    page_url: str

    def call(self, method: str, **params) -> tuple[int, dict]:
        """Call the local Bot API as a bot would; returns the HTTP status and the answer."""
        request = urllib.request.Request(
            f"{self.fake.base_url}{self.fake.token}/{method}",
            data=json.dumps(params).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                return reply.status, json.load(reply)
        except urllib.error.HTTPError as refused:
            return refused.code, json.load(refused)


@pytest.fixture
def local_telegram():
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start():
        fake = PlaygroundBotApi()
        await fake.start()
        world = World(fake, None)
        ana = world.add_person("Ana", started=True)
        port = free_port()
        runner = await start_site(world, "127.0.0.1", port)
        return fake, runner, LocalTelegram(fake, ana.chat_id, f"http://127.0.0.1:{port}")

    fake, runner, telegram = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    yield telegram

    async def stop():
        await runner.cleanup()
        await fake.stop()

    asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


@pytest.fixture
def bare_page(browser):
    context = browser.new_context(viewport={"width": 412, "height": 915})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_formatting_is_drawn_from_telegrams_entities(bare_page, local_telegram, screenshots):
    page = bare_page
    page.goto(local_telegram.page_url)
    status, _ = local_telegram.call(
        "sendMessage",
        chat_id=local_telegram.chat_id,
        parse_mode="HTML",
        text=(
            "<b>bold</b> <i>italic</i> <u>underline</u> <code>code</code> "
            '<a href="https://example.org/">a link</a> <tg-spoiler>secret</tg-spoiler>\n'
            "<blockquote>quoted</blockquote>Tom &amp; Jerry &lt;3"
        ),
        reply_markup={"inline_keyboard": [[{"text": "Tap me", "callback_data": "t:1"}]]},
    )
    assert status == 200
    bubble = page.locator(".bubble.from-bot").last
    expect(bubble.locator("b")).to_have_text("bold")
    expect(bubble.locator("i")).to_have_text("italic")
    expect(bubble.locator("u")).to_have_text("underline")
    expect(bubble.locator("code")).to_have_text("code")
    expect(bubble.locator("a.link")).to_have_attribute("href", "https://example.org/")
    expect(bubble.locator("blockquote")).to_have_text("quoted")
    expect(bubble.locator(".spoiler")).to_have_text("secret")
    expect(bubble).to_contain_text("Tom & Jerry <3")
    expect(page.locator(".inline-button", has_text="Tap me")).to_be_visible()
    page.screenshot(path=str(screenshots / "20-formatting.png"))


def test_a_refused_call_shows_as_a_red_notice_in_telegrams_words(
    bare_page, local_telegram, screenshots
):
    page = bare_page
    page.goto(local_telegram.page_url)
    expect(page.locator("#chat-title")).not_to_be_empty()
    status, answer = local_telegram.call(
        "sendMessage", chat_id=local_telegram.chat_id, parse_mode="HTML", text="<b>never closed"
    )
    assert status == 400
    notice = page.locator(".refusal")
    expect(notice).to_contain_text("sendMessage")
    expect(notice).to_contain_text(answer["description"])
    assert answer["description"].startswith("Bad Request: can't parse entities")
    status, answer = local_telegram.call(
        "sendMessage", chat_id=local_telegram.chat_id, text="x" * 4097
    )
    expect(notice).to_have_count(2)
    expect(notice.last).to_contain_text("Bad Request: message is too long")
    page.screenshot(path=str(screenshots / "21-refused-calls.png"))
