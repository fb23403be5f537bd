"""Simulated Telegram users and groups: they act (send, press buttons, vote...) and they see.

A `Person` turns actions into the updates Telegram would produce, with realistic Message,
CallbackQuery, PollAnswer and ChatMemberUpdated objects (every update is checked against the
spec's Update type before it is queued). What the bot sent back is visible as `ChatMessage`
objects in their current state: `person.messages`, `person.last_message`,
`await person.wait_for_message(...)`, `await person.wait_for_edit(message)`.

Waiting is "since my last action": wait_for_message returns the first matching bot message newer
than the person's last action or than the message the previous wait returned, so two waits in a
row return two successive messages.

A `Group` is a basic group or supergroup; the bot joins through `await group.add_bot(by=alice)`.
With privacy mode on (the default, as on Telegram) the bot only receives commands, replies to
its own messages and service messages there.

Why it is long: one class per kind of Telegram actor (a person, a group, a message as seen),
each with every action a real client offers; splitting them would split what one test reads.
"""

from __future__ import annotations

import copy
import struct
import time
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.playground.botapi.bot_api_methods import image_size
from bot.playground.botapi.fake_state import (
    CallbackAnswer,
    CallbackQueryRecord,
    ChatMessage,
    ChatState,
    PollState,
    unix_now,
)
from bot.playground.botapi.telegram_html import detect_entities

if TYPE_CHECKING:
    from bot.playground.botapi.fake_telegram import FakeTelegram

MessageRef = ChatMessage | dict | int


