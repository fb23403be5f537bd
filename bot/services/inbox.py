"""The inbox's rows: store received updates, claim a chat's oldest one, finish it, renew, release.

A chat's updates are handled by one instance at a time, in the order they were stored: an
update is claimed as it is stored only when every other row of its chat is claimed by the same
instance (which runs them in order), else it waits, and a waiting row can be claimed only as its
chat's oldest (its head) when no other row of the chat is claimed; the next one becomes the head
when the row before it is deleted, after it was handled. On PostgreSQL `FOR UPDATE SKIP LOCKED`
lets instances claim side by side without waiting on each other's heads; SQLite ignores it (one
instance). Rows of no chat (chat_key NULL) are each their own head.

A row leaves the inbox only once its update is handled: its processed_update row exists. The
worker deletes it when the whole handling (replies too) is done, in finish_and_claim_next, and
claims the chat's next row in the same commit, so no other instance can start that next row while
this one still replies. On SQLite (one instance) the guard deletes it in the update's own
transaction instead, saving a transaction per update: the worker keeps the chat's order in memory.
A handling that failed rolls back, so the row stays and is tried again; after `max_attempts` it
is marked dead (kept, not dropped). All changes to a claimed row are made only while `holder`
still holds it (compare-and-set on claimed_by): a worker whose lease ran out and was taken over
changes nothing.

Claiming a row and storing one claimed (store_received) both read other rows of the chat, which
PostgreSQL's READ COMMITTED cannot make atomic: two instances could each see the chat free at
once (a later update stored and claimed while an earlier one arrives). So both first take the
chat's transaction-scoped advisory lock (storing waits for it, claiming skips a chat whose lock is
taken), and the claiming UPDATE checks the chat again after it: a statement that starts after the
lock sees what the previous holder committed.

On PostgreSQL the two paths every update takes are one round trip each, run without a
transaction around them (autocommit: the statement is its own): storing calls
inbox_store_claimed (migration 0011: the lock, then the INSERT, each statement of the function
seeing what was committed before it started), and finishing a handled update deletes it and
claims the chat's next in one statement (_FINISH_HANDLED), for several updates at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    bindparam,
    case,
    delete,
    event,
    exists,
    func,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, aliased

from storage.models import InboxUpdate, ProcessedUpdate


@dataclass(frozen=True)
class Received:
    """One update as it arrived: its id, the chat it orders by, and its JSON."""

    update_id: int
    chat_key: int | None
    payload: str
    attempts: int = 0  # handlings that failed before


_earlier = aliased(InboxUpdate)
# A dead row no longer holds back its chat: the chat goes on with the updates after it.
_IS_HEAD = ~exists().where(
    _earlier.chat_key == InboxUpdate.chat_key,
    _earlier.update_id < InboxUpdate.update_id,
    _earlier.dead_at.is_(None),
)
_ALIVE = InboxUpdate.dead_at.is_(None)
_COLUMNS = (InboxUpdate.update_id, InboxUpdate.chat_key, InboxUpdate.payload, InboxUpdate.attempts)
# A chat's key is its PostgreSQL advisory lock's key (the migrations' key is far from any chat id).
_TRY_LOCK_CHATS = text(
    "SELECT key FROM unnest(CAST(:keys AS bigint[])) AS key WHERE pg_try_advisory_xact_lock(key)"
)
_COMMIT_CALLBACK = "inbox_when_committed"


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


@dataclass(frozen=True)
class Failed:
    """A handling that failed: the update stays in the inbox, tried again or, at last, dead."""

    update_id: int
    attempts: int
    dead: bool


async def store_received(
    session: AsyncSession,
    received: Sequence[Received],
    now: datetime,
    holder: str | None = None,
    until: datetime | None = None,
) -> list[Received]:
    """Keep the updates until handled, and commit; an update stored before is left as it is.

    With a `holder`, each update is stored claimed for it when nothing of its chat waits that
    another holds or nobody holds (what `holder` has claimed it handles in order itself): those
    are returned, to be handled at once, with no claim in between.
    """
    if not received:
        return []
    postgresql = session.bind.dialect.name == "postgresql"
    if holder is None:
        insert = postgresql_insert if postgresql else sqlite_insert
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
        return []
    if postgresql:
        return await _store_claimed_at_once(session, received, now, holder, until)
    claimed = []
    for item in received:
        stored = await session.execute(
            _STORE_CLAIMED,
            {
                "update_id": item.update_id,
                "chat_key": item.chat_key,
                "payload": item.payload,
                "received_at": now,
                "holder": holder,
                "until": until,
            },
        )
        if stored.scalar_one_or_none() == holder:
            claimed.append(item)
    await session.commit()
    return claimed


def _store_claimed_statement():
    """INSERT ... SELECT: the update, claimed for :holder when its chat is free (see
    store_received); built once, run with each update's parameters. SQLite's: PostgreSQL runs
    the same INSERT inside the inbox_store_claimed function (migration 0011)."""
    table = InboxUpdate.__table__
    other = table.alias("other")
    chat_key = bindparam("chat_key", type_=table.c.chat_key.type)
    holder = bindparam("holder", type_=table.c.claimed_by.type)
    free = or_(
        chat_key.is_(None),
        ~exists().where(
            other.c.chat_key == chat_key,
            other.c.dead_at.is_(None),
            or_(other.c.claimed_by.is_(None), other.c.claimed_by != holder),
        ),
    )
    row = select(
        bindparam("update_id", type_=table.c.update_id.type),
        chat_key,
        bindparam("payload", type_=table.c.payload.type),
        bindparam("received_at", type_=table.c.received_at.type),
        case((free, holder)),
        case((free, bindparam("until", type_=table.c.claimed_until.type))),
    ).where(true())  # SQLite reads ON CONFLICT after a SELECT without WHERE as a join's
    columns = ["update_id", "chat_key", "payload", "received_at", "claimed_by", "claimed_until"]
    return (
        sqlite_insert(table)
        .from_select(columns, row)
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(table.c.claimed_by)
    )


_STORE_CLAIMED = _store_claimed_statement()
_FORGET = delete(InboxUpdate.__table__).where(
    InboxUpdate.__table__.c.update_id == bindparam("update_id")
)


def _finishing_statements():
    """What finishing an update runs every time, built once (in Core, with bound parameters):
    building them per update cost more CPU than running them."""
    table, processed = InboxUpdate.__table__, ProcessedUpdate.__table__
    earlier, other = table.alias("earlier"), table.alias("other")
    now = bindparam("now", type_=table.c.claimed_until.type)
    delete_handled = delete(table).where(
        table.c.update_id == bindparam("done_id"),
        exists().where(processed.c.update_id == bindparam("done_id")),
    )
    next_of_chat = (
        select(table.c.update_id, table.c.chat_key, table.c.payload, table.c.attempts)
        .where(
            table.c.chat_key == bindparam("chat_key", type_=table.c.chat_key.type),
            table.c.dead_at.is_(None),
            or_(table.c.claimed_until.is_(None), table.c.claimed_until < now),  # unclaimed
            ~exists().where(  # the chat's head
                earlier.c.chat_key == table.c.chat_key,
                earlier.c.update_id < table.c.update_id,
                earlier.c.dead_at.is_(None),
            ),
            ~exists().where(  # the chat free
                other.c.chat_key == table.c.chat_key,
                other.c.update_id != table.c.update_id,
                other.c.claimed_by.is_not(None),
                other.c.claimed_until >= now,
                other.c.dead_at.is_(None),
            ),
        )
        .order_by(table.c.update_id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    claim_one = (
        update(table)
        .where(table.c.update_id == bindparam("next_id"))
        .values(
            claimed_by=bindparam("holder", type_=table.c.claimed_by.type),
            claimed_until=bindparam("until", type_=table.c.claimed_until.type),
        )
    )
    return delete_handled, next_of_chat, claim_one


_DELETE_HANDLED, _NEXT_OF_CHAT, _CLAIM_ONE = _finishing_statements()

# PostgreSQL, handled updates: the same DELETE, look for each chat's next and claim of it as
# finish_and_claim_next's, for a batch of updates in one statement run on its own (autocommit):
# one round trip instead of BEGIN, the DELETE, the look, the claim and COMMIT for each. The
# statement's sub-statements share one snapshot, where the deleted rows are still there: they are
# left out of the look by their ids. A chat's next is claimed only when its handled row was
# deleted, and both happen at once. Only a chat's head (no earlier row alive) is looked at, so
# one row a chat at most is claimed.
_FINISH_HANDLED = text(
    """
