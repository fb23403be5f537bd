"""Records the fake Telegram keeps: chats, messages, files, calls, rejections, callbacks, polls.

These are plain data holders shared by the server (fake_telegram.py), the method handlers
(bot_api_methods.py) and the simulated people (people.py). Tests mostly meet `ChatMessage`
(what a person sees of a message) and `ApiCall` / `RejectedCall` (what the bot sent).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Any


def unix_now() -> int:
    return int(time.time())


@dataclass(eq=False)
class StoredFile:
    """A file known to the fake: uploaded by the bot or sent by a simulated person."""

    file_id: str
    file_unique_id: str
    kind: str  # "photo", "document", "voice", "sticker", ...
    data: bytes
    filename: str | None
    mime_type: str | None
    file_path: str
    width: int | None = None
    height: int | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    def photo_size(self) -> dict:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "width": self.width or 0,
            "height": self.height or 0,
            "file_size": self.size,
        }

    def document(self) -> dict:
        document: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }
        if self.filename:
            document["file_name"] = self.filename
        if self.mime_type:
            document["mime_type"] = self.mime_type
        return document

    def as_file(self) -> dict:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }


@dataclass(eq=False)
class PollState:
    """A poll sent by the bot or by a person, with the votes cast so far."""

    poll_id: str
    question: str
    options: list[str]
    is_anonymous: bool = True
    poll_type: str = "regular"
    allows_multiple_answers: bool = False
    correct_option_ids: list[int] | None = None
    is_closed: bool = False
    votes: dict[int, list[int]] = field(default_factory=dict)  # user id -> option ids
    chat_id: int | None = None
    message_id: int | None = None

    def to_poll(self) -> dict:
        counts = [0] * len(self.options)
        for option_ids in self.votes.values():
            for option_id in option_ids:
                counts[option_id] += 1
        poll: dict[str, Any] = {
            "id": self.poll_id,
            "question": self.question,
            "options": [
                {"persistent_id": str(index), "text": text, "voter_count": counts[index]}
                for index, text in enumerate(self.options)
            ],
            "total_voter_count": len(self.votes),
            "is_closed": self.is_closed,
            "is_anonymous": self.is_anonymous,
            "type": self.poll_type,
            "allows_multiple_answers": self.allows_multiple_answers,
            "allows_revoting": False,
            "members_only": False,
        }
        if self.correct_option_ids is not None:
            poll["correct_option_ids"] = list(self.correct_option_ids)
        return poll


@dataclass(eq=False)
class ChatMessage:
    """One message in a chat, in its current state (edits applied, deletion flagged).

    `raw` is the Message object exactly as the Bot API returns it. The properties give what a
    person sees: `text` is the plain text after HTML parsing (the caption for media),
    `html` the text or caption parameter as the bot sent it, `buttons` the inline keyboard.
    """

    chat_id: int
    message_id: int
    raw: dict
    from_bot: bool
    seq: int
    html: str | None = None
    parse_mode: str | None = None
    photo: StoredFile | None = None
    document: StoredFile | None = None
    poll: PollState | None = None
    deleted: bool = False
    edit_count: int = 0
    #: Sequence numbers (fake-wide order of events) of the last change and the last edit.
    changed_seq: int = 0
    edited_seq: int = 0
    #: The last edit a wait_for_edit() already returned.
    seen_edit_seq: int = 0
    history: list[dict] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.raw.get("text") or self.raw.get("caption") or ""

    @property
    def caption(self) -> str | None:
        return self.raw.get("caption")

    @property
    def entities(self) -> list[dict]:
        return self.raw.get("entities") or self.raw.get("caption_entities") or []

    @property
    def reply_markup(self) -> dict | None:
        return self.raw.get("reply_markup")

    @property
    def sender_id(self) -> int:
        return self.raw["from"]["id"]

    @property
    def buttons(self) -> list[list[tuple[str, str | None]]]:
        """Inline keyboard rows of (text, callback_data or url or the button's other action)."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [[(button["text"], _button_action(button)) for button in row] for row in rows]

    @property
    def button_texts(self) -> list[str]:
        return [text for row in self.buttons for text, _ in row]

    def find_button(self, text: str | None = None, *, data: str | None = None) -> dict | None:
        for row in (self.reply_markup or {}).get("inline_keyboard", []):
            for button in row:
                if text is not None and button["text"] != text:
                    continue
                if data is not None and button.get("callback_data") != data:
                    continue
                return button
        return None

    def snapshot(self) -> dict:
        return copy.deepcopy(self.raw)

    def describe(self) -> str:
        """One line for assertion messages."""
        flags = []
        if self.deleted:
            flags.append("deleted")
        if self.edit_count:
            flags.append(f"edited x{self.edit_count}")
        if self.photo:
            flags.append("photo")
        if self.document:
            flags.append(f"document {self.document.filename!r}")
        if self.poll:
            flags.append(f"poll {self.poll.question!r}")
        who = "bot" if self.from_bot else self.raw.get("from", {}).get("first_name", "?")
        suffix = f" [{', '.join(flags)}]" if flags else ""
        buttons = f" buttons={self.button_texts}" if self.button_texts else ""
        shown = repr(self.text) if self.text or not self.content_kind else f"<{self.content_kind}>"
        return f"#{self.message_id} {who}: {shown}{buttons}{suffix}"

    @property
    def content_kind(self) -> str | None:
        """What a message without text carries: "sticker", "new_chat_members", ..."""
        for key in self.raw:
            if key not in _ENVELOPE_KEYS:
                return key
        return None

    def __repr__(self) -> str:
        return f"<ChatMessage chat={self.chat_id} {self.describe()}>"


_ENVELOPE_KEYS = frozenset(
    {"message_id", "from", "chat", "date", "edit_date", "reply_to_message", "reply_markup",
     "entities", "caption_entities", "media_group_id", "text", "caption"}
)  # fmt: skip


def _button_action(button: dict) -> str | None:
    for key in ("callback_data", "url"):
        if key in button:
            return button[key]
    for key, value in button.items():
        if key not in ("text", "icon_custom_emoji_id", "style"):
            return value if isinstance(value, str) else str(value)
    return None


@dataclass(eq=False)
class ChatState:
    """A chat as the fake server knows it."""

    id: int
    type: str  # "private", "group", "supergroup"
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    messages: dict[int, ChatMessage] = field(default_factory=dict)
    next_message_id: int = 1
    #: The bot's membership: "member", "administrator", "left", "kicked".
    bot_status: str = "left"
    bot_was_member: bool = False
    #: Private chats: the person opened the chat with the bot (any message counts).
    started: bool = False
    members: dict[int, str] = field(default_factory=dict)  # user id -> status
    migrated_to: int | None = None
    migrated_from: int | None = None
    pinned_message_ids: list[int] = field(default_factory=list)
    reply_keyboard: dict | None = None
    chat_actions: list[str] = field(default_factory=list)

    @property
    def is_private(self) -> bool:
        return self.type == "private"

    def to_chat(self) -> dict:
        chat: dict[str, Any] = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name", "last_name"):
            value = getattr(self, key)
            if value is not None:
                chat[key] = value
        return chat

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def bot_messages(self) -> list[ChatMessage]:
        return [message for message in self.messages.values() if message.from_bot]


@dataclass
class ApiCall:
    """One request the bot made, accepted or not."""

    method: str
    params: dict
    time: float  # time.monotonic()
    http_method: str = "POST"
    ok: bool | None = None
    error_code: int | None = None
    description: str | None = None
    result: Any = None
    #: The client hung up before the answer (e.g. a long poll cancelled on shutdown).
    abandoned: bool = False


@dataclass
class RejectedCall:
    """A call answered with ok=false; `kind` as in ApiError.kind."""

    method: str
    params: dict
    description: str
    error_code: int
    kind: str
    time: float

    def __str__(self) -> str:
        shown = {key: _short(value) for key, value in self.params.items()}
        return f"{self.method}({shown}) -> {self.error_code} {self.description} [{self.kind}]"


def _short(value: Any) -> Any:
    text = repr(value)
    return value if len(text) <= 120 else text[:117] + "..."


@dataclass
class CallbackQueryRecord:
    query_id: str
    user_id: int
    data: str | None
    chat_id: int | None
    message_id: int | None
    created: float
    answered: bool = False
    update_id: int | None = None  # the update that carried it, once queued


@dataclass
class CallbackAnswer:
    """An answerCallbackQuery the bot sent; also readable like a dict (answer["text"])."""

    query_id: str
    user_id: int
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None
    chat_id: int | None
    message_id: int | None
    time: float

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None


@dataclass
class WebhookDelivery:
    """One POST of an update to the bot's webhook."""

    update_id: int | None
    url: str
    status: int | None
    error: str | None
    secret_token_sent: str | None
    time: float


@dataclass
class QueuedUpdate:
    update: dict
    fetched: bool = False
    #: Re-sent with an id below the confirmed offset: keep it until it has been fetched once.
    redelivery: bool = False

    @property
    def update_id(self) -> int:
        return self.update["update_id"]

    @property
    def kind(self) -> str:
        return next(key for key in self.update if key != "update_id")


@dataclass
class InjectedFailure:
    method: str  # lower-case method name
    error_code: int
    description: str
    retry_after: int | None
    remaining: int
    chat_id: int | None
    parameters: dict | None = None

    def matches(self, method: str, params: dict) -> bool:
        if self.remaining <= 0 or method.lower() != self.method:
            return False
        return self.chat_id is None or params.get("chat_id") == self.chat_id


@dataclass
class FloodLimits:
    per_second_total: int = 30
    per_chat_per_second: int = 1
    per_group_per_minute: int = 20
