"""One update, one transaction: what a typed answer costs the database, whatever the team size.

The duplicate-update record, the access check, the person's state and the answer share one
session and one commit (bot.core.turns), so a crash cannot record the update as handled without its
answer, nor the other way round.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func
from sqlmodel import select
from telegram import Update

from bot.core.ordering import PerChatUpdateProcessor
from storage.models import ProcessedUpdate
from tests.support.botrunner import running_bot
from tests.support.flows import answer_current, join, start_team
from tests.support.update_cost import UpdateCost

# INSERT processed_update, SELECT person with their teams, conversation and when a wait for a
# typed note, reason or theme began (bot.manage.action_notes: none here, so it asks no more),
# SELECT answer (and its attachments), UPDATE answer, INSERT answer_message.
MOST_STATEMENTS_PER_TYPED_ANSWER = 6


@pytest.fixture
async def bot(fake, db):
    """The real application, its inbox claims long: a renewal of them (a statement and a commit
    of no update) then never falls inside what is measured."""
    async with running_bot(fake, db.url, inbox_claim_seconds=300) as application:
        yield application


async def test_a_typed_answer_is_one_transaction_of_a_few_statements(fake, bot, db):
    cost = UpdateCost(bot)
    _manager, token = await start_team(fake)
    sam, _ = await join(fake, "Sam", token)
    await sam.send("We start from what customers tell us.")
    await sam.wait_for_message(contains="Saved")

    statements, commits = await cost.of_typed_message(fake, sam, "Then we write it down.")

    assert commits == 1, statements
    assert len(statements) <= MOST_STATEMENTS_PER_TYPED_ANSWER, "\n".join(statements)
    assert statements[0].lstrip().upper().startswith("INSERT INTO PROCESSED_UPDATE")
    async with db.sessions() as session:
        recorded = await session.execute(select(func.count()).select_from(ProcessedUpdate))
        assert recorded.scalar_one() >= 4  # /newteam, /start, and both answers


async def test_a_typed_answer_costs_the_same_in_a_bigger_team(fake, bot, db):
    cost = UpdateCost(bot)
    _manager, token = await start_team(fake)
    sam, _ = await join(fake, "Sam", token)
    await answer_current(sam, "First answer.")
    await sam.send("Second answer, first part.")
    await sam.wait_for_message(contains="Saved")
    small, _ = await cost.of_typed_message(fake, sam, "More for a team of two.")

    for name in ("Ana", "Ben", "Chen", "Dana", "Eli", "Fay"):
        colleague, _ = await join(fake, name, token)
        await answer_current(colleague, f"{name} answers too.")
    big, commits = await cost.of_typed_message(fake, sam, "More for a team of eight.")

    assert len(big) == len(small), "\n".join(big)
    assert commits == 1


async def test_an_update_waiting_for_its_own_chat_holds_no_place():
    """Someone who sent several messages does not hold up the others while theirs queue."""
    processor = PerChatUpdateProcessor(running_chats=2)
    first_may_finish, other_done = asyncio.Event(), asyncio.Event()
    done: list[str] = []

    async def handle(name: str, wait: asyncio.Event | None = None) -> None:
        if wait is not None:
            await wait.wait()
        done.append(name)
        if name == "other":
            other_done.set()

    busy = private_update(1, chat_id=101)
    queued = [private_update(n, chat_id=101) for n in (2, 3, 4)]
    other = private_update(5, chat_id=202)
    tasks = [asyncio.create_task(processor.process_update(busy, handle("1", first_may_finish)))]
    tasks += [
        asyncio.create_task(processor.process_update(u, handle(str(u.update_id)))) for u in queued
    ]
    tasks.append(asyncio.create_task(processor.process_update(other, handle("other"))))

    await asyncio.wait_for(other_done.wait(), 5)
    assert done == ["other"]  # chat 101's first update still runs, the rest wait their turn
    first_may_finish.set()
    await asyncio.gather(*tasks)
    assert done == ["other", "1", "2", "3", "4"]


def private_update(update_id: int, chat_id: int) -> Update:
    return Update.de_json(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": chat_id, "type": "private"},
                "from": {"id": chat_id, "is_bot": False, "first_name": "P"},
                "text": "hello",
            },
        },
        None,
    )
