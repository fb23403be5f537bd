"""A strict fake Telegram Bot API server for tests and benchmarks, served over real HTTP.

The bot under test runs the real python-telegram-bot stack pointed at this server::

    async with FakeTelegram() as fake:
        app = (
            Application.builder().token(fake.token)
            .base_url(fake.base_url).base_file_url(fake.base_file_url).build()
        )
        alice = fake.person("Alice", username="alice")
        await alice.command("/start")
        reply = await alice.wait_for_message(contains="Welcome")

Every call is checked against the Bot API specification (bot_api_spec.py) and Telegram's limits
before it changes anything; refusals use Telegram's status codes and wording and are recorded in
`fake.rejected_calls`, so `fake.assert_no_rejected_calls()` at the end of a test proves the bot
never sent anything Telegram would refuse. Simulated people (people.py) produce updates, which
the bot fetches with getUpdates (long polling with Telegram's offset semantics) or receives on
its webhook. Failures can be injected: `fail_next`, `flood_limit`, `slow`, `person.block_bot()`.

Why it is long: it is the server of a whole protocol (routing, long polling, webhook
delivery, files, injected failures, the bookkeeping tests assert on), and each part leans on the
same state; the per-method behaviour already lives in bot_api_methods.py, the checks in
bot_api_spec.py and telegram_html.py, the people in people.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import math
import mimetypes
import socket
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
from aiohttp import web

from bot.playground.botapi.bot_api_methods import BotApiMethods
from bot.playground.botapi.bot_api_spec import ApiError, BotApiSpec, UploadedFile, bad_request
from bot.playground.botapi.fake_state import (
    ApiCall,
    CallbackAnswer,
    CallbackQueryRecord,
    ChatMessage,
    ChatState,
    FloodLimits,
    InjectedFailure,
    PollState,
    QueuedUpdate,
    RejectedCall,
    StoredFile,
    WebhookDelivery,
)
from bot.playground.botapi.people import Group, Person

DEFAULT_TOKEN = "123456789:TEST-FakeTelegramBotToken-abcdefghijk"
#: Update kinds Telegram sends when allowed_updates was never specified.
_NOT_SENT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
    "the webhook first"
)
_CONFLICT_OTHER_POLLER = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running"
)
_FILE_FOLDERS = {
    "photo": "photos",
    "document": "documents",
    "voice": "voice",
    "sticker": "stickers",
    "video": "videos",
    "audio": "music",
}


class _UseWebhookSecret:
    """Sentinel: deliver_to_webhook sends the secret token configured by setWebhook."""

    def __repr__(self) -> str:
        return "USE_WEBHOOK_SECRET"


USE_WEBHOOK_SECRET: Any = _UseWebhookSecret()


class FakeTelegram(BotApiMethods):
    """The fake Bot API server plus the simulated Telegram world behind it."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "BaldrigeTestBot",
        bot_first_name: str = "Baldrige Test Bot",
        spec: BotApiSpec | None = None,
        privacy_mode: bool = True,
        host: str = "127.0.0.1",
    ) -> None:
        self.spec = spec or BotApiSpec.load()
        self.token = token
        self.host = host
        self.port: int | None = None
        #: Privacy mode on (Telegram's default): in groups the bot only gets commands, replies
        #: to its own messages and service messages, unless it is an administrator.
        self.privacy_mode = privacy_mode
        self.bot_user: dict = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": not privacy_mode,
            "supports_inline_queries": False,
        }

        # The world.
        self.users: dict[int, dict] = {}
        self.chats: dict[int, ChatState] = {}
        self.files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self.polls: dict[str, PollState] = {}
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        # Updates the bot has surely received: confirmed by a later getUpdates offset, or
        # accepted by its webhook.
        self.delivered_update_ids: set[int] = set()
        self.commands: dict[tuple[str, str], list[dict]] = {}
        self.menu_buttons: dict[int | None, dict] = {}
        self._people: dict[int, Person] = {}
        self._groups: dict[int, Group] = {}  # every chat id a group ever had

        # What happened.
        self.calls: list[ApiCall] = []
        self.rejected_calls: list[RejectedCall] = []
        self.internal_errors: list[str] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.updates_sent: list[dict] = []
        self.dropped_updates: list[dict] = []
        self.webhook_deliveries: list[WebhookDelivery] = []

        # Updates and delivery.
        self._queue: list[QueuedUpdate] = []
        self._next_update_id = itertools.count(700_000_001)
        self._confirmed_offset = 0
        self._allowed_updates: frozenset[str] = self._default_allowed_updates()
        self._poll_waiter: asyncio.Event | None = None
        self.webhook_url = ""
        self.webhook_secret_token: str | None = None
        self._webhook_max_connections = 40
        self._webhook_last_error: tuple[int, str] | None = None
        self._webhook_failures = 0
        #: How long a webhook POST may take before it counts as failed (Telegram: about a minute).
        self.webhook_timeout = 60.0
        self._webhook_task: asyncio.Task | None = None

        # Failure injection.
        self._failures: list[InjectedFailure] = []
        self._flood_limits: FloodLimits | None = None
        self._flood_wait_until: dict[tuple[str, Any], float] = {}
        self._send_times: deque[float] = deque()
        self._chat_send_times: dict[int, deque[float]] = {}
        self._slow: dict[str, float] = {}

        # Bookkeeping for waits.
        self._seq = 0
        self._ids = itertools.count(1)
        self._changed = asyncio.Event()
        self._in_flight = 0
        self._last_activity = 0.0
        self._last_fetch = 0.0
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> FakeTelegram:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)
        # handler_cancellation: a long poll whose client hung up is cancelled, not left waiting.
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        # Bind port 0 ourselves so the kernel-chosen port is known without aiohttp internals.
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind((self.host, 0))
        self.port = listener.getsockname()[1]
        await web.SockSite(self._runner, listener).start()
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        return self

    async def stop(self) -> None:
        self._closing = True
        self._notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("FakeTelegram is not started; await fake.start() first")
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For Application.builder().base_url(...): PTB appends the token."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    @property
    def bot_username(self) -> str:
        return self.bot_user["username"]

    @property
    def bot_id(self) -> int:
        return self.bot_user["id"]

    # --- the simulated world -------------------------------------------------------------------

    def person(
        self,
        first_name: str,
        *,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str | None = "en",
        started: bool = False,
        user_id: int | None = None,
    ) -> Person:
        """A Telegram user with a private chat with the bot.

        `started=False` mirrors Telegram: the bot cannot message a person before they have
        written to it (403 "bot can't initiate conversation"); any message the person sends to
        the bot, /start included, opens the chat. `user_id` brings back someone known from an
        earlier run (the playground's saved world); by default a new id is taken.
        """
        user: dict[str, Any] = {
            "id": user_id if user_id is not None else 1_000_000_000 + next(self._ids),
            "is_bot": False,
            "first_name": first_name,
        }
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self.users[user["id"]] = user
        chat = ChatState(
            id=user["id"],
            type="private",
            username=username,
            first_name=first_name,
            last_name=last_name,
            bot_status="member",
            bot_was_member=True,
            started=started,
        )
        self.chats[chat.id] = chat
        person = Person(self, user, chat)
        self._people[person.id] = person
        return person

    def person_by_id(self, user_id: int) -> Person:
        return self._people[user_id]

    def group(
        self,
        title: str,
        *,
        supergroup: bool = False,
        username: str | None = None,
        members: tuple[Person, ...] | list[Person] = (),
        chat_id: int | None = None,
    ) -> Group:
        """A group (or supergroup) the bot is not in yet: see Group.add_bot().

        `chat_id` brings back a group known from an earlier run (the playground's saved world).
        """
        chat = self._new_group_chat(
            title, supergroup=supergroup, username=username, chat_id=chat_id
        )
        group = Group(self, chat)
        for member in members:
            group.join_silently(member)
        return group

    def _new_group_chat(
        self, title: str, *, supergroup: bool, username: str | None, chat_id: int | None = None
    ) -> ChatState:
        if chat_id is None:
            number = next(self._ids)
            chat_id = -(1_003_000_000_000 + number) if supergroup else -(4_000_000_000 + number)
        chat = ChatState(
            id=chat_id,
            type="supergroup" if supergroup else "group",
            title=title,
            username=username,
        )
        self.chats[chat.id] = chat
        return chat

    def _register_group(self, group: Group, chat_id: int) -> None:
        self._groups[chat_id] = group

    def _group_of(self, chat_id: int) -> Group | None:
        return self._groups.get(chat_id)

    def chat(self, chat_id: int) -> ChatState:
        return self.chats[chat_id]

    def find_message(self, ref: Any, *, default_chat: ChatState | None = None) -> ChatMessage:
        """The live ChatMessage for a ChatMessage, a message id in `default_chat`, a Message
        dict, an update dict returned by a person action, or a PTB Message."""
        if isinstance(ref, ChatMessage):
            return ref
        chat_id: int | None = default_chat.id if default_chat else None
        message_id: int | None = None
        if isinstance(ref, int):
            message_id = ref
        elif isinstance(ref, dict):
            inner = ref
            for key in ("message", "edited_message", "channel_post"):
                if key in ref:
                    inner = ref[key]
            if "callback_query" in ref:
                inner = ref["callback_query"]["message"]
            chat_id, message_id = inner["chat"]["id"], inner["message_id"]
        elif hasattr(ref, "message_id") and hasattr(ref, "chat_id"):
            chat_id, message_id = ref.chat_id, ref.message_id
        chat = self.chats.get(chat_id) if chat_id is not None else None
        message = chat.messages.get(message_id) if chat and message_id is not None else None
        if message is None:
            raise AssertionError(f"no message {message_id} in chat {chat_id}")
        return message

    def messages_in(self, chat_id: int, *, include_people: bool = False) -> list[ChatMessage]:
        chat = self.chats[chat_id]
        return [m for m in chat.messages.values() if include_people or m.from_bot]

    def file_bytes(self, file_id: str) -> bytes:
        return self.files[file_id].data

    # --- updates -------------------------------------------------------------------------------

    def _default_allowed_updates(self) -> frozenset[str]:
        kinds = set(self.spec.types["Update"].fields) - {"update_id"}
        return frozenset(kinds - _NOT_SENT_BY_DEFAULT)

    def send_update(self, update: dict, *, validate: bool = True) -> dict | None:
        """Deliver an arbitrary update.

        Without "update_id" a fresh id is assigned. With one, it is kept: sending an update a
        second time delivers it again, like Telegram redelivering an unconfirmed update.
        Returns the queued update, or None when the bot's allowed_updates filter drops it.
        """
        return self._enqueue_update(copy.deepcopy(update), validate=validate)

    def _enqueue_update(self, update: dict, *, validate: bool = True) -> dict | None:
        redelivery = False
        if "update_id" not in update:
            update = {"update_id": next(self._next_update_id), **update}
        else:
            redelivery = update["update_id"] < self._confirmed_offset
        kinds = [key for key in update if key != "update_id"]
        if len(kinds) != 1:
            raise ValueError(f"an update carries exactly one object, got {kinds}")
        if validate:
            self.spec.validate_object("Update", update)
        if kinds[0] not in self._allowed_updates:
            # Telegram does not even store updates the bot did not ask for.
            self.dropped_updates.append(update)
            return None
        self._queue.append(QueuedUpdate(update, redelivery=redelivery))
        self.updates_sent.append(update)
        self._notify()
        return copy.deepcopy(update)  # the caller may change it; the queued one stays intact

    def _bot_receives_group_message(self, chat: ChatState, message: dict) -> bool:
        """Telegram's privacy mode: which group messages reach the bot."""
        if chat.is_private:
            return True
        if chat.bot_status not in ("member", "administrator"):
            return False
        if not self.privacy_mode or chat.bot_status == "administrator":
            return True
        if "text" not in message and "caption" not in message and "poll" not in message:
            return True  # service messages (members joined, migrated, ...) always arrive
        text = message.get("text") or ""
        for entity in message.get("entities", []):
            if entity["type"] == "bot_command" and entity["offset"] == 0:
                command = text[: entity["length"]]
                _, _, addressee = command.partition("@")
                if not addressee or addressee.lower() == self.bot_user["username"].lower():
                    return True
        replied = message.get("reply_to_message")
        return bool(replied and replied.get("from", {}).get("id") == self.bot_user["id"])

    def _set_allowed_updates(self, allowed: list[str] | None) -> None:
        if allowed is None:
            return
        self._allowed_updates = frozenset(allowed) if allowed else self._default_allowed_updates()

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            # Confirmed by the bot's next getUpdates: received, so it will be handled.
            self.delivered_update_ids.update(
                entry.update_id
                for entry in self._queue
                if entry.fetched and entry.update_id < offset
            )
            self._queue = [
                entry
                for entry in self._queue
                if entry.update_id >= offset or (entry.redelivery and not entry.fetched)
            ]
            self._confirmed_offset = max(self._confirmed_offset, offset)
        elif offset < 0:
            # "-N": keep only the last N updates, forget everything before.
            self._queue = self._queue[offset:]
            if self._queue:
                self._confirmed_offset = max(self._confirmed_offset, self._queue[0].update_id)

    async def _get_updates(self, params: dict) -> list[dict]:
        if self.webhook_url:
            raise ApiError(409, _CONFLICT_WEBHOOK, kind="conflict")
        # Only one getUpdates may wait at a time: a newer one terminates the older.
        if self._poll_waiter is not None:
            self._poll_waiter.set()
            self._notify()
        terminated = asyncio.Event()
        self._poll_waiter = terminated
        try:
            self._set_allowed_updates(params.get("allowed_updates"))
            if params.get("offset") is not None:
                self._confirm(params["offset"])
            limit = params.get("limit", 100)
            limit = 100 if limit <= 0 or limit > 100 else limit
            deadline = time.monotonic() + max(params.get("timeout", 0), 0)
            while True:
                batch = self._queue[:limit]
                if batch or self._closing or time.monotonic() >= deadline:
                    break
                await self._wait_changed(deadline - time.monotonic())
                if terminated.is_set():
                    # Let a client that already hung up be noticed (and this call dropped).
                    await asyncio.sleep(0.05)
                    raise ApiError(409, _CONFLICT_OTHER_POLLER, kind="conflict")
            for entry in batch:
                entry.fetched = True
            if batch:
                self._last_fetch = time.monotonic()
            return [copy.deepcopy(entry.update) for entry in batch]
        finally:
            if self._poll_waiter is terminated:
                self._poll_waiter = None

    # --- webhook -------------------------------------------------------------------------------

    async def _set_webhook(self, params: dict) -> bool:
        url = params["url"]
        if not url:
            return await self._delete_webhook(params)
        local = url.startswith(("http://127.0.0.1", "http://localhost"))
        if not url.startswith("https://") and not local:
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if params.get("drop_pending_updates"):
            self._queue.clear()
        self._set_allowed_updates(params.get("allowed_updates"))
        self.webhook_url = url
        self.webhook_secret_token = params.get("secret_token")
        self._webhook_max_connections = params.get("max_connections", 40)
        self._webhook_last_error = None
        if self._webhook_task is None or self._webhook_task.done():
            for entry in self._queue:
                entry.fetched = False  # fetched by getUpdates, never confirmed: sent again
            self._webhook_task = asyncio.create_task(self._webhook_loop())
        self._notify()
        return True

    async def _delete_webhook(self, params: dict) -> bool:
        if params.get("drop_pending_updates"):
            self._queue.clear()
        self.webhook_url = ""
        self.webhook_secret_token = None
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            self._webhook_task = None
        self._notify()
        return True

    def _webhook_info(self) -> dict:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if self.webhook_url:
            info["max_connections"] = self._webhook_max_connections
            info["allowed_updates"] = sorted(self._allowed_updates)
        if self._webhook_last_error is not None:
            info["last_error_date"], info["last_error_message"] = self._webhook_last_error
        return info

    async def _webhook_loop(self) -> None:
        """Deliver queued updates side by side, up to max_connections at once, like Telegram.

        An update whose POST failed, timed out (webhook_timeout) or was answered with an error
        stays queued and is delivered again after a back-off; only a 2xx removes it.
        """
        posting: set[asyncio.Task] = set()
        try:
            while self.webhook_url and not self._closing:
                free = self._webhook_max_connections - len(posting)
                waiting = [entry for entry in self._queue if not entry.fetched]
                if free <= 0 or not waiting:
                    await self._wait_changed(0.5)
                    continue
                for entry in waiting[:free]:
                    entry.fetched = True  # here: being posted
                    task = asyncio.create_task(self._deliver_once(entry))
                    posting.add(task)
                    task.add_done_callback(posting.discard)
        finally:
            for task in posting:
                task.cancel()

    async def _deliver_once(self, entry: QueuedUpdate) -> None:
        status = await self._post_to_webhook(
            entry.update, self.webhook_url, self.webhook_secret_token
        )
        if status is not None and 200 <= status < 300:
            self.delivered_update_ids.add(entry.update_id)
            if entry in self._queue:
                self._queue.remove(entry)
            self._last_fetch = time.monotonic()
            self._webhook_failures = 0
            self._notify()
            return
        reason = f"Wrong response from the webhook: {status}" if status else "Connection failed"
        self._webhook_last_error = (int(time.time()), reason)
        self._webhook_failures += 1
        await asyncio.sleep(min(0.05 * 2 ** min(self._webhook_failures, 6), 2.0))
        entry.fetched = False  # Telegram sends it again
        self._notify()

    async def _post_to_webhook(self, update: dict, url: str, secret: str | None) -> int | None:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        status: int | None = None
        error: str | None = None
        assert self._client is not None, "FakeTelegram is not started"
        try:
            async with self._client.post(
                url,
                data=json.dumps(update),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.webhook_timeout),
            ) as reply:
                await reply.read()
                status = reply.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        self.webhook_deliveries.append(
            WebhookDelivery(update.get("update_id"), url, status, error, secret, time.monotonic())
        )
        return status

    async def deliver_to_webhook(
        self,
        update: dict,
        *,
        secret_token: str | None = USE_WEBHOOK_SECRET,
        url: str | None = None,
    ) -> int | None:
        """POST one update straight to the webhook and return the HTTP status (None: no answer).

        By default the secret token from setWebhook is sent; pass secret_token=None to omit the
        header or a wrong value to check the bot refuses it. The update is not queued.
        """
        target = url or self.webhook_url
        if not target:
            raise AssertionError("no webhook is set: the bot never called setWebhook")
        update = copy.deepcopy(update)
        update.setdefault("update_id", next(self._next_update_id))
        secret = self.webhook_secret_token if secret_token is USE_WEBHOOK_SECRET else secret_token
        return await self._post_to_webhook(update, target, secret)

    # --- failure injection ---------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        description: str = "Too Many Requests: retry after 1",
        retry_after: int | None = 1,
        times: int = 1,
        chat_id: int | Person | Group | None = None,
        parameters: dict | None = None,
    ) -> None:
        """Answer the next `times` valid calls of `method` (to `chat_id`, if given) with an error.

        A 429 carries parameters.retry_after and, like Telegram, keeps refusing that chat (or
        method) until retry_after seconds have passed. `parameters` adds e.g.
        {"migrate_to_chat_id": ...}.
        """
        if self.spec.method(method) is None:
            raise ValueError(f"{method} is not a Bot API method")
        self._failures.append(
            InjectedFailure(
                method=method.lower(),
                error_code=error_code,
                description=description,
                retry_after=retry_after if error_code == 429 else None,
                remaining=times,
                chat_id=_chat_id_of(chat_id),
                parameters=parameters,
            )
        )

    def flood_limit(
        self,
        per_second_total: int = 30,
        per_chat_per_second: int = 1,
        per_group_per_minute: int = 20,
    ) -> None:
        """Refuse messages sent faster than Telegram allows with 429 and retry_after."""
        self._flood_limits = FloodLimits(
            per_second_total, per_chat_per_second, per_group_per_minute
        )

    def flood_limit_off(self) -> None:
        self._flood_limits = None

    def slow(self, method: str, seconds: float) -> None:
        """Delay every answer to `method` by `seconds` (0 restores full speed)."""
        if seconds > 0:
            self._slow[method.lower()] = seconds
        else:
            self._slow.pop(method.lower(), None)

    def _apply_injected_failures(self, method: str, params: dict) -> None:
        now = time.monotonic()
        keys = [("method", method.lower())]
        if "chat_id" in params:
            keys.append(("chat", params["chat_id"]))
        for key in keys:
            until = self._flood_wait_until.get(key, 0.0)
            if now < until:
                raise self._too_many_requests(until - now)
        for failure in self._failures:
            if failure.matches(method, params):
                failure.remaining -= 1
                parameters = dict(failure.parameters or {})
                if failure.retry_after is not None:
                    parameters["retry_after"] = failure.retry_after
                    self._flood_wait_until[keys[-1]] = now + failure.retry_after
                raise ApiError(
                    failure.error_code,
                    failure.description,
                    parameters=parameters or None,
                    kind="injected",
                )

    @staticmethod
    def _too_many_requests(wait: float) -> ApiError:
        retry_after = max(1, math.ceil(wait))
        return ApiError(
            429,
            f"Too Many Requests: retry after {retry_after}",
            parameters={"retry_after": retry_after},
            kind="flood",
        )

    def _check_flood(self, chat: ChatState, count: int = 1) -> None:
        """Count a message sent to `chat`; refuse it when flood_limit() is on and it is too fast."""
        now = time.monotonic()
        overall = self._send_times
        per_chat = self._chat_send_times.setdefault(chat.id, deque())
        window = 1.0 if chat.is_private else 60.0
        while overall and overall[0] <= now - 1.0:
            overall.popleft()
        while per_chat and per_chat[0] <= now - 60.0:
            per_chat.popleft()
        limits = self._flood_limits
        if limits is not None:
            if len(overall) + count > limits.per_second_total:
                raise self._too_many_requests(overall[0] + 1.0 - now)
            recent = [moment for moment in per_chat if moment > now - window]
            allowed = limits.per_chat_per_second if chat.is_private else limits.per_group_per_minute
            if len(recent) + count > allowed:
                raise self._too_many_requests(recent[0] + window - now if recent else window)
        overall.extend([now] * count)
        per_chat.extend([now] * count)

    # --- HTTP ----------------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        method_name = request.match_info["method"]
        spec_method = self.spec.method(method_name)
        call = ApiCall(
            spec_method.name if spec_method else method_name, {}, time.monotonic(), request.method
        )
        self.calls.append(call)
        is_poll = call.method == "getUpdates"
        if not is_poll:
            self._in_flight += 1
            self._last_activity = time.monotonic()
        try:
            text_params, typed_params, files = await _read_params(request)
            call.params = {**_decode_for_display(text_params), **typed_params, **files}
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            if spec_method is None:
                raise ApiError(404, "Not Found")
            params = self.spec.validate_call(spec_method, text_params, typed_params, files)
            params = _resolve_attachments(params, files)
            call.params = params
            self._apply_injected_failures(spec_method.name, params)
            delay = self._slow.get(spec_method.name.lower())
            if delay:
                await asyncio.sleep(delay)
            result = await self._dispatch(spec_method.name, params)
            self._check_result(spec_method.name, result)
        except ApiError as error:
            if is_poll and error.kind == "conflict" and _hung_up(request):
                # A long poll its bot abandoned (stopped, or cancelled to stop) and a newer
                # getUpdates replaced: Telegram's 409 reaches nobody, no mistake of the bot's.
                call.abandoned = True
                call.ok, call.error_code, call.description = False, 409, error.description
                return web.json_response(error.to_response(), status=error.error_code)
            return self._refuse(call, error)
        except asyncio.CancelledError:
            call.abandoned = True
            raise
        except Exception as exc:  # a bug in the fake: make it loud, never hide it
            message = f"{call.method}: {type(exc).__name__}: {exc}"
            self.internal_errors.append(message)
            call.ok, call.error_code, call.description = False, 500, message
            return web.json_response(
                {"ok": False, "error_code": 500, "description": f"Internal fake error: {message}"},
                status=500,
            )
        finally:
            if not is_poll:
                self._in_flight -= 1
                self._last_activity = time.monotonic()
        call.ok, call.result = True, result
        return web.json_response({"ok": True, "result": result})

    def _refuse(self, call: ApiCall, error: ApiError) -> web.Response:
        """Answer an error Telegram would give, and note it: a test fails on it by default."""
        call.ok, call.error_code, call.description = False, error.error_code, error.description
        self.rejected_calls.append(
            RejectedCall(
                call.method,
                call.params,
                error.description,
                error.error_code,
                error.kind,
                time.monotonic(),
            )
        )
        self._notify()
        return web.json_response(error.to_response(), status=error.error_code)

    async def _dispatch(self, method: str, params: dict) -> Any:
        if method == "getUpdates":
            return await self._get_updates(params)
        if method == "setWebhook":
            return await self._set_webhook(params)
        if method == "deleteWebhook":
            return await self._delete_webhook(params)
        if method == "getWebhookInfo":
            return self._webhook_info()
        handler = getattr(self, f"api_{method}", None)
        if handler is not None:
            return await handler(params)
        returns = self.spec.methods[method].returns
        if returns == ("Boolean",):
            return True  # a valid call of a method the fake does not model
        # Answering `true` where PTB expects a Message would fail far from the cause.
        raise ApiError(
            400,
            f"Bad Request: the fake Bot API does not implement {method} (it returns "
            f"{' or '.join(returns)}); add api_{method} to "
            "bot/playground/botapi/bot_api_methods.py",
            kind="unimplemented",
        )

    def _check_result(self, method: str, result: Any) -> None:
        """Self-check: the fake must answer with objects the spec allows."""
        returns = self.spec.methods[method].returns
        if result is True or not returns or self.spec.matches(result, returns):
            return
        self.spec.validate_object(returns[0], result)  # raises, naming the mismatch

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        stored = self._files_by_path.get(request.match_info["file_path"])
        if stored is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    # --- helpers used by handlers and people ---------------------------------------------------

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _notify(self) -> None:
        """Wake everything waiting for a change (long polls, person waits, wait_idle)."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for_change(self, max_wait: float) -> None:
        """Return at the next change of the world (a message, an edit, a refusal...) or after
        `max_wait` seconds: the playground page's live feed waits here."""
        await self._wait_changed(max_wait)

    async def _wait_changed(self, max_wait: float) -> None:
        if max_wait <= 0:
            return
        event = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), max_wait)

    def _store_file(
        self,
        kind: str,
        data: bytes,
        filename: str | None,
        mime_type: str | None,
        width: int | None = None,
        height: int | None = None,
    ) -> StoredFile:
        number = next(self._ids)
        extension = ""
        if filename and "." in filename:
            extension = "." + filename.rsplit(".", 1)[1]
        elif mime_type:
            extension = mimetypes.guess_extension(mime_type) or ""
        stored = StoredFile(
            file_id=f"FAKE-{kind}-{number:06d}",
            file_unique_id=f"U{number:06d}",
            kind=kind,
            data=data,
            filename=filename,
            mime_type=mime_type,
            file_path=f"{_FILE_FOLDERS.get(kind, 'files')}/file_{number}{extension}",
            width=width,
            height=height,
        )
        self.files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    # --- inspection and waiting ----------------------------------------------------------------

    def calls_to(self, method: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method.lower() == method.lower()]

    def assert_no_rejected_calls(self, *, ignore_kinds: tuple[str, ...] = ("injected", "flood")):
        """Fail listing every call Telegram would have refused (and any bug of the fake).

        Refusals the test provoked on purpose through fail_next/slow or flood_limit are ignored
        by default; pass ignore_kinds=() to see them too.
        """
        relevant = [call for call in self.rejected_calls if call.kind not in ignore_kinds]
        unanswered = self.unanswered_callback_queries()
        if relevant or self.internal_errors or unanswered:
            lines = [f"{len(relevant)} call(s) refused by the fake Telegram:"]
            lines += [f"  {call}" for call in relevant]
            lines += [f"  INTERNAL FAKE ERROR {error}" for error in self.internal_errors]
            # Telegram shows a spinner on the button until the bot answers the query.
            lines += [f"  button press never answered: {query}" for query in unanswered]
            raise AssertionError("\n".join(lines))

    def unanswered_callback_queries(self) -> list[CallbackQueryRecord]:
        """Button presses the bot received but never answered with answerCallbackQuery."""
        return [
            query
            for query in self.callback_queries.values()
            if not query.answered and query.update_id in self.delivered_update_ids
        ]

    def clear_rejected_calls(self) -> list[RejectedCall]:
        cleared, self.rejected_calls = self.rejected_calls, []
        return cleared

    async def wait_until(
        self,
        predicate: Callable[[], Any],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - test helpers take a timeout, like wait_for
        describe: Callable[[], str] | None = None,
    ) -> Any:
        """Wait until predicate() is truthy and return its value; AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                details = describe() if describe else ""
                raise AssertionError(f"condition not met within {timeout}s. {details}".strip())
            await self._wait_changed(min(remaining, 0.05))

    async def wait_idle(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 - test helpers take a timeout, like wait_for
        settle: float = 0.1,
    ) -> None:
        """Wait until every update was fetched (or delivered) and no call came for `settle` s."""
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            if self.webhook_url:
                pending = len(self._queue)
            else:
                pending = sum(1 for entry in self._queue if not entry.fetched)
            quiet_for = now - max(self._last_activity, self._last_fetch)
            if not pending and not self._in_flight and quiet_for >= settle:
                return
            if now >= deadline:
                raise AssertionError(
                    f"fake Telegram not idle after {timeout}s: {pending} update(s) not yet "
                    f"fetched (is the bot polling?), {self._in_flight} call(s) in flight"
                )
            await asyncio.sleep(0.01)

    def describe_chat(self, chat_id: int, *, last: int = 10) -> str:
        chat = self.chats[chat_id]
        shown = list(chat.messages.values())[-last:]
        lines = [f"chat {chat_id} ({chat.title or chat.first_name}) holds:"]
        lines += [f"  {message.describe()}" for message in shown] or ["  (no messages)"]
        if self.rejected_calls:
            lines.append("refused calls:")
            lines += [f"  {call}" for call in self.rejected_calls[-5:]]
        if self.internal_errors:
            lines += [f"  INTERNAL FAKE ERROR {error}" for error in self.internal_errors]
        return "\n".join(lines)


def _chat_id_of(target: int | Person | Group | None) -> int | None:
    if target is None or isinstance(target, int):
        return target
    return target.chat_id


async def _read_params(
    request: web.Request,
) -> tuple[dict[str, str], dict[str, Any], dict[str, UploadedFile]]:
    """Split a request into string parameters, JSON-typed parameters and uploaded files."""
    text_params: dict[str, str] = dict(request.query)
    typed_params: dict[str, Any] = {}
    files: dict[str, UploadedFile] = {}
    if request.method != "POST" or not request.can_read_body:
        return text_params, typed_params, files
    content_type = request.content_type
    if content_type == "application/json":
        try:
            body = json.loads(await request.text() or "{}")
        except ValueError:
            raise bad_request("can't parse JSON request body") from None
        if not isinstance(body, dict):
            raise bad_request("JSON request body must be an object")
        typed_params.update(body)
    elif content_type == "application/x-www-form-urlencoded":
        form = await request.post()
        text_params.update({key: str(value) for key, value in form.items()})
    elif content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                continue
            if part.filename is not None:
                files[part.name] = UploadedFile(
                    part.name,
                    part.filename,
                    part.headers.get("Content-Type", "application/octet-stream"),
                    bytes(await part.read()),
                )
            else:
                text_params[part.name] = await part.text()
    return text_params, typed_params, files


def _decode_for_display(text_params: dict[str, str]) -> dict[str, Any]:
    """Best-effort JSON decoding of string parameters, for the call log of refused calls."""
    shown: dict[str, Any] = {}
    for key, value in text_params.items():
        if value[:1] in ("{", "["):
            with contextlib.suppress(ValueError):
                shown[key] = json.loads(value)
                continue
        shown[key] = value
    return shown


def _resolve_attachments(value: Any, files: dict[str, UploadedFile]) -> Any:
    """Replace "attach://<name>" strings inside parameters by the uploaded file part."""
    if isinstance(value, str) and value.startswith("attach://"):
        return files.get(value.removeprefix("attach://"), value)
    if isinstance(value, dict):
        return {key: _resolve_attachments(item, files) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve_attachments(item, files) for item in value]
    return value


@contextlib.asynccontextmanager
async def running_fake(**options: Any) -> AsyncIterator[FakeTelegram]:
    """`async with running_fake() as fake:` for fixtures; options go to FakeTelegram()."""
    fake = FakeTelegram(**options)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


def _hung_up(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()
