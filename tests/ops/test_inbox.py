"""The inbox's claims (bot/services/inbox.py): one chat's updates one at a time and in order,
different chats side by side, a dead holder's claims taken over after their lease, a redelivery
a no-op, and a bounded number of statements per update whatever is waiting."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.services.inbox import (
    Received,
    claim_heads,
    dead_updates,
    finish_and_claim_next,
    finish_handled,
    release_claims,
    renew_claims,
    store_received,
    waiting_updates,
)
from bot.services.updates import record_update
from storage.models import InboxUpdate
from storage.types import utcnow

LEASE = timedelta(seconds=15)
CHAT_A, CHAT_B = 111, -100222


def update(update_id: int, chat: int | None) -> Received:
    return Received(update_id, chat, f'{{"update_id": {update_id}}}')


async def handled(db, update_id: int) -> None:
    """What the guard commits when an update's handling succeeds."""
    async with db.sessions() as session:
        await record_update(session, update_id, utcnow())
        await session.commit()


async def claim(db, holder: str, now=None, limit: int = 10) -> list[int]:
    now = now or utcnow()
    async with db.sessions() as session:
        return [r.update_id for r in await claim_heads(session, holder, now, now + LEASE, limit)]


async def test_one_chat_at_a_time_in_order_and_taken_over_after_the_lease(db):
    async with db.sessions() as session:
        await store_received(
            session,
            [update(1, CHAT_A), update(2, CHAT_A), update(3, CHAT_A), update(4, CHAT_B)],
            utcnow(),
        )
        await store_received(session, [update(5, None), update(2, CHAT_A)], utcnow())  # again
        assert await waiting_updates(session) == 5

    assert await claim(db, "x") == [1, 4, 5]  # each chat's oldest; no chat runs alone
    assert await claim(db, "y") == []  # nothing of those chats until they are finished

    await handled(db, 1)
    now = utcnow()
    async with db.sessions() as session:
        following, failed = await finish_and_claim_next(
            session, update(1, CHAT_A), "x", now, now + LEASE
        )
    assert failed is None
    assert following is not None and following.update_id == 2  # the chat's next, for x
    assert await claim(db, "y") == []

    # x dies: after its lease, y takes up what x had claimed, in order.
    assert await claim(db, "y", now=now + LEASE + timedelta(seconds=1)) == [2, 4, 5]
    async with db.sessions() as session:
        await release_claims(session, "y")  # y stops cleanly: anyone may take them at once
    assert await claim(db, "z") == [2, 4, 5]


async def test_handled_updates_are_finished_together_each_chat_going_on(db):
    """PostgreSQL's batch (bot/ops/inbox.py finishes what was handled within 50 ms at once)."""
    if db.backend != "postgresql":
        pytest.skip("SQLite deletes an update in its handling's own commit")
    chat_c = 333
    async with db.sessions() as session:
        await store_received(
            session,
            [update(n, chat) for n, chat in enumerate([CHAT_A, CHAT_B, chat_c] * 2, start=1)],
            utcnow(),
        )
    assert await claim(db, "x") == [1, 2, 3]
    await handled(db, 1)
    await handled(db, 2)  # 3's handling failed: rolled back, nothing recorded

    now = utcnow()
    async with db.sessions() as session:
        deleted, following = await finish_handled(
            session,
            [update(1, CHAT_A), update(2, CHAT_B), update(3, chat_c)],
            [CHAT_A, chat_c],  # B's next is already queued on this instance: not claimed
            "x",
            now,
            now + LEASE,
        )
        assert deleted == {1, 2}  # 3 stays, for a retry
        assert [item.update_id for item in following] == [4]  # A's next, claimed for x
        assert await waiting_updates(session) == 4
    assert await claim(db, "y") == [5]  # B is free and 5 its head; C waits for its 3


async def test_renewing_claims_passes_over_a_row_being_finished_instead_of_waiting(db):
    """Renewal and the batch that deletes handled rows each lock several rows: if the renewal
    waited for the batch's rows while the batch waited for the renewal's, PostgreSQL would end
    one as a deadlock, a second later."""
    if db.backend != "postgresql":
        pytest.skip("SQLite writes one transaction at a time")
    async with db.sessions() as session:
        await store_received(session, [update(1, CHAT_A), update(2, CHAT_B)], utcnow())
    assert await claim(db, "x") == [1, 2]
    later = utcnow() + timedelta(minutes=5)
    async with db.sessions() as finishing:
        await finishing.execute(  # the batch holds update 1's row
            select(InboxUpdate).where(InboxUpdate.update_id == 1).with_for_update()
        )
        async with db.sessions() as session:
            await asyncio.wait_for(renew_claims(session, "x", later), timeout=5)
        await finishing.rollback()
    async with db.sessions() as session:
        until = dict(
            (await session.execute(select(InboxUpdate.update_id, InboxUpdate.claimed_until))).all()
        )
    assert until[2] == later and until[1] < later


async def test_instances_claiming_at_once_never_share_a_chat(db):
    async with db.sessions() as session:
        await store_received(session, [update(n, 1000 + n % 6) for n in range(1, 31)], utcnow())
    claimed = await asyncio.gather(*(claim(db, f"holder{n}", limit=4) for n in range(3)))
    every = [update_id for mine in claimed for update_id in mine]
    assert len(every) == len(set(every))  # nobody claimed what another did
    assert set(every) <= set(range(1, 7))  # only the heads: each chat's first update


