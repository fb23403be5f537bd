"""Telegram's flood limits: replies go out at once, broadcasts share ~30 messages a second.

Telegram's overall limit of about 30 messages a second is about bulk notifications. A reply to a
person who just wrote should not queue behind a reminder run, nor behind other people's replies,
so messages sent while handling an update skip the overall limiter; everything else (scheduled
jobs: reminders, digests) shares it. Group chats keep their 20-a-minute limit either way, and
every request is retried after a 429 (RetryAfter).

Every request made while handling an update first commits what the update's guards wrote, unless
a turn carries that transaction on (bot.core.turns): the bot never waits on Telegram while holding
the
database for work it has finished, and nothing is shown before it is committed.

A tap's answer (answerCallbackQuery) only stops the button's spinner, and Telegram refuses it once
the tap is some seconds old: a tap handled late (queued in the inbox while an instance restarted,
or taken over from a dead one) must still do what the person tapped, so that refusal is not an
error of the update (which would roll back its transaction and retry it until it is dead).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from telegram.error import BadRequest
from telegram.ext import AIORateLimiter

from bot.core.turns import settle_update_work

log = logging.getLogger(__name__)

_handling_update: ContextVar[bool] = ContextVar("handling_update", default=False)


@contextmanager
def replying_to_update():
    """Mark the current task as handling a person's update (see module docstring)."""
    token = _handling_update.set(True)
    try:
        yield
    finally:
        _handling_update.reset(token)


async def as_reply(coroutine: Awaitable[Any]) -> Any:
    with replying_to_update():
        return await coroutine


class ReplyAwareRateLimiter(AIORateLimiter):
    """AIORateLimiter whose overall limit applies to broadcasts only."""

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        await settle_update_work()
        try:
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        except BadRequest as error:
            if endpoint != "answerCallbackQuery" or "query is too old" not in str(error).lower():
                raise
            log.info("a late tap's answer refused by Telegram; the tap is handled: %s", error)
            return True

    async def _run_request(self, chat, group, allow_paid_broadcast, callback, args, kwargs):
        # PTB decides `chat` (use the overall limiter) per method; a reply opts out of it.
        if _handling_update.get():
            chat = False
        return await super()._run_request(chat, group, allow_paid_broadcast, callback, args, kwargs)
