"""The playground's Telegram world: the local Bot API, the people one plays, the team's group.

The Bot API keeps chats in memory; who exists (people's Telegram ids, names and languages, the
group's id and members) is saved beside the database, so after a restart the bot's rows still
belong to the same people. Chat history is not saved: Telegram clients reload it, we cannot.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.playground.botapi.bot_api_spec import ApiError
from bot.playground.botapi.fake_state import ApiCall
from bot.playground.botapi.fake_telegram import FakeTelegram
from bot.playground.botapi.people import Group, Person

log = logging.getLogger(__name__)

# Ids of their own, apart from the ones FakeTelegram hands out, so restored people never collide.
PERSON_ID_BASE = 2_000_000_000
GROUP_ID_BASE = 4_100_000_000
BOT_TOKEN = "7000000001:PLAYGROUND-local-bot-token-not-real"
BOT_USERNAME = "BaldrigePlaygroundBot"
BOT_NAME = "Baldrige Assessment (playground)"


class PlaygroundBotApi(FakeTelegram):
    """The strict local Bot API, remembering when each refusal happened among the messages, so
    the page shows a refused call where it happened in the chat."""

    def __init__(self, **options: Any) -> None:
        super().__init__(
            token=BOT_TOKEN, bot_username=BOT_USERNAME, bot_first_name=BOT_NAME, **options
        )
        #: For each entry of rejected_calls: the sequence number of the world at that moment.
        self.refusal_seqs: list[int] = []

    def _refuse(self, call: ApiCall, error: ApiError) -> web.Response:
        self.refusal_seqs.append(self._next_seq())
        response = super()._refuse(call, error)
        log.warning("Telegram would refuse %s: %s", call.method, self.rejected_calls[-1])
        return response


class World:
    """Who plays: people (with a private chat with the bot each) and the team's group chat."""

    def __init__(self, fake: FakeTelegram, path: Path | None) -> None:
        self.fake = fake
        self.path = path
        self.people: dict[int, Person] = {}
        #: Shown next to a name in the page's switcher ("manager"): the demo knows its roles.
        self.notes: dict[int, str] = {}
        self.groups: dict[int, Group] = {}
        self.demo_seeded = False

    # --- people and groups ---------------------------------------------------------------------

    def add_person(
        self,
        first_name: str,
        language_code: str = "en",
        *,
        user_id: int | None = None,
        note: str = "",
        started: bool = False,
    ) -> Person:
        user_id = user_id or max([PERSON_ID_BASE, *self.people]) + 1
        person = self.fake.person(
            first_name.strip()[:64] or "Someone",
            language_code=language_code or None,
            user_id=user_id,
            started=started,
        )
        self.people[person.id] = person
        if note:
            self.notes[person.id] = note
        return person

    def add_group(self, title: str, members: list[Person], *, chat_id: int | None = None) -> Group:
        """A group with these members and the bot already in it (no updates: as if long ago)."""
        chat_id = chat_id or min([-GROUP_ID_BASE, *self.groups]) - 1
        group = self.fake.group(title, members=members, chat_id=chat_id)
        group.chat.bot_status = "member"
        group.chat.bot_was_member = True
        self.groups[group.chat_id] = group
        return group

    def person(self, user_id: int) -> Person:
        try:
            return self.people[user_id]
        except KeyError:
            raise web.HTTPNotFound(text=f"no person {user_id}") from None

    def group(self, chat_id: int) -> Group:
        try:
            return self.groups[chat_id]
        except KeyError:
            raise web.HTTPNotFound(text=f"no group {chat_id}") from None

    # --- saving --------------------------------------------------------------------------------

    def save(self) -> None:
        if self.path is None:
            return
        data = {
            "demo_seeded": self.demo_seeded,
            "people": [
                {
                    "id": person.id,
                    "first_name": person.first_name,
                    "language_code": person.user.get("language_code") or "",
                    "note": self.notes.get(person.id, ""),
                }
                for person in self.people.values()
            ],
            "groups": [
                {
                    "chat_id": group.chat_id,
                    "title": group.title,
                    "members": list(group.chat.members),
                }
                for group in self.groups.values()
            ],
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, fake: FakeTelegram, path: Path) -> World | None:
        """The world saved at `path`, or None when there is none yet."""
        if not path.exists():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        world = cls(fake, path)
        world.demo_seeded = bool(data.get("demo_seeded"))
        for saved in data.get("people", []):
            # They wrote to the bot in an earlier run, so the bot may write to them.
            world.add_person(
                saved["first_name"],
                saved.get("language_code", "en"),
                user_id=saved["id"],
                note=saved.get("note", ""),
                started=True,
            )
        for saved in data.get("groups", []):
            members = [world.people[i] for i in saved.get("members", []) if i in world.people]
            world.add_group(saved["title"], members, chat_id=saved["chat_id"])
        return world
