"""What each Bot API method does to the fake's state, after the call passed spec validation.

`BotApiMethods` is mixed into FakeTelegram: a method named `api_<methodName>` handles the Bot API
method of that name and returns its `result`, or raises ApiError with Telegram's wording
("Bad Request: chat not found", "Forbidden: bot was blocked by the user", "Bad Request: message
is not modified: ...", ...). Spec methods without a handler here are still validated; those
that return Boolean are answered `true`, the others are refused as not implemented (answering
`true` where PTB expects a Message would only fail later, far from the cause).

Why it is long: one handler per Bot API method the bot uses (about forty), each small; they
share the fake's state and are read as a table.
"""

from __future__ import annotations

import copy
import itertools
import json
import struct
import time
from typing import TYPE_CHECKING, Any

from bot.playground.botapi.bot_api_spec import ApiError, UploadedFile, bad_request
from bot.playground.botapi.fake_state import (
    CallbackAnswer,
    ChatMessage,
    ChatState,
    PollState,
    StoredFile,
    unix_now,
)
from bot.playground.botapi.telegram_html import FormattedText, format_text

if TYPE_CHECKING:
    from bot.playground.botapi.bot_api_spec import BotApiSpec
    from bot.playground.botapi.fake_state import CallbackQueryRecord

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
#: Telegram refuses to answer a callback query later than this.
CALLBACK_ANSWER_DEADLINE = 15.0


