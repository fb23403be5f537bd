"""Updates run concurrently, but one chat's updates run in the order they arrived.

Two messages from one person must not race for the same conversation row; different people
should not wait for each other. Each update runs in an UpdateWork (bot.core.turns): one session and
one transaction from the guards to the turn's commit.

At most RUNNING_CHATS chats are handled at once; an update waiting behind an earlier one of its
own chat does not take a place, so someone sending many messages never holds up the others.
More at once gains nothing: the database has fewer connections (one on SQLite, 20 on PostgreSQL),
and each reply's HTTP connection stays open in the pool, where httpcore looks at every one of
them for every request (bench/README.md: 64 at once cost about a tenth more CPU per update
than 16).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.core.rate_limit import as_reply
from bot.core.turns import in_update_work
from bot.core.update_log import logged_update

RUNNING_CHATS = 16
# Updates taken in at once, most of them waiting for their chat or for a place.
ACCEPTED_UPDATES = 256


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(
        self, max_concurrent_updates: int = ACCEPTED_UPDATES, running_chats: int = RUNNING_CHATS
    ) -> None:
        super().__init__(max_concurrent_updates)
        self._running = asyncio.Semaphore(running_chats)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        self._in_flight += 1
        self._idle.clear()
        try:
            await self._in_chat_order(
                update, as_reply(logged_update(update, in_update_work(coroutine)))
            )
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()

    async def _in_chat_order(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = ordering_key(update)
        if key is None:
            async with self._running:
                await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock, self._running:  # the chat's turn first, then a place
                await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:  # nobody else queued: forget the lock
                del self._waiting[key]
                del self._locks[key]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        # Application.stop() already waits for queued updates; this also covers updates handed
        # to process_update directly, so post_shutdown never closes the database under one.
        await self._idle.wait()


def ordering_key(update: object) -> int | None:
    """The chat whose updates must run one after another (None: this update runs alone)."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None