def make_png(width: int = 4, height: int = 4, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A valid PNG image of one colour (Telegram refuses photos that are not images)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


class _Participant:
    """What people and groups share: a cursor over the bot's messages in some chats."""

    fake: FakeTelegram

    def __init__(self) -> None:
        # Sequence number of the last action, and of the last message a wait returned.
        self._action_seq = 0
        self._cursor = 0

    def _mark_action(self, seq: int) -> None:
        self._action_seq = max(self._action_seq, seq)
        self._cursor = max(self._cursor, seq)

    def _watched_chats(self) -> list[ChatState]:
        raise NotImplementedError

    @property
    def messages(self) -> list[ChatMessage]:
        """The bot's messages here, oldest first, edits applied, deleted ones flagged."""
        return [message for chat in self._watched_chats() for message in chat.bot_messages()]

    @property
    def visible_messages(self) -> list[ChatMessage]:
        return [message for message in self.messages if not message.deleted]

    @property
    def last_message(self) -> ChatMessage | None:
        """The bot's most recent message here (check .deleted if the bot may delete it)."""
        messages = self.messages
        return messages[-1] if messages else None

    def _describe(self) -> str:
        return "\n".join(self.fake.describe_chat(chat.id) for chat in self._watched_chats())

    async def wait_for_message(
        self,
        predicate: Callable[[ChatMessage], bool] | None = None,
        contains: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - test helpers take a timeout, like wait_for
    ) -> ChatMessage:
        """The next new bot message matching `contains` (a substring of .text) and `predicate`."""

        def find() -> ChatMessage | None:
            for message in self.messages:
                if message.seq <= self._cursor or message.deleted:
                    continue
                if contains is not None and contains not in message.text:
                    continue
                if predicate is not None and not predicate(message):
                    continue
                return message
            return None

        wanted = f" containing {contains!r}" if contains is not None else ""
        message = await self.fake.wait_until(
            find,
            timeout=timeout,
            describe=lambda: f"No new bot message{wanted} for {self}.\n{self._describe()}",
        )
        self._cursor = max(self._cursor, message.seq)
        return message

    async def wait_for_edit(
        self,
        message: ChatMessage,
        timeout: float = 5.0,  # noqa: ASYNC109 - test helpers take a timeout, like wait_for
    ) -> ChatMessage:
        """Wait until the bot edits `message` after this participant's last action."""
        threshold = max(self._action_seq, message.seen_edit_seq)

        def edited() -> ChatMessage | None:
            return message if message.edited_seq > threshold else None

        await self.fake.wait_until(
            edited,
            timeout=timeout,
            describe=lambda: f"{message.describe()} was not edited.\n{self._describe()}",
        )
        message.seen_edit_seq = message.edited_seq
        return message


class Person(_Participant):
    """A Telegram user; create with fake.person(...)."""

    def __init__(self, fake: FakeTelegram, user: dict, chat: ChatState) -> None:
        super().__init__()
        self.fake = fake
        self.user = user
        self.chat = chat

    def __repr__(self) -> str:
        return f"<Person {self.first_name} id={self.id}>"

    def __str__(self) -> str:
        return self.first_name

    @property
    def id(self) -> int:
        return self.user["id"]

    @property
    def user_id(self) -> int:
        return self.user["id"]

    @property
    def chat_id(self) -> int:
        return self.chat.id

    @property
    def first_name(self) -> str:
        return self.user["first_name"]

    @property
    def username(self) -> str | None:
        return self.user.get("username")

    def _watched_chats(self) -> list[ChatState]:
        return [self.chat]

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """Texts of the custom reply keyboard the bot shows this person, if any."""
        keyboard = self.chat.reply_keyboard
        if keyboard is None:
            return None
        return [[button["text"] for button in row] for row in keyboard["keyboard"]]

    @property
    def chat_actions(self) -> list[str]:
        return list(self.chat.chat_actions)

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        return [answer for answer in self.fake.callback_answers if answer.user_id == self.id]

    @property
    def has_blocked_bot(self) -> bool:
        return self.chat.bot_status == "kicked"

    # --- sending messages ----------------------------------------------------------------------

    def _target(self, chat: Group | ChatState | None) -> tuple[ChatState, Group | None]:
        if chat is None:
            return self.chat, None
        if isinstance(chat, Group):
            chat.join_silently(self)
            return chat.chat, chat
        return chat, self.fake._group_of(chat.id)

    def _post(
        self,
        content: dict,
        *,
        chat: Group | ChatState | None = None,
        reply_to: MessageRef | None = None,
    ) -> dict | None:
        """Store a message from this person and queue the update if the bot would get it."""
        return self._post_message(content, chat=chat, reply_to=reply_to)[1]

    def _post_message(
        self,
        content: dict,
        *,
        chat: Group | ChatState | None = None,
        reply_to: MessageRef | None = None,
        poll: PollState | None = None,
    ) -> tuple[ChatMessage, dict | None]:
        target, group = self._target(chat)
        if target.is_private and target.bot_status == "kicked":
            raise AssertionError(f"{self} blocked the bot; call unblock_bot() before writing")
        raw: dict[str, Any] = {
            "message_id": target.take_message_id(),
            "from": copy.deepcopy(self.user),
            "chat": target.to_chat(),
            "date": unix_now(),
            **content,
        }
        if reply_to is not None:
            replied = self.fake.find_message(reply_to, default_chat=target)
            raw["reply_to_message"] = {
                key: value for key, value in replied.raw.items() if key != "reply_to_message"
            }
        seq = self.fake._next_seq()
        message = ChatMessage(
            chat_id=target.id,
            message_id=raw["message_id"],
            raw=raw,
            from_bot=False,
            seq=seq,
            changed_seq=seq,
            poll=poll,
        )
        target.messages[message.message_id] = message
        if target.is_private:
            target.started = True
        self._mark_action(seq)
        if group is not None:
            group._mark_action(seq)
        if not self.fake._bot_receives_group_message(target, raw):
            self.fake._notify()
            return message, None
        return message, self.fake._enqueue_update({"message": copy.deepcopy(raw)})

    @staticmethod
    def _text_content(text: str) -> dict:
        content: dict[str, Any] = {"text": text}
        entities = detect_entities(text)
        if entities:
            content["entities"] = entities
        return content

    async def send(
        self,
        text: str,
        *,
        chat: Group | ChatState | None = None,
        reply_to: MessageRef | None = None,
    ) -> dict | None:
        """Type and send `text` (commands, links and mentions get their entities).

        Returns the queued update, or None when the bot would not receive the message (privacy
        mode in groups, bot not in the group).
        """
        return self._post(self._text_content(text), chat=chat, reply_to=reply_to)

    async def command(
        self,
        command: str,
        args: str = "",
        *,
        chat: Group | ChatState | None = None,
        mention_bot: bool = False,
    ) -> dict | None:
        """Send "/command args"; mention_bot=True sends "/command@BotName args" (groups)."""
        name = command if command.startswith("/") else f"/{command}"
        if mention_bot:
            name = f"{name}@{self.fake.bot_user['username']}"
        text = f"{name} {args}" if args else name
        content = self._text_content(text)
        first = content.get("entities", [{}])[0]
        if first.get("type") != "bot_command" or first.get("offset") != 0:
            raise ValueError(f"{name!r} is not a valid bot command")
        return self._post(content, chat=chat)

    async def send_photo(
        self,
        data: bytes | None = None,
        *,
        caption: str | None = None,
        chat: Group | ChatState | None = None,
    ) -> dict | None:
        data = data if data is not None else make_png(8, 8)
        width, height = image_size(data) or (8, 8)
        stored = self.fake._store_file("photo", data, "photo.png", "image/png", width, height)
        content: dict[str, Any] = {"photo": [stored.photo_size()]}
        if caption:
            content["caption"] = caption
        return self._post(content, chat=chat)

    async def send_document(
        self,
        filename: str,
        data: bytes,
        *,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        chat: Group | ChatState | None = None,
    ) -> dict | None:
        stored = self.fake._store_file("document", data, filename, mime_type)
        content: dict[str, Any] = {"document": stored.document()}
        if caption:
            content["caption"] = caption
        return self._post(content, chat=chat)

    async def send_sticker(
        self, emoji: str = "👍", *, chat: Group | ChatState | None = None
    ) -> dict | None:
        data = b"RIFF\x00\x00\x00\x00WEBPVP8 "
        stored = self.fake._store_file("sticker", data, "sticker.webp", "image/webp")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": stored.size,
        }
        return self._post({"sticker": sticker}, chat=chat)

    async def send_voice(
        self,
        data: bytes = b"OggS\x00fake-voice",
        *,
        duration: int = 3,
        chat: Group | ChatState | None = None,
    ) -> dict | None:
        stored = self.fake._store_file("voice", data, "voice.ogg", "audio/ogg")
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": stored.size,
        }
        return self._post({"voice": voice}, chat=chat)

    async def send_location(
        self,
        latitude: float = 50.4501,
        longitude: float = 30.5234,
        *,
        chat: Group | ChatState | None = None,
    ) -> dict | None:
        return self._post({"location": {"latitude": latitude, "longitude": longitude}}, chat=chat)

    async def send_contact(
        self,
        phone_number: str = "+15550100000",
        first_name: str | None = None,
        *,
        user_id: int | None = None,
        chat: Group | ChatState | None = None,
    ) -> dict | None:
        contact: dict[str, Any] = {
            "phone_number": phone_number,
            "first_name": first_name or self.first_name,
        }
        if first_name is None:
            contact["user_id"] = user_id or self.id
        elif user_id is not None:
            contact["user_id"] = user_id
        return self._post({"contact": contact}, chat=chat)

    async def send_poll(
        self,
        question: str = "Lunch today?",
        options: tuple[str, ...] | list[str] = ("Pizza", "Salad"),
        *,
        is_anonymous: bool = True,
        allows_multiple_answers: bool = False,
        chat: Group | ChatState | None = None,
    ) -> dict | None:
        poll = PollState(
            poll_id=str(6_000_000_000 + self.fake._next_seq()),
            question=question,
            options=list(options),
            is_anonymous=is_anonymous,
            allows_multiple_answers=allows_multiple_answers,
        )
        self.fake.polls[poll.poll_id] = poll
        message, update = self._post_message({"poll": poll.to_poll()}, chat=chat, poll=poll)
        poll.chat_id, poll.message_id = message.chat_id, message.message_id
        return update

    async def edit(self, message: MessageRef, new_text: str) -> dict | None:
        """Edit the text (or a photo's or document's caption) of a message this person sent; the
        bot gets an edited_message update."""
        stored = self.fake.find_message(message, default_chat=self.chat)
        if stored.from_bot or stored.raw["from"]["id"] != self.id:
            raise AssertionError(f"{self} can only edit their own messages, not {stored}")
        if "text" not in stored.raw and "caption" not in stored.raw:
            raise AssertionError(f"{stored} has no text or caption to edit")
        stored.history.append(copy.deepcopy(stored.raw))
        if "text" in stored.raw:
            stored.raw.pop("entities", None)
            stored.raw.update(self._text_content(new_text))
        else:
            stored.raw.pop("caption_entities", None)
            stored.raw["caption"] = new_text
        stored.raw["edit_date"] = unix_now()
        stored.edit_count += 1
        seq = self.fake._next_seq()
        stored.changed_seq = stored.edited_seq = seq
        self._mark_action(seq)
        chat = self.fake.chats[stored.chat_id]
        if not self.fake._bot_receives_group_message(chat, stored.raw):
            return None
        return self.fake._enqueue_update({"edited_message": stored.snapshot()})

    # --- buttons and polls ---------------------------------------------------------------------

    async def press(
        self, message: MessageRef, text: str | None = None, *, callback_data: str | None = None
    ) -> dict:
        """Press the inline button labelled `text` (or carrying `callback_data`).

        Returns the queued callback_query update; raises AssertionError when the message has no
        such button, is deleted, or the button is not a callback button (URL, ...).
        """
        if text is None and callback_data is None:
            raise ValueError("press() needs the button text or its callback data")
        stored = self.fake.find_message(message, default_chat=self.chat)
        if stored.deleted:
            raise AssertionError(f"{self} cannot press a button on a deleted message: {stored}")
        button = stored.find_button(text, data=callback_data)
        if button is None:
            wanted = repr(text) if text is not None else f"with data {callback_data!r}"
            raise AssertionError(
                f"no button {wanted} on {stored.describe()}; buttons are {stored.buttons}"
            )
        if "callback_data" not in button:
            raise AssertionError(f"button {button} is not a callback button")
        return self._callback(stored, button["callback_data"])

    async def press_data(self, message: MessageRef, data: bytes | str) -> dict:
        """Send a callback query with arbitrary (forged, stale, malformed) data."""
        stored = self.fake.find_message(message, default_chat=self.chat)
        if isinstance(data, bytes):
            data = data.decode("utf-8", errors="replace")
        return self._callback(stored, data)

    def _callback(self, message: ChatMessage, data: str) -> dict:
        chat = self.fake.chats[message.chat_id]
        group = self.fake._group_of(chat.id)
        if group is not None:
            group.join_silently(self)
        query_id = str(4_000_000_000_000_000 + self.fake._next_seq())
        self.fake.callback_queries[query_id] = CallbackQueryRecord(
            query_id=query_id,
            user_id=self.id,
            data=data,
            chat_id=message.chat_id,
            message_id=message.message_id,
            created=time.monotonic(),
        )
        update = {
            "callback_query": {
                "id": query_id,
                "from": copy.deepcopy(self.user),
                "message": message.snapshot(),
                "chat_instance": str(abs(chat.id) * 31 % 10**12),
                "data": data,
            }
        }
        seq = self.fake._next_seq()
        self._mark_action(seq)
        if group is not None:
            group._mark_action(seq)
        queued = self.fake._enqueue_update(update)
        if queued is None:
            raise AssertionError("callback_query updates are excluded by allowed_updates")
        self.fake.callback_queries[query_id].update_id = queued["update_id"]
        return queued

    async def answer_poll(self, poll_message: MessageRef, option_ids: list[int]) -> dict | None:
        """Vote; the bot gets poll_answer (non-anonymous polls) and the new poll state."""
        stored = self.fake.find_message(poll_message, default_chat=self.chat)
        poll = stored.poll
        if poll is None:
            raise AssertionError(f"{stored} is not a poll")
        if poll.is_closed:
            raise AssertionError(f"the poll {poll.question!r} is closed")
        if len(option_ids) > 1 and not poll.allows_multiple_answers:
            raise AssertionError("this poll allows one answer only")
        if any(not 0 <= option < len(poll.options) for option in option_ids):
            raise AssertionError(f"options {option_ids} out of range for {poll.options}")
        if option_ids:
            poll.votes[self.id] = list(option_ids)
        else:
            poll.votes.pop(self.id, None)  # retracting a vote
        stored.raw["poll"] = poll.to_poll()
        seq = self.fake._next_seq()
        stored.changed_seq = seq
        self._mark_action(seq)
        answer = None
        if not poll.is_anonymous:
            answer = self.fake._enqueue_update(
                {
                    "poll_answer": {
                        "poll_id": poll.poll_id,
                        "user": copy.deepcopy(self.user),
                        "option_ids": list(option_ids),
                        "option_persistent_ids": [str(option) for option in option_ids],
                    }
                }
            )
        state = None
        if stored.from_bot:
            # Bots get the new state of polls they sent.
            state = self.fake._enqueue_update({"poll": poll.to_poll()})
        return answer or state

    # --- relationship with the bot -------------------------------------------------------------

    def block_bot(self) -> dict | None:
        """Block the bot: its messages now get 403, and it is told through my_chat_member."""
        return self._set_bot_status("kicked")

    def unblock_bot(self) -> dict | None:
        return self._set_bot_status("member")

    def _set_bot_status(self, status: str) -> dict | None:
        old = self.chat.bot_status
        if old == status:
            return None
        self.chat.bot_status = status
        seq = self.fake._next_seq()
        self._mark_action(seq)
        return self.fake._enqueue_update(
            {"my_chat_member": self.fake.member_update(self.chat, self.user, old, status)}
        )