WITH done AS (
    DELETE FROM inbox_update
    WHERE update_id = ANY(CAST(:done_ids AS bigint[]))
      AND EXISTS (
          SELECT 1 FROM processed_update
          WHERE processed_update.update_id = inbox_update.update_id)
    RETURNING update_id, chat_key
), following AS (
    SELECT candidate.update_id FROM inbox_update AS candidate
    WHERE candidate.chat_key = ANY(CAST(:claim_chats AS bigint[]))
      AND candidate.chat_key IN (SELECT chat_key FROM done)
      AND candidate.update_id NOT IN (SELECT update_id FROM done)
      AND candidate.dead_at IS NULL
      AND (candidate.claimed_until IS NULL OR candidate.claimed_until < :now)
      AND NOT EXISTS (
          SELECT 1 FROM inbox_update AS earlier
          WHERE earlier.chat_key = candidate.chat_key AND earlier.update_id < candidate.update_id
            AND earlier.update_id NOT IN (SELECT update_id FROM done)
            AND earlier.dead_at IS NULL)
      AND NOT EXISTS (
          SELECT 1 FROM inbox_update AS other
          WHERE other.chat_key = candidate.chat_key AND other.update_id <> candidate.update_id
            AND other.update_id NOT IN (SELECT update_id FROM done)
            AND other.claimed_by IS NOT NULL AND other.claimed_until >= :now
            AND other.dead_at IS NULL)
    FOR UPDATE OF candidate SKIP LOCKED
), claimed AS (
    UPDATE inbox_update SET claimed_by = :holder, claimed_until = :until
    FROM following WHERE inbox_update.update_id = following.update_id
    RETURNING inbox_update.update_id, inbox_update.chat_key, inbox_update.payload,
              inbox_update.attempts
)
SELECT true AS deleted, update_id, NULL::bigint AS chat_key, NULL::text AS payload,
       NULL::integer AS attempts
