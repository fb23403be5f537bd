"""Receiving updates into the inbox (bot/ops/inbox.py), confirming each only once it is stored.

Webhook: our own endpoint (tornado, as /healthz) instead of PTB's, whose server answers 200 as
soon as an update is queued in memory. Here the 200 comes after the update's row is committed, so
an instance killed at any instant has confirmed nothing it could lose; a failure to store answers
500 and Telegram delivers the update again. Nothing slow runs before the 200: storing is one
INSERT.

Polling: our own loop instead of PTB's Updater, which confirms a batch (the next getUpdates'
offset) before handling it. Here the offset moves past a batch only after the batch is stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import tornado.netutil
import tornado.web
from telegram import Bot, Update
from telegram.error import InvalidToken, RetryAfter, TelegramError
from tornado.httpserver import HTTPServer

log = logging.getLogger(__name__)

# InboxWorker.store: the updates, and the JSON each came as (webhook) or nothing (polling).
Store = Callable[[Sequence[Update], Sequence[str]], Awaitable[None]]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
POLL_TIMEOUT_SECONDS = 10
RETRY_AFTER_ERROR_SECONDS = 1.0


class _WebhookHandler(tornado.web.RequestHandler):
    def initialize(self, bot: Bot, store: Store, secret: str) -> None:
        self.bot, self.store, self.secret = bot, store, secret

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            self.set_status(403)
            return
        try:
            payload = self.request.body.decode()
            update = Update.de_json(json.loads(payload), self.bot)
        except Exception:
            log.warning("webhook: a body that is no update was refused")
            self.set_status(400)
            return
        try:
            await self.store([update], [payload])
        except Exception as error:
            # Not stored, so not confirmed: Telegram delivers it again.
            log.warning("webhook: update %s not stored: %r", update.update_id, error)
            self.set_status(500)
            return
        self.set_status(200)

    def log_exception(self, typ, value, tb) -> None:
        log.error("webhook request failed", exc_info=(typ, value, tb))


class _QuietApplication(tornado.web.Application):
    def log_request(self, handler: tornado.web.RequestHandler) -> None:
        """Every update is logged once when handled (bot/core/update_log.py), not here too."""


@dataclass
class WebhookServer:
    server: HTTPServer
    port: int

    async def stop(self) -> None:
        """Take no new updates; those being stored finish (their 200 follows the commit)."""
        self.server.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.server.close_all_connections(), timeout=5)


async def start_webhook_server(
    bot: Bot, store: Store, *, listen: str, port: int, path: str, secret: str
) -> WebhookServer:
    application = _QuietApplication(
        [
            (
                rf"/{path.strip('/')}/?",
                _WebhookHandler,
                {"bot": bot, "store": store, "secret": secret},
            )
        ]
    )
    server = HTTPServer(application)
    sockets = tornado.netutil.bind_sockets(port, address=listen, family=socket.AF_INET)
    server.add_sockets(sockets)
    return WebhookServer(server, sockets[0].getsockname()[1])


class PollingReceiver:
    """getUpdates in a loop; the offset that confirms a batch is sent only after it is stored."""

    def __init__(
        self,
        bot: Bot,
        store: Store,
        allowed_updates: list[str],
        *,
        timeout: int = POLL_TIMEOUT_SECONDS,
    ) -> None:
        self.bot, self.store, self.allowed_updates, self.timeout = (
            bot,
            store,
            allowed_updates,
            timeout,
        )
        self._offset: int | None = None
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="polling-receiver")

    async def stop(self) -> None:
        """Stop fetching. The last batch stays unconfirmed: Telegram hands it out again after a
        restart, which the inbox and the processed_update log make a no-op."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                updates = await self.bot.get_updates(
                    offset=self._offset,
                    timeout=self.timeout,
                    allowed_updates=self.allowed_updates,
                    read_timeout=self.timeout + 10,
                )
            except InvalidToken:
                raise
            except RetryAfter as error:
                await asyncio.sleep(
                    float(error.retry_after.total_seconds())
                    if hasattr(error.retry_after, "total_seconds")
                    else float(error.retry_after)
                )
                continue
            except TelegramError as error:
                log.warning("getUpdates failed: %r", error)
                await asyncio.sleep(RETRY_AFTER_ERROR_SECONDS)
                continue
            if not updates:
                continue
            while True:
                try:
                    await self.store(updates, ())
                    break
                except Exception as error:
                    # Not stored: keep the offset, try again (a restart would be handed them).
                    log.warning("could not store %s updates: %r", len(updates), error)
                    await asyncio.sleep(RETRY_AFTER_ERROR_SECONDS)
            self._offset = updates[-1].update_id + 1
