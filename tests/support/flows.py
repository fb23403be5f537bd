"""Steps that many end-to-end tests share: start a team, join it, answer, read what was stored.

They drive the real bot through the fake Bot API exactly as people would, and assert on what
each step must show before the next one starts.
"""

from __future__ import annotations

import re

from sqlmodel import select

from criteria.loader import DEFAULT_PACK_ID, load_packs
from criteria.model import MATURITY_LEVELS
from storage.models import Answer, Person

PACK = load_packs().get(DEFAULT_PACK_ID)
QUESTIONS = PACK.questions()
INVITE_LINK = re.compile(r"https://t\.me/(\w+)\?start=([A-Za-z0-9_-]+)")


async def start_team(fake, manager_name: str = "Maria") -> tuple[object, str]:
    """A manager creates a team; returns the manager and the invite token."""
    manager = fake.person(manager_name)
    await manager.command("/newteam", f"Front desk <North> & Co {DEFAULT_PACK_ID}")
    created = await manager.wait_for_message(contains="is ready")
    match = INVITE_LINK.search(created.text)
    assert match, created.text
    assert match.group(1) == fake.bot_username
    assert "Front desk <North> & Co" in created.text  # shown exactly as typed, escaped in HTML
    assert any("Share" in text for text in created.button_texts)
    return manager, match.group(2)


async def join(fake, name: str, token: str):
    person = fake.person(name)
    await person.command("/start", token)
    first = await person.wait_for_message(contains=QUESTIONS[0].text)
    assert "Welcome to" in first.text
    return person, first


async def answer_current(person, text: str, rating: int | None = 0):
    """Type an answer to the open question, then rate it (or tap Next)."""
    await person.send(text)
    saved = await person.wait_for_message(contains="Saved")
    if rating is None:
        await person.press(saved, "Next without rating ➡️")
    else:
        await person.press(saved, MATURITY_LEVELS[rating].label)


async def stored_answers(db, telegram_user_id: int) -> dict[str, Answer]:
    async with db.sessions() as session:
        person = (
            await session.execute(select(Person).where(Person.telegram_user_id == telegram_user_id))
        ).scalar_one()
        rows = await session.execute(select(Answer).where(Answer.person_id == person.id))
        return {answer.question_id: answer for answer in rows.scalars()}
