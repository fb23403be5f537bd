"""The inbox's rows: store received updates, claim a chat's oldest one, finish it, renew, release.

A chat's updates are handled in update_id order by one instance at a time because only a chat's
oldest row (its head) can be claimed, and the next one becomes the head only when the row before
it is deleted, which happens after it was handled. On PostgreSQL `FOR UPDATE SKIP LOCKED` lets
instances claim side by side without waiting on each other's heads; SQLite ignores it (one
instance, one claim loop). Rows of no chat (chat_key NULL) are each their own head.

A row leaves the inbox only once its update is handled: its processed_update row exists (the
guard deletes both in the update's own transaction). A handling that failed rolls that back, so
the row stays and is tried again; after `max_attempts` it is marked dead (kept, not dropped). All
changes to a claimed row are made only while `holder` still holds it (compare-and-set on
claimed_by): a worker whose lease ran out and was taken over changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import InboxUpdate, ProcessedUpdate


@dataclass(frozen=True)
class Received:
    """One update as it arrived: its id, the chat it orders by, and its JSON."""

    update_id: int
    chat_key: int | None
    payload: str


_earlier = aliased(InboxUpdate)
# A dead row no longer holds back its chat: the chat goes on with the updates after it.
_IS_HEAD = ~exists().where(
    _earlier.chat_key == InboxUpdate.chat_key,
    _earlier.update_id < InboxUpdate.update_id,
    _earlier.dead_at.is_(None),
)
_ALIVE = InboxUpdate.dead_at.is_(None)
_COLUMNS = (InboxUpdate.update_id, InboxUpdate.chat_key, InboxUpdate.payload)


def _chat_free(now: datetime):
    # No other update of the chat is being handled: with parallel webhook delivery a later
    # update_id can be stored (and claimed) before an earlier one arrives, which then becomes the
    # head while the later one still runs.
    other = aliased(InboxUpdate)
    return ~exists().where(
        other.chat_key == InboxUpdate.chat_key,
        other.update_id != InboxUpdate.update_id,
        other.claimed_by.is_not(None),
        other.claimed_until >= now,
        other.dead_at.is_(None),
    )


def _unclaimed(now: datetime):
    # A failed row waits out its back-off in claimed_until with nobody holding it.
    return or_(InboxUpdate.claimed_until.is_(None), InboxUpdate.claimed_until < now)


def _handled(update_id: int):
    return exists().where(ProcessedUpdate.update_id == update_id)


@dataclass(frozen=True)
class Failed:
    """A handling that failed: the update stays in the inbox, tried again or, at last, dead."""

    update_id: int
    attempts: int
    dead: bool


async def store_received(
    session: AsyncSession, received: Sequence[Received], now: datetime
) -> None:
    """Keep the updates until handled, and commit; an update stored before is left as it is."""
    if not received:
        return
    insert = postgresql_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(InboxUpdate)
        .values(
            [
                {
                    "update_id": item.update_id,
                    "chat_key": item.chat_key,
                    "payload": item.payload,
                    "received_at": now,
                }
                for item in received
            ]
        )
        .on_conflict_do_nothing(index_elements=["update_id"])
    )
    await session.commit()


async def claim_heads(
    session: AsyncSession,
    holder: str,
    now: datetime,
    until: datetime,
    limit: int,
    busy_chats: Sequence[int] = (),
) -> list[Received]:
    """Claim up to `limit` chats' oldest unclaimed updates for `holder`, and commit (if any)."""
    query = (
        select(*_COLUMNS)
        .where(_ALIVE, _unclaimed(now), _IS_HEAD, _chat_free(now))
        .order_by(InboxUpdate.update_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if busy_chats:
        query = query.where(
            or_(InboxUpdate.chat_key.is_(None), InboxUpdate.chat_key.not_in(busy_chats))
        )
    rows = [Received(*row) for row in (await session.execute(query)).all()]
    if rows:  # else nothing to commit: the caller's session ends the read-only transaction
        await session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.update_id.in_([row.update_id for row in rows]))
            .values(claimed_by=holder, claimed_until=until)
        )
        await session.commit()
    return rows