FROM done
UNION ALL
SELECT false, update_id, chat_key, payload, attempts FROM claimed
"""
).bindparams(
    bindparam("now", type_=InboxUpdate.__table__.c.claimed_until.type),
    bindparam("until", type_=InboxUpdate.__table__.c.claimed_until.type),
)


async def finish_handled(
    session: AsyncSession,
    done: Sequence[Received],
    claim_next_of: Sequence[int],
    holder: str,
    now: datetime,
    until: datetime,
) -> tuple[set[int], list[Received]]:
    """PostgreSQL: delete the `done` updates that were handled, and claim the next update of
    each of the chats `claim_next_of` whose handled row went, in one statement of its own (no
    transaction around it, so no commit). Returns the deleted ids and the claimed updates."""
    rows = await _run_alone(
        session,
        _FINISH_HANDLED,
        {
            "done_ids": [item.update_id for item in done],
            "claim_chats": list(claim_next_of),
            "now": now,
            "holder": holder,
            "until": until,
        },
    )
    deleted = {row.update_id for row in rows if row.deleted}
    claimed = [Received(*row[1:]) for row in rows if not row.deleted]
    return deleted, claimed


# PostgreSQL: the chats' advisory locks, then the INSERT of each update as _STORE_CLAIMED's, in
# one call of a function (migration 0011), run on its own (autocommit): one round trip.
_STORE_CLAIMED_AT_ONCE = text(
    "SELECT claimed FROM inbox_store_claimed(CAST(:update_ids AS bigint[]), "
    "CAST(:chat_keys AS bigint[]), CAST(:payloads AS text[]), :received_at, :holder, :until) "
    "AS claimed"
).bindparams(
    bindparam("received_at", type_=InboxUpdate.__table__.c.received_at.type),
    bindparam("until", type_=InboxUpdate.__table__.c.claimed_until.type),
)


async def _store_claimed_at_once(
    session: AsyncSession,
    received: Sequence[Received],
    now: datetime,
    holder: str,
    until: datetime | None,
) -> list[Received]:
    rows = await _run_alone(
        session,
        _STORE_CLAIMED_AT_ONCE,
        {
            "update_ids": [item.update_id for item in received],
            "chat_keys": [item.chat_key for item in received],
            "payloads": [item.payload for item in received],
            "received_at": now,
            "holder": holder,
            "until": until,
        },
    )
    claimed = {row.claimed for row in rows}
    # Committed with the statement: nothing for the session to commit.
    return [item for item in received if item.update_id in claimed]


async def _run_alone(session: AsyncSession, statement, parameters: dict) -> list:
    """PostgreSQL: run one statement on its own, outside a transaction (autocommit: committed
    when it returns, no BEGIN or COMMIT round trips), and return its rows."""
    connection = await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return list((await connection.execute(statement, parameters)).all())


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
    if session.bind.dialect.name == "postgresql" and rows:
        keys = sorted({row.chat_key for row in rows if row.chat_key is not None})
        locked = set()
        if keys:  # a chat another transaction is storing or claiming right now: not this time
            locked = set((await session.execute(_TRY_LOCK_CHATS, {"keys": keys})).scalars())
        rows = [row for row in rows if row.chat_key is None or row.chat_key in locked]
    if not rows:  # nothing to commit: the caller's session ends the read-only transaction
        return []
    # Checked again: this statement sees what was committed until the chats' locks were ours.
    claimed = set(
        (
            await session.execute(
                update(InboxUpdate)
                .where(
                    InboxUpdate.update_id.in_([row.update_id for row in rows]),
                    _IS_HEAD,
                    _chat_free(now),
                )
                .values(claimed_by=holder, claimed_until=until)
                .returning(InboxUpdate.update_id)
            )
        ).scalars()
    )
    await session.commit()
    return [row for row in rows if row.update_id in claimed]


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
    if session.bind.dialect.name == "postgresql":
        claim = [done.chat_key] if claim_next and done.chat_key is not None else []
        deleted, following = await finish_handled(session, [done], claim, holder, now, until)
        if deleted:
            return (following[0] if following else None), None
        # Not handled, or gone already: the general path, in a transaction.
        await session.rollback()
    # Handled (its processed_update row exists, written by anyone): remove it.
    changed = bool((await session.execute(_DELETE_HANDLED, {"done_id": done.update_id})).rowcount)
    failed = None
    if not changed:
        row = (
            await session.execute(
                select(InboxUpdate.attempts, InboxUpdate.claimed_by).where(
                    InboxUpdate.update_id == done.update_id, _ALIVE
                )
            )
        ).first()
        # No row: deleted with its handling (SQLite), or by whoever took it over.
        if row is not None and row.claimed_by == holder:  # the handling failed, rolled back
            attempts = row.attempts + 1
            dead = attempts >= max_attempts
            counted = await session.execute(
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
            if counted.rowcount:  # else taken over meanwhile: no longer ours to count
                failed = Failed(done.update_id, attempts, dead)
                changed = True
    following = None
    if claim_next and done.chat_key is not None and (failed is None or failed.dead):
        row = (
            await session.execute(_NEXT_OF_CHAT, {"chat_key": done.chat_key, "now": now})
        ).first()
        if row is not None:
            following = Received(*row)
            await session.execute(
                _CLAIM_ONE, {"next_id": following.update_id, "holder": holder, "until": until}
            )
            changed = True
    if changed:
        await session.commit()  # else nothing changed: the session's end closes the transaction
    return following, failed


def when_committed(session: AsyncSession, callback) -> None:
    """Call `callback` once the session's current transaction is committed (not if rolled back)."""
    session.info[_COMMIT_CALLBACK] = callback


