"""The bot's Bot API calls over aiohttp (bot/core/http.py) fail as PTB's own would: a Bot API that
does not answer in time is a TimedOut, one that cannot be reached a NetworkError, so the error
handler and the rate limiter's retries treat them as before; and files go up as multipart."""

from __future__ import annotations

import asyncio
import socket

import pytest
from telegram import Bot
from telegram.error import NetworkError, TimedOut

from bot.core.http import AiohttpRequest


async def test_a_bot_api_that_does_not_answer_in_time_is_a_timeout():
    async def never_answer(reader, writer) -> None:
        await reader.read(1)  # takes the request, never replies
        await asyncio.sleep(3600)

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.post(f"http://127.0.0.1:{port}/bot1:x/getMe", read_timeout=0.2)
    finally:
        await request.shutdown()
        server.close()


async def test_a_bot_api_that_cannot_be_reached_is_a_network_error():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.post(f"http://127.0.0.1:{port}/bot1:x/getMe")
    finally:
        await request.shutdown()


async def test_calls_and_uploads_reach_the_bot_api(fake):
    person = fake.person("Ann", started=True)
    bot = Bot(fake.token, base_url=fake.base_url, request=AiohttpRequest())
    async with bot:
        await bot.send_message(person.chat_id, "plain <b>text</b>", parse_mode="HTML")
        await bot.send_document(person.chat_id, b"a,b\n1,2\n", filename="answers.csv")

    text, document = person.messages[-2:]
    assert text.text == "plain text"
    assert document.document.filename == "answers.csv"
    assert document.document.data == b"a,b\n1,2\n"
