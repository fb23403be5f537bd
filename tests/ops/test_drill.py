"""The kill drill: real `python -m bot` instances killed mid-load lose no confirmed update, handle
none twice, and keep each person's updates in order (bot/ops/inbox.py, bot/ops/receive.py).

Webhook: two instances behind a round-robin proxy, the fake Bot API posting side by side (up to
max_connections); each instance is SIGKILLed once and one is SIGTERMed once, each restarted.
Polling: one instance, SIGKILLed after confirming a batch, restarted. What is counted: every
update Telegram got a confirmation for has its processed_update row, the inbox ends empty, every
answer is stored whole (both of its two quick messages, once each, in the order typed), every
rating tap stored and answered at most once. Each person's steps are in order by construction (a
person waits for the reply before the next step), so a chat handled on two instances at once, or
out of order, shows as a refused or half-stored answer.
"""

from __future__ import annotations

import asyncio
import signal

import pytest
from sqlalchemy import select

from bot.playground.botapi.fake_telegram import FakeTelegram
from bot.services.inbox import dead_updates
from storage.models import Answer, InboxUpdate, ProcessedUpdate
from tests.support.drill import (
    Answering,
    BotProcess,
    RoundRobinProxy,
    bot_environment,
    webhook_environment,
)
from tests.support.schedules import seed_team
from tests.support.webhook_runner import free_port

pytestmark = pytest.mark.slow
PEOPLE = ("Alice", "Bob", "Carol", "Dan", "Erin", "Frank", "Grace", "Heidi")
QUESTIONS_EACH = 4


async def confirmed_at_least(fake: FakeTelegram, count: int) -> None:
    await fake.wait_until(lambda: len(fake.delivered_update_ids) >= count, timeout=60)


async def settled(db, fake: FakeTelegram) -> set[int]:
    """Wait until the inbox is empty; the ids of the handled updates."""

    async def inbox_empty() -> bool:
        async with db.sessions() as session:
            # A dead update (failed every attempt) is kept, not lost: but none may be here.
            dead = await dead_updates(session)
            assert not dead, f"updates that failed every attempt: {dead}"
            return not (await session.execute(select(InboxUpdate.update_id))).first()

    for _ in range(300):
        if await inbox_empty():
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("updates left in the inbox")
    async with db.sessions() as session:
        return set((await session.execute(select(ProcessedUpdate.update_id))).scalars())


async def check_everything_handled_once(db, fake: FakeTelegram, seeded, people) -> None:
    handled = await settled(db, fake)
    lost = fake.delivered_update_ids - handled
    assert not lost, f"{len(lost)} update(s) confirmed to Telegram and never handled: {lost}"
    async with db.sessions() as session:
        answers = list((await session.execute(select(Answer))).scalars())
    for answering in people:
        person_id = seeded.person_ids[answering.person.first_name]
        theirs = {a.question_id: a for a in answers if a.person_id == person_id}
        assert len(theirs) == QUESTIONS_EACH
        for number, answer in enumerate(sorted(theirs.values(), key=lambda a: a.id)):
            first, second = answering.part(number, "first"), answering.part(number, "second")
            # Once each: nothing lost, nothing handled twice, nothing refused by a race. (Sent
            # side by side, the two parts reach the inbox in either order; they are handled in
            # the order they arrived, like Telegram's own parallel webhook delivery allows.)
            assert answer.text.count(first) == answer.text.count(second) == 1, answer.text
        for question_id, level in answering.pressed.items():
            assert theirs[question_id].rating == level
        rated = [a for a in answering.person.callback_answers if "Rated" in (a.text or "")]
        assert len(rated) <= len(answering.pressed)  # no tap answered twice
    # A tap taken over from a killed instance may be answered after Telegram's time for it, which
    # Telegram refuses and the bot takes as expected (bot/core/errors.py); nothing else.
    refused = [c for c in fake.rejected_calls if "query is too old" not in str(c)]
    assert not refused, refused


async def test_two_webhook_instances_killed_mid_load_lose_nothing(db, tmp_path):
    if db.url.startswith("sqlite"):
        pytest.skip("several instances need PostgreSQL")
    async with FakeTelegram() as fake:
        seeded = await seed_team(db, fake, members=PEOPLE)
        ports = [free_port(), free_port()]
        proxy = RoundRobinProxy(ports)
        await proxy.start()
        instances = [
            BotProcess(
                f"bot{n}",
                bot_environment(fake, db.url, **webhook_environment(proxy.port, port)),
                tmp_path,
            )
            for n, port in enumerate(ports)
        ]
        try:
            await asyncio.gather(*(instance.start() for instance in instances))
            people = [Answering(seeded.people[name], QUESTIONS_EACH) for name in PEOPLE]
            load = asyncio.gather(*(answering.run() for answering in people))

            await confirmed_at_least(fake, 25)
            assert await instances[0].kill(signal.SIGKILL) == -signal.SIGKILL
            await instances[0].start()
            await confirmed_at_least(fake, 50)
            assert await instances[1].kill(signal.SIGKILL) == -signal.SIGKILL
            await instances[1].start()
            await confirmed_at_least(fake, 75)
            assert await instances[0].kill(signal.SIGTERM) == 0  # finishes, hands back, exits
            await instances[0].start()

            await load
            await check_everything_handled_once(db, fake, seeded, people)
            # A reply is not sent again when its instance died between the commit and the reply
            # (what it saved is stored, checked above): at most one per person per SIGKILL.
            assert all(answering.unanswered_waits <= 2 for answering in people)
        finally:
            await asyncio.gather(*(instance.stop() for instance in instances))
            await proxy.stop()


async def test_a_polling_instance_killed_mid_batch_loses_nothing(db, tmp_path):
    async with FakeTelegram() as fake:
        seeded = await seed_team(db, fake, members=PEOPLE)
        instance = BotProcess("polling", bot_environment(fake, db.url), tmp_path)
        try:
            await instance.start()
            people = [Answering(seeded.people[name], QUESTIONS_EACH) for name in PEOPLE]
            load = asyncio.gather(*(answering.run() for answering in people))
            await confirmed_at_least(fake, 30)
            assert await instance.kill(signal.SIGKILL) == -signal.SIGKILL
            await instance.start()
            await confirmed_at_least(fake, 60)
            assert await instance.kill(signal.SIGKILL) == -signal.SIGKILL
            await instance.start()
            await load
            await check_everything_handled_once(db, fake, seeded, people)
            # A reply is not sent again when its instance died between the commit and the reply
            # (what it saved is stored, checked above): at most one per person per SIGKILL.
            assert all(answering.unanswered_waits <= 2 for answering in people)
        finally:
            await instance.stop()