async def test_statements_per_update_do_not_grow_with_what_is_waiting(db):
    async def cost(waiting: int) -> int:
        async with db.sessions() as session:
            base = 10_000 * waiting
            await store_received(
                session, [update(base + n, base + n) for n in range(waiting)], utcnow()
            )
        with db.statements.measure() as counted:
            async with db.sessions() as session:
                await store_received(session, [update(base + waiting, 7)], utcnow())
            now = utcnow()
            async with db.sessions() as session:
                (head,) = await claim_heads(session, "x", now, now + LEASE, 1, ())
                await record_update(session, head.update_id, now)  # as the guard does
                await session.commit()  # the handling's commit
            async with db.sessions() as session:
                await finish_and_claim_next(session, head, "x", now, now + LEASE)
            count = counted.count
        async with db.sessions() as session:
            await release_claims(session, "x")
        return count

    # Store 1, claim 2 (3 on PostgreSQL: the chat's lock), the guard's row 1, finish 2 (delete,
    # look for the chat's next; +1 when it is claimed on the way, as in the second round, which
    # claims the update the first left waiting): the same with 1 or 40 others waiting.
    assert await cost(1) <= 8 and await cost(40) <= 8


async def test_a_failed_handling_keeps_the_update_for_a_retry_and_at_last_marks_it_dead(db):
    async with db.sessions() as session:
        await store_received(session, [update(1, CHAT_A), update(2, CHAT_A)], utcnow())
    now = utcnow()
    for attempt in (1, 2, 3):
        later = now + timedelta(seconds=10 * attempt)  # past the pause before each retry
        assert await claim(db, "x", now=later) == [1]  # still the chat's head: order kept
        async with db.sessions() as session:  # handled nothing: no processed_update row
            following, failed = await finish_and_claim_next(
                session, update(1, CHAT_A), "x", later, later + LEASE, max_attempts=3
            )
        assert failed is not None and failed.attempts == attempt
        if attempt < 3:
            assert following is None and not failed.dead
            assert await claim(db, "y", now=later) == []  # not again before its pause
    assert failed.dead and following is not None and following.update_id == 2  # chat goes on
    async with db.sessions() as session:
        assert await dead_updates(session) == [1]  # kept for an operator, never dropped
        assert await waiting_updates(session) == 1


async def test_a_worker_whose_claim_was_taken_over_changes_nothing(db):
    async with db.sessions() as session:
        await store_received(session, [update(1, CHAT_A), update(2, CHAT_A)], utcnow())
    now = utcnow()
    assert await claim(db, "x", now=now) == [1]
    later = now + LEASE + timedelta(seconds=1)  # x starved past its lease: y takes over
    assert await claim(db, "y", now=later) == [1]
    async with db.sessions() as session:  # x's handling failed; it is no longer x's to count
        following, failed = await finish_and_claim_next(
            session, update(1, CHAT_A), "x", later, later + LEASE
        )
    assert following is None and failed is None
    assert await claim(db, "z", now=later) == []  # still y's, and 2 waits behind it

    await handled(db, 1)  # y's handling succeeded (a late x would drop it as a duplicate)
    async with db.sessions() as session:
        following, failed = await finish_and_claim_next(
            session, update(1, CHAT_A), "y", later, later + LEASE
        )
    assert failed is None and following is not None and following.update_id == 2


async def test_an_earlier_update_arriving_late_waits_for_the_later_one_running(db):
    # Telegram posts side by side: update 2 of the chat is stored and claimed before 1 arrives.
    async with db.sessions() as session:
        await store_received(session, [update(2, CHAT_A)], utcnow())
    assert await claim(db, "x") == [2]
    async with db.sessions() as session:
        await store_received(session, [update(1, CHAT_A)], utcnow())
    assert await claim(db, "y") == []  # the chat runs on x: 1 waits, though now its head
    await handled(db, 2)
    now = utcnow()
    async with db.sessions() as session:
        following, _ = await finish_and_claim_next(
            session, update(2, CHAT_A), "x", now, now + LEASE
        )
    assert following is not None and following.update_id == 1


async def test_storing_claims_an_update_for_the_receiver_only_when_its_chat_is_free(db):
    async def store(holder: str, *items: Received) -> list[int]:
        now = utcnow()
        async with db.sessions() as session:
            claimed = await store_received(session, items, now, holder, now + LEASE)
        return [item.update_id for item in claimed]

    # Nothing of chat A waits: x takes 1 at once; x also takes 2, which it runs after 1 itself.
    assert await store("x", update(1, CHAT_A)) == [1]
    assert await store("x", update(2, CHAT_A)) == [2]
    # y must not start chat A beside x: 3 waits in the inbox, unclaimed, behind 1 and 2.
    assert await store("y", update(3, CHAT_A), update(4, CHAT_B), update(5, None)) == [4, 5]
    assert await store("y", update(3, CHAT_A)) == []  # a redelivery: stored once, not claimed
    assert await claim(db, "y") == []  # 3 is not its chat's head
    # Once x is done with 1 and 2, 3 is its chat's head and free: claimed with the finish.
    for done in (1, 2):
        await handled(db, done)
        now = utcnow()
        async with db.sessions() as session:
            following, _ = await finish_and_claim_next(
                session, update(done, CHAT_A), "x", now, now + LEASE, claim_next=done == 2
            )
    assert following is not None and following.update_id == 3
    # x now holds 3: what y receives for chat A waits behind it.
    assert await store("y", update(6, CHAT_A)) == []
