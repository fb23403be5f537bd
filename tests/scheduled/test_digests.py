"""Digests: to the managers and the linked group, with unreachable members and /digest."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import update

from bot.scheduled import jobs
from bot.services.deliveries import DeliveryKind
from storage.models import (
    AssessmentRound,
    GroupLink,
    Person,
)
from storage.types import utcnow
from tests.support.botrunner import running_bot
from tests.support.schedules import (
    DIGEST,
    FRIDAY_DIGEST,
    PACK,
    QUESTIONS,
    answer,
    deliveries_of,
    digests_to,
    reminders_to,
    seed_team,
)

# --- digests -----------------------------------------------------------------------------------


async def test_digest_to_managers_and_the_group_with_change_since_last_week(fake, db):
    seeded = await seed_team(db, fake, members=("Alice", "Bob"), digest_to_group=True)
    maria, alice = seeded.people["Maria"], seeded.people["Alice"]
    group = fake.group("Front desk chat", members=[maria, alice])
    await group.add_bot(by=maria)
    async with db.sessions() as session:
        session.add(GroupLink(chat_id=group.chat_id, team_id=seeded.team_id, title="chat"))
        await session.execute(update(AssessmentRound).values(due_date=date(2030, 12, 6)))
        await session.commit()
    await answer(db, seeded, "Maria")
    await answer(db, seeded, "Alice", count=2)
    async with running_bot(fake, db.url) as app:
        await jobs.run_slot(app, seeded.team_id, DIGEST, "2030-W48", FRIDAY_DIGEST)
        digest = await maria.wait_for_message(contains="Weekly digest")
        assert "Front desk <North>" in digest.text and "due Fri 06 Dec (7 days left)" in digest.text
        assert "1 of 3 people finished" in digest.text
        assert "since" not in digest.text  # nothing to compare with yet
        first_area = PACK.areas()[0]
        assert f"{first_area.title} (2): Alice, Bob" in digest.text
        heatmap = await maria.wait_for_message(lambda m: m.photo is not None)
        assert heatmap.photo.data.startswith(b"\x89PNG")
        assert "share of each area answered" in heatmap.text

        in_group = await group.wait_for_message(contains="Weekly digest")
        assert "Alice" not in in_group.text and "Bob" not in in_group.text
        assert f"{first_area.title}: 2 people to finish" in in_group.text
        assert not any(m.photo for m in group.messages)
        assert not reminders_to(alice) and not digests_to(alice)

        await answer(db, seeded, "Bob")  # a week of work: Bob finishes everything
        await jobs.run_slot(app, seeded.team_id, DIGEST, "2030-W49", FRIDAY_DIGEST + timedelta(7))
        second = await maria.wait_for_message(contains="Weekly digest")
    week1 = round(100 * (len(QUESTIONS) + 2) / (3 * len(QUESTIONS)))
    week2 = round(100 * (2 * len(QUESTIONS) + 2) / (3 * len(QUESTIONS)))
    assert f"{week2}%</b>" not in second.text  # the text is plain: check the visible numbers
    assert f"{week2}% answered (▲ {week2 - week1} pts since" in second.text
    assert "2 of 3 people finished" in second.text
    runs = await deliveries_of(db, DeliveryKind.DIGEST_RUN)
    assert {json.loads(r.detail)["done"] for r in runs} == {
        len(QUESTIONS) + 2,
        2 * len(QUESTIONS) + 2,
    }


async def test_digest_lists_unreachable_members(fake, db):
    seeded = await seed_team(db, fake, members=("Alice", "Dave"))
    async with db.sessions() as session:
        await session.execute(
            update(Person)
            .where(Person.id == seeded.person_ids["Dave"])
            .values(unreachable_since=utcnow())
        )
        await session.commit()
    async with running_bot(fake, db.url) as app:
        await jobs.run_slot(app, seeded.team_id, DIGEST, "2030-W48", FRIDAY_DIGEST)
        digest = await seeded.people["Maria"].wait_for_message(contains="Weekly digest")
        assert "Cannot be reached (they blocked the bot): Dave" in digest.text


async def test_digest_command_is_for_managers(fake, db):
    seeded = await seed_team(db, fake, members=("Alice",))
    maria, alice = seeded.people["Maria"], seeded.people["Alice"]
    async with running_bot(fake, db.url):
        await maria.command("/digest")
        await maria.wait_for_message(contains="Weekly digest")
        await maria.wait_for_message(lambda m: m.photo is not None)
        await alice.command("/digest")
        await alice.wait_for_message(contains="for a team's managers")
    assert not await deliveries_of(db, DeliveryKind.DIGEST)  # the scheduled one still goes out
