"""What the page shows, as JSON: chats, their messages, the command menu and refused calls.

Messages go out as Telegram sends them to clients (text plus entities, not the bot's HTML), so the
page formats exactly what Telegram parsed, the way a Telegram app does.
"""

from __future__ import annotations

import json
from typing import Any

from bot.playground.botapi.fake_state import ChatMessage, ChatState
from bot.playground.world import PlaygroundBotApi, World


def people_view(world: World) -> list[dict]:
    return [
        {
            "id": person.id,
            "name": person.first_name,
            "language": person.user.get("language_code") or "",
            "note": world.notes.get(person.id, ""),
            "blocked": person.has_blocked_bot,
        }
        for person in world.people.values()
    ]


def chats_of(world: World, user_id: int) -> list[dict]:
    """The chats this person sees in their chat list: the bot, and the groups they are in."""
    person = world.person(user_id)
    chats = [{"id": person.chat_id, "title": world.fake.bot_user["first_name"], "type": "private"}]
    for group in world.groups.values():
        if person.id in group.chat.members:
            chats.append({"id": group.chat_id, "title": group.title, "type": group.chat.type})
    return chats


def chat_view(world: World, user_id: int, chat_id: int) -> dict:
    fake = world.fake
    chat = fake.chats[chat_id]
    person = world.person(user_id)
    messages = [
        message_view(fake, message, user_id)
        for message in chat.messages.values()
        if not message.deleted
    ]
    return {
        "chat": {"id": chat.id, "type": chat.type, "title": chat.title or fake.bot_username},
        "messages": messages,
        "refusals": refusals_in(fake, chat),
        "reply_keyboard": _reply_keyboard(chat),
        "commands": commands_for(fake, chat, person.user.get("language_code") or ""),
        "callback_answers": [
            {
                "index": index,
                "text": answer.text or "",
                "alert": answer.show_alert,
                "url": answer.url or "",
            }
            for index, answer in enumerate(fake.callback_answers)
            if answer.user_id == user_id and (answer.text or answer.url)
        ][-5:],
        "blocked": person.has_blocked_bot if chat.is_private else False,
    }


def message_view(fake: PlaygroundBotApi, message: ChatMessage, viewer_id: int) -> dict:
    raw = message.raw
    view: dict[str, Any] = {
        "id": message.message_id,
        "seq": message.seq,
        "from_bot": message.from_bot,
        "mine": not message.from_bot and raw.get("from", {}).get("id") == viewer_id,
        "sender": raw.get("from", {}).get("first_name", ""),
        "date": raw.get("date"),
        "text": raw.get("text") or raw.get("caption") or "",
        "entities": raw.get("entities") or raw.get("caption_entities") or [],
        "edited": bool(message.edit_count or raw.get("edit_date")),
        # People edit their own texts and captions; the bot's edits come from the bot.
        "editable": not message.from_bot and ("text" in raw or "caption" in raw),
        "keyboard": (raw.get("reply_markup") or {}).get("inline_keyboard") or [],
    }
    if "photo" in raw:
        view["photo"] = _file_url(raw["photo"][-1]["file_id"])
    for kind in ("document", "voice", "audio", "video"):
        if kind in raw:
            item = raw[kind]
            view[kind] = {
                "name": item.get("file_name") or kind,
                "size": item.get("file_size", 0),
                "duration": item.get("duration"),
                "url": _file_url(item["file_id"]),
            }
    if "sticker" in raw:
        view["sticker"] = raw["sticker"].get("emoji", "🖼")
    if message.poll is not None:
        poll = message.poll.to_poll()
        view["poll"] = {
            "question": poll["question"],
            "options": [option["text"] for option in poll["options"]],
            "counts": [option["voter_count"] for option in poll["options"]],
            "total": poll["total_voter_count"],
            "closed": poll["is_closed"],
            "anonymous": poll["is_anonymous"],
            "multiple": poll["allows_multiple_answers"],
            "mine": message.poll.votes.get(viewer_id, []),
        }
    service = _service_text(fake, raw)
    if service:
        view["service"] = service
    replied = raw.get("reply_to_message")
    if replied:
        view["reply_to"] = {
            "sender": replied.get("from", {}).get("first_name", ""),
            "text": (replied.get("text") or replied.get("caption") or "")[:80],
        }
    return view


def _file_url(file_id: str) -> str:
    return f"/files/{file_id}"


def _service_text(fake: PlaygroundBotApi, raw: dict) -> str | None:
    who = raw.get("from", {}).get("first_name", "")
    if "new_chat_members" in raw:
        names = ", ".join(user.get("first_name", "") for user in raw["new_chat_members"])
        return f"{who} added {names}" if names != who else f"{who} joined the group"
    if "left_chat_member" in raw:
        return f"{raw['left_chat_member'].get('first_name', '')} left the group"
    if "migrate_to_chat_id" in raw or "migrate_from_chat_id" in raw:
        return "The group was upgraded to a supergroup"
    return None


def _reply_keyboard(chat: ChatState) -> list[list[str]] | None:
    if chat.reply_keyboard is None:
        return None
    return [[button["text"] for button in row] for row in chat.reply_keyboard["keyboard"]]


def commands_for(fake: PlaygroundBotApi, chat: ChatState, language: str) -> list[dict]:
    """The menu Telegram would show here: the narrowest scope set, in the app's language first
    (Telegram's order of scopes for a chat without chat-specific commands)."""
    scope = "all_private_chats" if chat.is_private else "all_group_chats"
    for scope_type in (scope, "default"):
        key = json.dumps({"type": scope_type}, sort_keys=True)
        for code in (language, ""):
            commands = fake.commands.get((key, code))
            if commands:
                return commands
    return []


def refusals_in(fake: PlaygroundBotApi, chat: ChatState) -> list[dict]:
    """Calls Telegram would have refused that were meant for this chat (or for no chat)."""
    shown = []
    for seq, call in zip(fake.refusal_seqs, fake.rejected_calls, strict=False):
        target = call.params.get("chat_id")
        if target is not None and str(target) != str(chat.id):
            continue
        shown.append(
            {
                "seq": seq,
                "method": call.method,
                "error_code": call.error_code,
                "description": call.description,
            }
        )
    return shown


def internal_errors(fake: PlaygroundBotApi) -> list[str]:
    return list(fake.internal_errors)
