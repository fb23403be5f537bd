"""Helpers for tests in a team's group chat: a linked group, a team with members, stored rows."""

from __future__ import annotations

import asyncio

from sqlmodel import select

from bot.core.callbacks import team_data
from storage.models import GroupLink, Person
from tests.support.flows import PACK, QUESTIONS, answer_current, join, start_team

AREAS = PACK.areas()
FIRST_AREA = AREAS[0]


async def linked_group(fake, manager, title: str = "Front desk chat"):
    """The manager adds the bot to a new group and links it to their team."""
    group = fake.group(title, members=[manager])
    await group.add_bot(by=manager)
    await group.wait_for_message(contains="Hello")
    await manager.command("/link", chat=group)
    await group.wait_for_message(contains="now linked")
    return group


async def team_with_members(fake, *names: str):
    manager, token = await start_team(fake)
    members = [(await join(fake, name, token))[0] for name in names]
    return manager, token, members


async def answer_first(person, text: str, rating: int, *, manager: bool = False):
    """Answer and rate the first question, and wait until the rating is saved (the next
    question shows). A manager starts with /next: creating the team opened no question."""
    if manager:
        await person.command("/next")
        await person.wait_for_message(contains=QUESTIONS[0].text)
    await answer_current(person, text, rating=rating)
    await person.wait_for_message(contains=QUESTIONS[1].text)


async def alert_for(fake, person, count_before: int) -> str:
    """The text of the next alert shown to `person` on a button press."""

    def new_alert():
        alerts = [a for a in person.callback_answers if a.show_alert]
        return alerts[count_before] if len(alerts) > count_before else None

    answer = await fake.wait_until(new_alert)
    return answer.text


def alerts_of(person) -> int:
    return sum(1 for a in person.callback_answers if a.show_alert)


async def stored(db, model, *conditions):
    async with db.sessions() as session:
        return list((await session.execute(select(model).where(*conditions))).scalars())


async def stored_when(db, check, model, *conditions, timeout: float = 5.0):  # noqa: ASYNC109
    """The rows once `check(rows)` holds: updates without a reply (votes, the bot removed)
    give the test nothing to wait for but the database."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        rows = await stored(db, model, *conditions)
        if check(rows) or asyncio.get_running_loop().time() > deadline:
            return rows
        await asyncio.sleep(0.05)


async def person_id(db, someone) -> int:
    async with db.sessions() as session:
        return (
            await session.execute(
                select(Person.id).where(Person.telegram_user_id == someone.user_id)
            )
        ).scalar_one()


async def remove_from_team(fake, db, manager, someone) -> None:
    """The manager removes `someone` with the confirmation button of /team."""
    (link,) = await stored(db, GroupLink)
    await manager.command("/team")
    roster = await manager.wait_for_message(contains="members")
    await manager.press_data(roster, team_data("rmy", link.team_id, await person_id(db, someone)))
    await manager.wait_for_edit(roster)
    assert "was removed" in roster.text