def state_error(message: str) -> ApiError:
    """A valid call that is wrong for the current state (chat not found, not modified...)."""
    return bad_request(message, kind="state")


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, GIF, JPEG or WebP; None when the bytes are no known image."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data.startswith(b"\xff\xd8"):
        index = 2
        while index + 9 < len(data):
            if data[index] != 0xFF:
                return None
            marker = data[index + 1]
            length = struct.unpack(">H", data[index + 2 : index + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                height, width = struct.unpack(">HH", data[index + 5 : index + 9])
                return width, height
            index += 2 + length
        return None
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return 512, 512
    return None


class BotApiMethods:
    """Handlers `api_<method>`; state lives in FakeTelegram (declared here for readers)."""

    spec: BotApiSpec
    bot_user: dict
    chats: dict[int, ChatState]
    users: dict[int, dict]
    files: dict[str, StoredFile]
    callback_queries: dict[str, CallbackQueryRecord]
    callback_answers: list[CallbackAnswer]
    polls: dict[str, PollState]
    commands: dict[tuple[str, str], list[dict]]
    menu_buttons: dict[int | None, dict]

    # Provided by FakeTelegram.
    def _next_seq(self) -> int: ...
    def _notify(self) -> None: ...
    def _check_flood(self, chat: ChatState, count: int = 1) -> None: ...
    def _store_file(
        self,
        kind: str,
        data: bytes,
        filename: str | None,
        mime_type: str | None,
        width: int | None = None,
        height: int | None = None,
    ) -> StoredFile: ...

    _ids: itertools.count

    # --- chats ---------------------------------------------------------------------------------

    def _find_chat(self, chat_id: int | str) -> ChatState:
        chat: ChatState | None = None
        if isinstance(chat_id, int):
            chat = self.chats.get(chat_id)
        elif chat_id.startswith("@"):
            # Only public groups and channels are reachable by @username, never users.
            wanted = chat_id[1:].lower()
            chat = next(
                (
                    candidate
                    for candidate in self.chats.values()
                    if not candidate.is_private and (candidate.username or "").lower() == wanted
                ),
                None,
            )
        if chat is None:
            raise state_error("chat not found")
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                parameters={"migrate_to_chat_id": chat.migrated_to},
                kind="state",
            )
        return chat

    def _writable_chat(self, chat_id: int | str) -> ChatState:
        """The chat, if the bot may post or change messages there right now."""
        chat = self._find_chat(chat_id)
        if chat.is_private:
            if chat.bot_status == "kicked":
                raise ApiError(403, "Forbidden: bot was blocked by the user", kind="forbidden")
            if not chat.started:
                raise ApiError(
                    403, "Forbidden: bot can't initiate conversation with a user", kind="forbidden"
                )
            return chat
        if chat.bot_status not in ("member", "administrator"):
            noun = "supergroup chat" if chat.type == "supergroup" else "group chat"
            if chat.bot_was_member:
                raise ApiError(403, f"Forbidden: bot was kicked from the {noun}", kind="forbidden")
            raise ApiError(403, f"Forbidden: bot is not a member of the {noun}", kind="forbidden")
        return chat

    def _message_in(self, chat: ChatState, message_id: int, missing: str) -> ChatMessage:
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise state_error(missing)
        return message

    # --- creating bot messages -----------------------------------------------------------------

    def _formatted(self, params: dict, name: str) -> FormattedText:
        entities_key = "entities" if name == "text" else f"{name}_entities"
        return format_text(params[name], params.get("parse_mode"), params.get(entities_key))

    def _post_bot_message(
        self, chat: ChatState, params: dict, content: dict, **extra: Any
    ) -> ChatMessage:
        raw: dict[str, Any] = {
            "message_id": chat.take_message_id(),
            "from": copy.deepcopy(self.bot_user),
            "chat": chat.to_chat(),
            "date": unix_now(),
        }
        reply_parameters = params.get("reply_parameters")
        if reply_parameters:
            replied = self._replied_message(chat, reply_parameters)
            if replied is not None:
                raw["reply_to_message"] = {
                    key: value for key, value in replied.raw.items() if key != "reply_to_message"
                }
        raw.update(content)
        markup = params.get("reply_markup")
        if markup is not None:
            if "inline_keyboard" in markup:
                raw["reply_markup"] = copy.deepcopy(markup)
            elif "keyboard" in markup:
                chat.reply_keyboard = copy.deepcopy(markup)
            elif markup.get("remove_keyboard"):
                chat.reply_keyboard = None
        seq = self._next_seq()
        message = ChatMessage(
            chat_id=chat.id,
            message_id=raw["message_id"],
            raw=raw,
            from_bot=True,
            seq=seq,
            changed_seq=seq,
            **extra,
        )
        chat.messages[message.message_id] = message
        self._notify()
        return message

    def _replied_message(self, chat: ChatState, reply_parameters: dict) -> ChatMessage | None:
        target_chat = chat
        if "chat_id" in reply_parameters:
            target_chat = self._find_chat(reply_parameters["chat_id"])
        replied = target_chat.messages.get(reply_parameters["message_id"])
        if replied is None or replied.deleted:
            if reply_parameters.get("allow_sending_without_reply"):
                return None
            raise state_error("message to be replied not found")
        return replied

    def _text_content(self, formatted: FormattedText, key: str = "text") -> dict:
        content: dict[str, Any] = {key: formatted.text}
        for entity in formatted.entities:
            if entity["type"] == "text_mention" and entity["user"]["id"] in self.users:
                entity["user"] = copy.deepcopy(self.users[entity["user"]["id"]])
        if formatted.entities:
            content["entities" if key == "text" else f"{key}_entities"] = formatted.entities
        return content

    def _caption_content(self, params: dict) -> dict:
        if not params.get("caption"):
            return {}
        formatted = self._formatted(params, "caption")
        return self._text_content(formatted, "caption") if formatted.text else {}

    def _input_file(self, value: UploadedFile | str, kind: str) -> StoredFile:
        """Store an upload (attach:// references are already resolved), or find a file_id."""
        if isinstance(value, UploadedFile):
            return self._store_upload(value, kind)
        if value.startswith(("http://", "https://")):
            raise state_error(
                "wrong file identifier/HTTP URL specified (the fake Bot API cannot download "
                "URLs; upload the bytes instead)"
            )
        stored = self.files.get(value)
        if stored is None:
            raise state_error("wrong file identifier/HTTP URL specified")
        if kind == "photo" and stored.kind != "photo":
            raise state_error(f"can't use file of type {stored.kind.title()} as Photo")
        return stored

    def _store_upload(self, upload: UploadedFile, kind: str) -> StoredFile:
        if not upload.data:
            raise bad_request("file must be non-empty")
        if kind == "photo":
            if len(upload.data) > MAX_PHOTO_BYTES:
                raise bad_request("PHOTO_INVALID_DIMENSIONS (photo larger than 10 MB)")
            size = image_size(upload.data)
            if size is None:
                raise bad_request("IMAGE_PROCESS_FAILED")
            width, height = size
            if width + height > 10000 or max(width, height) > 20 * max(min(width, height), 1):
                raise bad_request("PHOTO_INVALID_DIMENSIONS")
            return self._store_file(
                "photo", upload.data, upload.filename, upload.content_type, width, height
            )
        if len(upload.data) > MAX_UPLOAD_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        return self._store_file(kind, upload.data, upload.filename, upload.content_type)

    # --- sending -------------------------------------------------------------------------------

    async def api_sendMessage(self, params: dict) -> dict:
        chat = self._writable_chat(params["chat_id"])
        formatted = self._formatted(params, "text")
        self._check_flood(chat)
        message = self._post_bot_message(
            chat,
            params,
            self._text_content(formatted),
            html=params["text"],
            parse_mode=params.get("parse_mode"),
        )
        return message.snapshot()

    async def api_sendPhoto(self, params: dict) -> dict:
        chat = self._writable_chat(params["chat_id"])
        stored = self._input_file(params["photo"], "photo")
        content = self._caption_content(params)
        self._check_flood(chat)
        message = self._post_bot_message(
            chat,
            params,
            {"photo": [stored.photo_size()], **content},
            html=params.get("caption"),
            parse_mode=params.get("parse_mode"),
            photo=stored,
        )
        return message.snapshot()

    async def api_sendDocument(self, params: dict) -> dict:
        chat = self._writable_chat(params["chat_id"])
        stored = self._input_file(params["document"], "document")
        content = self._caption_content(params)
        self._check_flood(chat)
        message = self._post_bot_message(
            chat,
            params,
            {"document": stored.document(), **content},
            html=params.get("caption"),
            parse_mode=params.get("parse_mode"),
            document=stored,
        )
        return message.snapshot()

    async def api_sendMediaGroup(self, params: dict) -> list:
        chat = self._writable_chat(params["chat_id"])
        prepared = []
        for index, media in enumerate(params["media"]):
            if media["type"] not in ("photo", "document"):
                # Videos, audio and live photos would need their metadata invented.
                raise bad_request(
                    f"media #{index + 1}: the fake Bot API only implements photo and document "
                    "albums"
                )
            stored = self._input_file(media["media"], media["type"])
            prepared.append((media, stored))
        self._check_flood(chat, count=len(prepared))
        group_id = str(10_000_000 + next(self._ids))
        results = []
        for media, stored in prepared:
            content: dict[str, Any] = {"media_group_id": group_id}
            if stored.kind == "photo":
                content["photo"] = [stored.photo_size()]
            else:
                content["document"] = stored.document()
            content.update(self._caption_content(media))
            message = self._post_bot_message(
                chat,
                params,
                content,
                html=media.get("caption"),
                parse_mode=media.get("parse_mode"),
                photo=stored if stored.kind == "photo" else None,
                document=stored if stored.kind != "photo" else None,
            )
            results.append(message.snapshot())
        return results

    async def api_sendPoll(self, params: dict) -> dict:
        chat = self._writable_chat(params["chat_id"])
        poll_type = params.get("type", "regular")
        if poll_type not in ("regular", "quiz"):
            raise bad_request("poll type is invalid")
        correct = params.get("correct_option_ids")
        if poll_type == "quiz" and not correct:
            raise bad_request("a quiz needs correct_option_ids")
        options = [option["text"] for option in params["options"]]
        if len(set(options)) != len(options):
            raise bad_request("POLL_OPTION_DUPLICATE")
        self._check_flood(chat)
        poll = PollState(
            poll_id=str(5_000_000_000 + next(self._ids)),
            question=format_text(params["question"], params.get("question_parse_mode"), None).text,
            options=options,
            is_anonymous=params.get("is_anonymous", True),
            poll_type=poll_type,
            allows_multiple_answers=params.get("allows_multiple_answers", False),
            correct_option_ids=correct,
            is_closed=params.get("is_closed", False),
            chat_id=chat.id,
        )
        message = self._post_bot_message(chat, params, {"poll": poll.to_poll()}, poll=poll)
        poll.message_id = message.message_id
        self.polls[poll.poll_id] = poll
        return message.snapshot()

    async def api_stopPoll(self, params: dict) -> dict:
        chat = self._writable_chat(params["chat_id"])
        message = self._message_in(
            chat, params["message_id"], "message with poll to stop not found"
        )
        if message.poll is None:
            raise state_error("message with poll to stop not found")
        if not message.from_bot:
            raise state_error("poll can't be stopped")
        if message.poll.is_closed:
            raise state_error("poll has already been closed")
        message.poll.is_closed = True
        message.raw["poll"] = message.poll.to_poll()
        if "reply_markup" in params:
            message.raw["reply_markup"] = copy.deepcopy(params["reply_markup"])
        message.changed_seq = self._next_seq()
        self._notify()
        return message.poll.to_poll()

    async def api_sendChatAction(self, params: dict) -> bool:
        chat = self._writable_chat(params["chat_id"])
        chat.chat_actions.append(params["action"])
        return True

    # --- editing and deleting ------------------------------------------------------------------

    def _message_to_edit(self, params: dict) -> ChatMessage:
        if "inline_message_id" in params:
            raise state_error("MESSAGE_ID_INVALID (the fake has no inline messages)")
        if "chat_id" not in params:
            raise bad_request("chat_id is empty")
        if "message_id" not in params:
            raise bad_request("message identifier is not specified")
        chat = self._writable_chat(params["chat_id"])
        message = self._message_in(chat, params["message_id"], "message to edit not found")
        if not message.from_bot:
            raise state_error("message can't be edited")
        return message

    def _apply_edit(self, message: ChatMessage, changes: dict, removals: tuple[str, ...]) -> dict:
        """Apply an edit, refusing one that changes nothing like Telegram does."""
        before = {key: message.raw.get(key) for key in (*changes, *removals)}
        after = {**{key: None for key in removals}, **changes}
        if before == after:
            raise state_error(NOT_MODIFIED)
        message.history.append(copy.deepcopy(message.raw))
        for key in removals:
            message.raw.pop(key, None)
        message.raw.update(copy.deepcopy(changes))
        message.raw["edit_date"] = unix_now()
        message.edit_count += 1
        message.changed_seq = message.edited_seq = self._next_seq()
        self._notify()
        return message.snapshot()

    @staticmethod
    def _markup_change(params: dict) -> tuple[dict, tuple[str, ...]]:
        # Leaving reply_markup out of an edit removes the inline keyboard, as in Telegram.
        if params.get("reply_markup") is not None:
            return {"reply_markup": params["reply_markup"]}, ()
        return {}, ("reply_markup",)

    async def api_editMessageText(self, params: dict) -> dict:
        message = self._message_to_edit(params)
        if "text" not in message.raw:
            raise state_error("there is no text in the message to edit")
        if "text" not in params:
            raise bad_request("message text is empty")
        formatted = self._formatted(params, "text")
        changes, removals = self._markup_change(params)
        changes["text"] = formatted.text
        if formatted.entities:
            changes["entities"] = formatted.entities
        else:
            removals = (*removals, "entities")
        result = self._apply_edit(message, changes, removals)
        message.html = params["text"]
        message.parse_mode = params.get("parse_mode")
        return result

    async def api_editMessageCaption(self, params: dict) -> dict:
        message = self._message_to_edit(params)
        if "text" in message.raw or "poll" in message.raw:
            raise state_error("there is no caption in the message to edit")
        changes, removals = self._markup_change(params)
        caption = self._caption_content(params)
        changes.update(caption)
        removals = (
            *removals,
            *(key for key in ("caption", "caption_entities") if key not in caption),
        )
        result = self._apply_edit(message, changes, removals)
        message.html = params.get("caption")
        message.parse_mode = params.get("parse_mode")
        return result

    async def api_editMessageReplyMarkup(self, params: dict) -> dict:
        message = self._message_to_edit(params)
        changes, removals = self._markup_change(params)
        return self._apply_edit(message, changes, removals)

    def _delete(self, chat: ChatState, message: ChatMessage) -> None:
        if not chat.is_private and not message.from_bot and chat.bot_status != "administrator":
            raise state_error("message can't be deleted")
        message.deleted = True
        message.changed_seq = self._next_seq()
        self._notify()

    async def api_deleteMessage(self, params: dict) -> bool:
        chat = self._writable_chat(params["chat_id"])
        message = self._message_in(chat, params["message_id"], "message to delete not found")
        self._delete(chat, message)
        return True

    async def api_deleteMessages(self, params: dict) -> bool:
        chat = self._writable_chat(params["chat_id"])
        for message_id in params["message_ids"]:
            message = chat.messages.get(message_id)
            if message is not None and not message.deleted:
                # Telegram skips messages it cannot find or delete.
                try:
                    self._delete(chat, message)
                except ApiError:
                    continue
        return True

    async def api_pinChatMessage(self, params: dict) -> bool:
        chat = self._writable_chat(params["chat_id"])
        self._message_in(chat, params["message_id"], "message to pin not found")
        if not chat.is_private and chat.bot_status != "administrator":
            raise state_error("not enough rights to manage pinned messages in the chat")
        chat.pinned_message_ids.append(params["message_id"])
        return True

    async def api_unpinChatMessage(self, params: dict) -> bool:
        chat = self._writable_chat(params["chat_id"])
        message_id = params.get("message_id")
        if message_id is None and chat.pinned_message_ids:
            message_id = chat.pinned_message_ids[-1]
        if message_id in chat.pinned_message_ids:
            chat.pinned_message_ids.remove(message_id)
        return True

    async def api_unpinAllChatMessages(self, params: dict) -> bool:
        self._writable_chat(params["chat_id"]).pinned_message_ids.clear()
        return True

    # --- callback queries ----------------------------------------------------------------------

    async def api_answerCallbackQuery(self, params: dict) -> bool:
        record = self.callback_queries.get(params["callback_query_id"])
        too_late = record is not None and (
            time.monotonic() - record.created > CALLBACK_ANSWER_DEADLINE
        )
        if record is None or record.answered or too_late:
            raise state_error(QUERY_TOO_OLD)
        record.answered = True
        self.callback_answers.append(
            CallbackAnswer(
                query_id=record.query_id,
                user_id=record.user_id,
                text=params.get("text"),
                show_alert=params.get("show_alert", False),
                url=params.get("url"),
                cache_time=params.get("cache_time"),
                chat_id=record.chat_id,
                message_id=record.message_id,
                time=time.monotonic(),
            )
        )
        self._notify()
        return True

    # --- files ---------------------------------------------------------------------------------

    async def api_getFile(self, params: dict) -> dict:
        stored = self.files.get(params["file_id"])
        if stored is None:
            raise state_error("invalid file_id")
        if stored.size > MAX_DOWNLOAD_BYTES:
            raise state_error("file is too big")
        return stored.as_file()

    # --- bot settings --------------------------------------------------------------------------

    @staticmethod
    def _commands_key(params: dict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.get("language_code", "")

    async def api_setMyCommands(self, params: dict) -> bool:
        self.commands[self._commands_key(params)] = copy.deepcopy(params["commands"])
        return True

    async def api_getMyCommands(self, params: dict) -> list:
        return copy.deepcopy(self.commands.get(self._commands_key(params), []))

    async def api_deleteMyCommands(self, params: dict) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    async def api_setChatMenuButton(self, params: dict) -> bool:
        chat_id = params.get("chat_id")
        if chat_id is not None:
            chat = self._find_chat(chat_id)
            if not chat.is_private:
                raise bad_request("menu button can be set only in private chats")
        self.menu_buttons[chat_id] = copy.deepcopy(params.get("menu_button") or {"type": "default"})
        return True

    async def api_getChatMenuButton(self, params: dict) -> dict:
        chat_id = params.get("chat_id")
        if chat_id in self.menu_buttons:
            return copy.deepcopy(self.menu_buttons[chat_id])
        return copy.deepcopy(self.menu_buttons.get(None, {"type": "commands"}))

    async def api_getMe(self, params: dict) -> dict:
        return copy.deepcopy(self.bot_user)

    async def api_logOut(self, params: dict) -> bool:
        return True

    async def api_close(self, params: dict) -> bool:
        return True

    # --- chats and members ---------------------------------------------------------------------

    async def api_getChat(self, params: dict) -> dict:
        chat = self._find_chat(params["chat_id"])
        info = chat.to_chat()
        info.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                    "gifts_from_channels": False,
                },
            }
        )
        if chat.pinned_message_ids:
            pinned = chat.messages.get(chat.pinned_message_ids[-1])
            if pinned is not None and not pinned.deleted:
                info["pinned_message"] = pinned.snapshot()
        return info

    def _member(self, chat: ChatState, user_id: int) -> dict:
        if user_id == self.bot_user["id"]:
            return self.chat_member(self.bot_user, chat.bot_status)
        if user_id not in self.users:
            raise state_error("user not found")
        if chat.is_private:
            status = "member" if user_id == chat.id else "left"
        else:
            status = chat.members.get(user_id, "left")
        return self.chat_member(self.users[user_id], status)

    def chat_member(self, user: dict, status: str) -> dict:
        """A ChatMember object of the right subtype for `status`."""
        member: dict[str, Any] = {"status": status, "user": copy.deepcopy(user)}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            admin_type = self.spec.types["ChatMemberAdministrator"]
            for spec_field in admin_type.fields.values():
                if spec_field.required and spec_field.types == ("Boolean",):
                    member[spec_field.name] = spec_field.name not in (
                        "can_be_edited",
                        "is_anonymous",
                    )
        elif status == "kicked":
            member["until_date"] = 0
        return member

    def member_update(self, chat: ChatState, by_user: dict, old: str, new: str) -> dict:
        """The ChatMemberUpdated object of a my_chat_member update (the bot's status changed)."""
        return {
            "chat": chat.to_chat(),
            "from": copy.deepcopy(by_user),
            "date": unix_now(),
            "old_chat_member": self.chat_member(self.bot_user, old),
            "new_chat_member": self.chat_member(self.bot_user, new),
        }

    async def api_getChatMember(self, params: dict) -> dict:
        chat = self._find_chat(params["chat_id"])
        return self._member(chat, params["user_id"])

    async def api_getChatAdministrators(self, params: dict) -> list:
        chat = self._find_chat(params["chat_id"])
        if chat.is_private:
            raise state_error("there are no administrators in the private chat")
        admins = [
            self._member(chat, user_id)
            for user_id, status in chat.members.items()
            if status in ("creator", "administrator")
        ]
        if chat.bot_status == "administrator":
            admins.append(self._member(chat, self.bot_user["id"]))
        return admins

    async def api_getChatMemberCount(self, params: dict) -> int:
        chat = self._find_chat(params["chat_id"])
        if chat.is_private:
            return 2
        present = sum(1 for status in chat.members.values() if status not in ("left", "kicked"))
        return present + (1 if chat.bot_status in ("member", "administrator") else 0)

    async def api_leaveChat(self, params: dict) -> bool:
        chat = self._find_chat(params["chat_id"])
        if chat.is_private:
            raise state_error("chat member status can't be changed in private chats")
        chat.bot_status = "left"
        self._notify()
        return True