class Group(_Participant):
    """A basic group or supergroup; create with fake.group(...)."""

    def __init__(self, fake: FakeTelegram, chat: ChatState) -> None:
        super().__init__()
        self.fake = fake
        self.chat = chat
        #: Every chat this group has been: after migration, the old group then the supergroup.
        self.lineage: list[ChatState] = [chat]
        fake._register_group(self, chat.id)

    def __repr__(self) -> str:
        return f"<Group {self.title!r} id={self.chat_id} {self.chat.type}>"

    def __str__(self) -> str:
        return self.title

    @property
    def id(self) -> int:
        return self.chat.id

    @property
    def chat_id(self) -> int:
        return self.chat.id

    @property
    def title(self) -> str:
        return self.chat.title or ""

    def _watched_chats(self) -> list[ChatState]:
        return list(self.lineage)

    def join_silently(self, person: Person) -> None:
        """Make `person` a member without any update (the first one becomes the creator)."""
        if person.id not in self.chat.members or self.chat.members[person.id] in ("left",):
            self.chat.members[person.id] = "creator" if not self.chat.members else "member"

    def promote(self, person: Person) -> None:
        self.join_silently(person)
        if self.chat.members[person.id] != "creator":
            self.chat.members[person.id] = "administrator"

    def _service_message(self, by: Person, content: dict) -> dict | None:
        return by._post(content, chat=self)

    async def add_member(self, person: Person, *, by: Person | None = None) -> dict | None:
        """`person` joins (or is added by `by`): a new_chat_members service message."""
        actor = by or person
        if by is not None:
            self.join_silently(by)
        self.chat.members[person.id] = "member"
        return self._service_message(actor, {"new_chat_members": [copy.deepcopy(person.user)]})

    async def remove_member(self, person: Person, *, by: Person | None = None) -> dict | None:
        actor = by or person
        self.chat.members[person.id] = "left"
        return self._service_message(actor, {"left_chat_member": copy.deepcopy(person.user)})

    async def add_bot(self, *, by: Person, as_admin: bool = False) -> dict | None:
        """`by` adds the bot: my_chat_member, then the new_chat_members service message."""
        self.join_silently(by)
        old = self.chat.bot_status
        self.chat.bot_status = "administrator" if as_admin else "member"
        self.chat.bot_was_member = True
        self.fake._enqueue_update(
            {
                "my_chat_member": self.fake.member_update(
                    self.chat, by.user, old, self.chat.bot_status
                )
            }
        )
        return self._service_message(by, {"new_chat_members": [copy.deepcopy(self.fake.bot_user)]})

    async def remove_bot(self, *, by: Person) -> dict | None:
        """`by` removes the bot; it gets my_chat_member and can no longer post here."""
        old = self.chat.bot_status
        self.chat.bot_status = "kicked" if self.chat.type == "supergroup" else "left"
        seq = self.fake._next_seq()
        by._mark_action(seq)
        self._mark_action(seq)
        return self.fake._enqueue_update(
            {
                "my_chat_member": self.fake.member_update(
                    self.chat, by.user, old, self.chat.bot_status
                )
            }
        )

    async def promote_bot(self, *, by: Person) -> dict | None:
        """Make the bot an administrator (it then sees every message despite privacy mode)."""
        old = self.chat.bot_status
        self.chat.bot_status = "administrator"
        return self.fake._enqueue_update(
            {"my_chat_member": self.fake.member_update(self.chat, by.user, old, "administrator")}
        )

    async def migrate_to_supergroup(self, *, by: Person | None = None) -> int:
        """Upgrade to a supergroup with a new id, as Telegram does; returns the new chat id.

        The bot gets a message with migrate_to_chat_id in the old chat and one with
        migrate_from_chat_id in the new one; later calls to the old id answer 400 with
        parameters.migrate_to_chat_id.
        """
        if self.chat.type != "group":
            raise AssertionError(f"{self} is already a supergroup")
        actor = by or self._creator()
        old = self.chat
        new = self.fake._new_group_chat(old.title or "", supergroup=True, username=old.username)
        new.members = dict(old.members)
        new.bot_status = old.bot_status
        new.bot_was_member = old.bot_was_member
        new.migrated_from = old.id
        self._service_message(actor, {"migrate_to_chat_id": new.id})
        old.migrated_to = new.id
        self.chat = new
        self.lineage.append(new)
        self.fake._register_group(self, new.id)
        self._service_message(actor, {"migrate_from_chat_id": old.id})
        return new.id

    def _creator(self) -> Person:
        for user_id, status in self.chat.members.items():
            if status == "creator":
                return self.fake.person_by_id(user_id)
        raise AssertionError(f"{self} has no members; pass by=person")


__all__ = ["Group", "MessageRef", "Person", "make_png"]
