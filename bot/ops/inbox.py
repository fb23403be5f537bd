"""The transactional inbox: confirm an update to Telegram only once it is stored, handle it later.

Receiving (bot/ops/receive.py: the webhook endpoint, the polling loop) writes each raw update to
the inbox_update table in one short transaction and only then confirms it (the webhook's 200, the
next getUpdates offset). When nothing of the update's chat waits in the inbox but what this
instance holds, the same statement claims it for this instance, and it is handed straight to the
chat's task here (after the chat's update running here, if any): no claim in between. Otherwise
it waits for its chat: the instance running the chat claims it when done, or any instance's
claim loop finds it (every LOOK_EVERY_SECONDS: updates left by a dead instance, or by a retry).
So:

- an instance killed at any instant loses nothing it confirmed: its claims run out after
  CLAIM_LEASE and another instance (or itself, restarted) takes them up;
- nothing is handled twice: "handled" is the processed_update row committed in the update's own
  transaction (bot/core/guards.py), so an update re-claimed after its handler committed is
  dropped as a duplicate;
- nothing is dropped unhandled: an update whose handling failed (rolled back: no processed_update
  row) stays in the inbox and is tried again after a pause, up to MAX_ATTEMPTS times; the person
  hears of the failure once, at the last attempt (bot/core/errors.py); then it is marked dead and
  logged as an error, kept for an operator. A worker whose claim was taken over (its lease ran
  out while the process starved) changes nothing: finishing is a compare-and-set on the claim;
- one chat's updates run one at a time, across all instances, different chats side by side. On
  PostgreSQL an update's row stays claimed until its whole handling is over, replies sent, and is
  deleted in the statement that claims the chat's next one (with the rows of the other updates
  handled within FINISH_BATCH_SECONDS): its answer's commit alone does not free the chat. On
  SQLite (one instance) the row goes in the handling's own commit, a transaction less per update,
  and this worker keeps the chat's order in memory.

A worker renews its claims RENEWALS_PER_LEASE times per lease while it lives, so a long update (an
export) is not taken over while it runs, and a few missed renewals (a starved process) do not
lose them either. Leases use the wall clock, not the bot's Clock: they are
about processes being alive, not about the assessment's calendar.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update
from telegram.ext import Application

from bot.core.inbox_handling import InboxHandling, reset_inbox_handling, set_inbox_handling
from bot.core.ordering import ACCEPTED_UPDATES, RUNNING_CHATS, ordering_key
from bot.services.inbox import (
    Failed,
    Received,
    claim_heads,
    finish_and_claim_next,
    finish_handled,
    release_claims,
    renew_claims,
    store_received,
)
from storage.types import utcnow

log = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(seconds=15)  # INBOX_CLAIM_SECONDS in the settings
# Claims are renewed this many times per lease, so several missed or late renewals (a process
# starved of CPU) do not lose them.
RENEWALS_PER_LEASE = 6
# A failing update is tried this many times, RETRY_AFTER_FAILURE longer after each, then dead.
MAX_ATTEMPTS = 5
RETRY_AFTER_FAILURE = timedelta(seconds=1)
# Updates received by another instance, or left by a dead one, are looked for this often; an
# update this instance received wakes it at once.
LOOK_EVERY_SECONDS = 0.5
RETRY_AFTER_ERROR_SECONDS = 1.0
# PostgreSQL: a handled update's row is deleted within this long, with the others handled
# meanwhile, in one statement. Meanwhile it stays claimed by this instance, which goes on with the
# chat's next updates it receives; another instance's wait for the chat grows by as much at most.
FINISH_BATCH_SECONDS = 0.05
KEEP_PARSED = 10_000


def received(update: Update, payload: str | None = None) -> Received:
    """An update as the inbox keeps it: ordered by its chat, the JSON as Telegram sent it."""
    return Received(
        update.update_id, ordering_key(update), payload if payload is not None else update.to_json()
    )


class InboxWorker:
    """Claims and handles inbox updates on this instance until stopped."""

    def __init__(
        self,
        application: Application,
        sessions: async_sessionmaker[AsyncSession],
        holder: str,
        *,
        running_chats: int = RUNNING_CHATS,
        accepted_chats: int = ACCEPTED_UPDATES,
        lease: timedelta = CLAIM_LEASE,
        look_every: float = LOOK_EVERY_SECONDS,
        retry_after: timedelta = RETRY_AFTER_FAILURE,
    ) -> None:
        self.application = application
        self.sessions = sessions
        self.holder = holder
        self.running_chats = running_chats
        self.accepted_chats = accepted_chats
        self.lease = lease
        self.look_every = look_every
        self.retry_after = retry_after
        # One instance only (SQLite): an update leaves the inbox with its handling's commit.
        self.forget_with_handling = sessions.kw["bind"].dialect.name == "sqlite"
        self._wake = asyncio.Event()
        self._stopping = False
        self._chats: dict[int | None, asyncio.Task] = {}
        # Claimed updates of a chat whose task runs here, handed to it in the order received.
        self._queued: dict[int, deque[Received]] = {}
        # Chats that may have unclaimed updates in the inbox: their next is claimed from there.
        self._waiting: set[int] = set()
        # Claimed updates this worker could not finish or hand back (the database was away):
        # handed back at the next renewal instead of renewed.
        self._unfinished: set[int] = set()
        self._tasks: set[asyncio.Task] = set()
        # Handled updates whose rows are deleted in the next batch (_finish_aside), the task
        # that does it, and what tells it not to wait for more (stopping).
        self._to_finish: list[tuple[Received, bool]] = []
        self._finisher: asyncio.Task | None = None
        self._finish_now = asyncio.Event()
        self._loops: list[asyncio.Task] = []
        self._parsed: dict[int, Update] = {}

    async def store(self, updates: Sequence[Update], payloads: Sequence[str] = ()) -> None:
        """Keep received updates (committed when this returns); those of chats with nothing
        else waiting are claimed in the same statement and handled at once.

        `payloads`: the JSON as Telegram sent it (webhook), else each update's own JSON.
        """
        rows = [
            received(update, payloads[n] if payloads else None) for n, update in enumerate(updates)
        ]
        room = not self._stopping and len(self._tasks) < self.accepted_chats
        now = utcnow()
        async with self.sessions() as session:
            claimed = await store_received(
                session, rows, now, self.holder if room else None, now + self.lease
            )
        # Kept parsed, saving a JSON round trip when handled here.
        if len(self._parsed) > KEEP_PARSED:  # those another instance handled are never popped
            self._parsed.clear()
        for update in updates:
            self._parsed[update.update_id] = update
        mine = {item.update_id for item in claimed}
        self._waiting.update(
            row.chat_key for row in rows if row.update_id not in mine and row.chat_key is not None
        )
        for item in claimed:
            self._hand_over(item)
        if not room:
            self._wake.set()

    def start(self) -> None:
        self._loops = [
            asyncio.create_task(self._claim_loop(), name="inbox-claims"),
            asyncio.create_task(self._renew_loop(), name="inbox-renewals"),
        ]

    async def stop(self) -> None:
        """Finish the updates being handled, hand back the rest, stop."""
        self._stopping = True
        self._wake.set()
        for loop in self._loops:
            loop.cancel()
        for loop in self._loops:
            with contextlib.suppress(asyncio.CancelledError):
                await loop
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._finish_now.set()
        if self._finisher is not None:
            await asyncio.gather(self._finisher, return_exceptions=True)
        try:
            async with self.sessions() as session:
                await release_claims(session, self.holder)
        except Exception as error:  # they run out after the lease instead
            log.warning("could not hand back the claimed updates: %r", error)

    async def _claim_loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            free = self.running_chats - len(self._tasks)
            if free > 0:
                try:
                    await self._claim(free)
                except Exception as error:
                    log.warning("could not claim updates: %r", error)
                    await asyncio.sleep(RETRY_AFTER_ERROR_SECONDS)
                    continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.look_every):
                    await self._wake.wait()

    async def look_for_work(self) -> list[int]:
        """One pass of the claim loop, at once: the update ids it claimed (and runs)."""
        heads = await self._claim(max(self.running_chats - len(self._tasks), 0))
        return [head.update_id for head in heads]

    async def _claim(self, free: int) -> list[Received]:
        if not free:
            return []
        now = utcnow()
        busy = [chat for chat in self._chats if chat is not None]
        async with self.sessions() as session:
            heads = await claim_heads(session, self.holder, now, now + self.lease, free, busy)
        for head in heads:
            if head.chat_key is not None:  # left by a restart or a retry: more may wait behind
                self._waiting.add(head.chat_key)
            self._hand_over(head)
        return heads

    def _hand_over(self, item: Received) -> None:
        """Run a claimed update: after the one of its chat running here, if any."""
        key = item.chat_key
        if key is not None and key in self._chats:
            self._queued.setdefault(key, deque()).append(item)
            return
        task = asyncio.create_task(self._run_chat(item), name=f"inbox-chat-{key}")
        self._tasks.add(task)
        if key is not None:
            self._chats[key] = task
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if len(self._tasks) == self.running_chats - 1:
            # The claim loop had no place: it may now. (Not after every update: a claim pass is
            # a transaction, in the way of the next update on SQLite's one connection.)
            self._wake.set()

    async def _run_chat(self, head: Received) -> None:
        """Handle a chat's updates one after another while they keep coming."""
        key = head.chat_key
        current: Received | None = head
        try:
            while current is not None:
                handling = await self._handle(current)
                queued = self._queued.get(key) if key is not None else None
                following = failed = None
                if handling.committed and not self.forget_with_handling:
                    # Handled for sure: its row is deleted (and the chat's next claimed) beside
                    # the chat's next update here, not before it; the row stays claimed by this
                    # instance meanwhile, so no other one starts the chat.
                    self._finish_aside(current, claim_next=not queued)
                elif not handling.committed or (not queued and key in self._waiting):
                    following, failed = await self._finish(current, claim_next=not queued)
                queued = self._queued.get(key) if key is not None else None  # may have grown
                if failed is not None and not failed.dead and queued:
                    # The chat waits for the retry: what came after it is handed back.
                    await self._hand_back([queued.popleft() for _ in range(len(queued))])
                elif following is None and queued and not self._stopping:
                    following = queued.popleft()
                current = following
        finally:
            # Nothing awaited between the last look at the queue and here: an update claimed
            # from now on starts a task of its own.
            if key is not None and self._chats.get(key) is asyncio.current_task():
                del self._chats[key]
                if not self._queued.get(key):
                    self._queued.pop(key, None)

    def _finish_aside(self, current: Received, *, claim_next: bool) -> None:
        """Finish a handled update later, with the others handled meanwhile (PostgreSQL)."""
        self._to_finish.append((current, claim_next))
        if self._finisher is None or self._finisher.done():
            self._finisher = asyncio.create_task(self._finish_batches(), name="inbox-finish")

    async def _finish_batches(self) -> None:
        """Delete the handled updates' rows, FINISH_BATCH_SECONDS' worth in one statement, and
        run the chats' next updates it claims, until none is left to finish."""
        while self._to_finish:
            if not self._stopping:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(FINISH_BATCH_SECONDS):
                        await self._finish_now.wait()
            batch, self._to_finish = self._to_finish, []
            claim = [
                item.chat_key
                for item, claim_next in batch
                if claim_next and item.chat_key is not None and not self._stopping
            ]
            # Stored from here on: marked again, and seen by this claim or the next one.
            self._waiting.difference_update(claim)
            now = utcnow()
            try:
                async with self.sessions() as session:
                    _deleted, following = await finish_handled(
                        session,
                        [item for item, _ in batch],
                        claim,
                        self.holder,
                        now,
                        now + self.lease,
                    )
            except Exception as error:
                # Still in the inbox and ours: handed back at the next renewal, for whoever
                # claims them next to drop as duplicates; their chats wait for them.
                log.warning("could not finish %s handled updates: %r", len(batch), error)
                for item, _ in batch:
                    self._unfinished.add(item.update_id)
                    if item.chat_key is not None:
                        self._waiting.add(item.chat_key)
                continue
            for item in following:
                self._hand_over(item)

    async def _hand_back(self, items: list[Received]) -> None:
        try:
            async with self.sessions() as session:
                await release_claims(session, self.holder, [item.update_id for item in items])
        except Exception as error:  # at the next renewal, then
            log.warning("could not hand back updates: %r", error)
            self._unfinished.update(item.update_id for item in items)

    async def _finish(
        self, current: Received, *, claim_next: bool
    ) -> tuple[Received | None, Failed | None]:
        """Remove a handled update from the inbox, or count its failure; claim the chat's next."""
        claim_next = claim_next and not self._stopping
        if claim_next and current.chat_key is not None:
            # Stored from here on: marked again, and seen by this claim or the next one.
            self._waiting.discard(current.chat_key)
        now = utcnow()
        try:
            async with self.sessions() as session:
                following, failed = await finish_and_claim_next(
                    session,
                    current,
                    self.holder,
                    now,
                    now + self.lease,
                    claim_next=claim_next,
                    max_attempts=MAX_ATTEMPTS,
                    retry_after=self.retry_after,
                )
        except Exception as error:
            # Still in the inbox, handled or not, and still ours: handed back at the next
            # renewal (never renewed), for whoever claims it next to drop as a duplicate or
            # handle; the chat waits for it.
            log.warning("could not finish update %s: %r", current.update_id, error)
            self._unfinished.add(current.update_id)
            if current.chat_key is not None:
                self._waiting.add(current.chat_key)
            return None, Failed(current.update_id, current.attempts, dead=False)
        if failed is not None and failed.dead:
            log.error(
                "update %s failed %s times and is marked dead in the inbox (inbox_update."
                "dead_at): it will not be tried again; its chat goes on",
                failed.update_id,
                failed.attempts,
            )
        elif failed is not None:
            log.warning(
                "update %s was not handled (attempt %s); it stays in the inbox for a retry",
                failed.update_id,
                failed.attempts,
            )
            if current.chat_key is not None:
                self._waiting.add(current.chat_key)  # its retry, and what waits behind it
        return following, failed

    async def _handle(self, item: Received) -> InboxHandling:
        application = self.application
        handling = InboxHandling(
            item.update_id,
            last_attempt=item.attempts + 1 >= MAX_ATTEMPTS,
            forget_with_handling=self.forget_with_handling,
        )
        update = self._parsed.pop(item.update_id, None)
        if update is None:  # received by another instance, or before a restart
            try:
                update = Update.de_json(json.loads(item.payload), application.bot)
            except Exception:
                # Not handled: it stays in the inbox, counted as a failed attempt, dead at last.
                log.exception("update %s could not be read", item.update_id)
                return handling
        token = set_inbox_handling(handling)
        try:
            # As PTB's own fetcher does: the update processor keeps its order and its UpdateWork.
            await application.update_processor.process_update(
                update, application.process_update(update)
            )
        finally:
            reset_inbox_handling(token)
        return handling

    async def _renew_loop(self) -> None:
        while True:
            await asyncio.sleep(self.lease.total_seconds() / RENEWALS_PER_LEASE)
            try:
                async with self.sessions() as session:
                    if self._unfinished:
                        handed_back = list(self._unfinished)
                        await release_claims(session, self.holder, handed_back)
                        self._unfinished.difference_update(handed_back)
                    await renew_claims(session, self.holder, utcnow() + self.lease)
            except Exception as error:  # the claims may run out; another instance takes over
                log.warning("could not renew the claimed updates: %r", error)