@event.listens_for(Session, "after_commit")
def _call_when_committed(session: Session) -> None:
    callback = session.info.pop(_COMMIT_CALLBACK, None)
    if callback is not None:
        callback()


@event.listens_for(Session, "after_rollback")
def _forget_when_rolled_back(session: Session) -> None:
    session.info.pop(_COMMIT_CALLBACK, None)


async def forget_received(session: AsyncSession, update_id: int) -> None:
    """Delete a received update in the transaction that handles it (no commit: the caller's).

    Only where one instance runs (SQLite): see the module's docstring."""
    await session.execute(_FORGET, {"update_id": update_id})


async def renew_claims(session: AsyncSession, holder: str, until: datetime) -> None:
    """Extend every claim `holder` still has (it is alive and working on them), and commit.

    A row another statement holds is left as it is: the worker's batch deleting it (it is done)
    or an instance taking over a claim that ran out. Waiting for it instead, while the batch
    waits for a row this renewal holds, is a deadlock (PostgreSQL ends one after a second).
    """
    mine = (
        select(InboxUpdate.update_id)
        .where(InboxUpdate.claimed_by == holder)
        .with_for_update(skip_locked=True)
    )
    await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.update_id.in_(mine.scalar_subquery()))
        .values(claimed_until=until)
    )
    await session.commit()


async def release_claims(
    session: AsyncSession, holder: str, update_ids: Sequence[int] | None = None
) -> None:
    """Hand back what `holder` claimed and did not finish (all, or those updates), for any
    instance to take, and commit."""
    query = update(InboxUpdate).where(InboxUpdate.claimed_by == holder)
    if update_ids is not None:
        query = query.where(InboxUpdate.update_id.in_(update_ids))
    await session.execute(query.values(claimed_by=None, claimed_until=None))
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