async def finish_and_claim_next(
    session: AsyncSession,
    done: Received,
    holder: str,
    now: datetime,
    until: datetime,
    *,
    claim_next: bool = True,
    max_attempts: int = 5,
    retry_after: timedelta = timedelta(seconds=1),
) -> tuple[Received | None, Failed | None]:
    """After handling `done`: remove it if handled, else count a failed attempt; claim its
    chat's next update (if any, and free) when `done` is out of the way; commit.

    Returns the claimed next update and, when the handling failed, what became of `done`.
    """
    # Usually deleted already, in the update's own transaction (forget_received); not when it
    # was a duplicate or the guard's commit failed. Handled means its processed_update row: by
    # anyone, so whoever holds it may remove it.
    deleted = await session.execute(
        delete(InboxUpdate).where(InboxUpdate.update_id == done.update_id, _handled(done.update_id))
    )
    failed = None
    row = (
        await session.execute(
            select(InboxUpdate.attempts).where(
                InboxUpdate.update_id == done.update_id,
                InboxUpdate.claimed_by == holder,
                _ALIVE,
            )
        )
    ).first()
    if row is not None:  # still ours and not handled: the handling failed and was rolled back
        attempts = row.attempts + 1
        dead = attempts >= max_attempts
        await session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.update_id == done.update_id, InboxUpdate.claimed_by == holder)
            .values(
                attempts=attempts,
                claimed_by=None,
                # Tried again after a pause (nobody may claim it before), longer each time.
                claimed_until=now + retry_after * attempts,
                dead_at=now if dead else None,
            )
        )
        failed = Failed(done.update_id, attempts, dead)
    following = None
    if claim_next and done.chat_key is not None and (failed is None or failed.dead):
        row = (
            await session.execute(
                select(*_COLUMNS)
                .where(
                    InboxUpdate.chat_key == done.chat_key,
                    _ALIVE,
                    _unclaimed(now),
                    _IS_HEAD,
                    _chat_free(now),
                )
                .order_by(InboxUpdate.update_id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
        ).first()
        if row is not None:
            following = Received(*row)
            await session.execute(
                update(InboxUpdate)
                .where(InboxUpdate.update_id == following.update_id)
                .values(claimed_by=holder, claimed_until=until)
            )
    if deleted.rowcount or failed is not None or following is not None:
        await session.commit()  # else nothing changed: the session's end closes the transaction
    return following, failed


async def forget_received(session: AsyncSession, update_id: int) -> None:
    """Delete a received update in the transaction that handles it (no commit: the caller's)."""
    await session.execute(delete(InboxUpdate).where(InboxUpdate.update_id == update_id))


async def renew_claims(session: AsyncSession, holder: str, until: datetime) -> None:
    """Extend every claim `holder` still has (it is alive and working on them), and commit."""
    await session.execute(
        update(InboxUpdate).where(InboxUpdate.claimed_by == holder).values(claimed_until=until)
    )
    await session.commit()


async def release_claims(session: AsyncSession, holder: str) -> None:
    """Hand back what `holder` claimed and did not finish, for any instance to take, and commit."""
    await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.claimed_by == holder)
        .values(claimed_by=None, claimed_until=None)
    )
    await session.commit()


async def waiting_updates(session: AsyncSession) -> int:
    """How many updates are received and not yet handled, dead ones left out (health, tests)."""
    return (
        await session.execute(select(func.count()).select_from(InboxUpdate).where(_ALIVE))
    ).scalar_one()


async def dead_updates(session: AsyncSession) -> list[int]:
    """The update ids that failed every attempt: kept for an operator to look at."""
    query = select(InboxUpdate.update_id).where(~_ALIVE).order_by(InboxUpdate.update_id)
    return list((await session.execute(query)).scalars())
