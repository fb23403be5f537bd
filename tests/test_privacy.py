"""People's own data end to end: /mydata sends all of it, /forget deletes all of it, and neither
ever touches anyone else's."""

from __future__ import annotations

import json

from sqlmodel import func, select

from bot.callbacks import privacy_data
from storage.models import (
    Answer,
    AnswerRevision,
    Conversation,
    Delivery,
    Membership,
    Person,
    Team,
)
from tests.support.flows import QUESTIONS, answer_current, join, start_team


async def person_row(db, someone) -> Person | None:
    async with db.sessions() as session:
        return (
            await session.execute(select(Person).where(Person.telegram_user_id == someone.user_id))
        ).scalar_one_or_none()


async def count(db, model, *where) -> int:
    async with db.sessions() as session:
        return (await session.execute(select(func.count()).select_from(model).where(*where))).one()[
            0
        ]


async def test_mydata_sends_everything_about_the_person_and_nothing_else(fake, bot, db):
    maria, token = await start_team(fake)
    sam, _ = await join(fake, "Sam", token)
    await answer_current(sam, "Sam's first version")
    await maria.command("/next")
    await maria.wait_for_message(contains=QUESTIONS[0].text)
    await answer_current(maria, "Maria's private answer")
    await sam.command("/review")
    overview = await sam.wait_for_message(contains="Your answers")
    await sam.press(overview, overview.button_texts[0])
    listing = await sam.wait_for_message(contains=QUESTIONS[0].text)
    await sam.press(listing, "✏️ 1")
    await sam.wait_for_message(contains="Your answer so far")
    await answer_current(sam, "Sam's second version")
    sam_row = await person_row(db, sam)
    async with db.sessions() as session:
        session.add(Delivery(kind="reminder", recipient_chat_id=sam.user_id, period="t1:2030-W01"))
        await session.commit()

    await sam.command("/mydata")
    summary = await sam.wait_for_message(contains="Your data")
    assert "Front desk <North> & Co" in summary.text
    assert "Answers: 1" in summary.text
    document = await sam.wait_for_message(lambda m: m.document is not None)
    assert document.document.filename.endswith(".json")
    data = json.loads(fake.file_bytes(document.document.file_id))
    assert data["profile"]["telegram_user_id"] == sam.user_id
    assert data["profile"]["id"] == sam_row.id
    assert [m["team"] for m in data["memberships"]] == ["Front desk <North> & Co"]
    (answer,) = data["answers"]
    assert answer["text"] == "Sam's second version"
    assert answer["round"] == "Round 1"
    assert any(rev["text"] == "Sam's first version" for rev in answer["history"])
    assert len(data["deliveries"]) == 1
    assert "Maria's private answer" not in json.dumps(data)


async def test_mydata_from_a_stranger_stores_nothing(fake, bot, db):
    stranger = fake.person("Stranger")
    await stranger.command("/mydata")
    await stranger.wait_for_message(contains="I store nothing about you")
    assert await person_row(db, stranger) is None


async def test_forget_deletes_everything_after_confirmation(fake, bot, db):
    maria, token = await start_team(fake)
    sam, _ = await join(fake, "Sam", token)
    await answer_current(sam, "First")
    await answer_current(sam, "Second")
    await maria.command("/next")
    await maria.wait_for_message(contains=QUESTIONS[0].text)
    await answer_current(maria, "Maria keeps hers")
    await maria.wait_for_message(contains=QUESTIONS[1].text)  # the rating is stored
    await sam.wait_for_message(contains=QUESTIONS[2].text)
    sam_id = (await person_row(db, sam)).id
    sams_answers = select(Answer.id).where(Answer.person_id == sam_id)
    sams_revisions = await count(db, AnswerRevision, AnswerRevision.answer_id.in_(sams_answers))
    all_revisions = await count(db, AnswerRevision)
    assert sams_revisions > 0

    await sam.command("/forget")
    question = await sam.wait_for_message(contains="Delete everything about you?")
    await sam.press(question, "Keep my data")
    await sam.wait_for_edit(question)
    assert await person_row(db, sam) is not None

    await sam.command("/forget")
    question = await sam.wait_for_message(contains="Delete everything about you?")
    await sam.press(question, "🗑 Yes, delete everything")
    await sam.wait_for_edit(question)
    assert "deleted" in question.text
    assert await person_row(db, sam) is None
    assert await count(db, Answer, Answer.person_id == sam_id) == 0
    assert await count(db, Membership, Membership.person_id == sam_id) == 0
    assert await count(db, Conversation, Conversation.person_id == sam_id) == 0
    assert await count(db, AnswerRevision) == all_revisions - sams_revisions
    # Everyone else's data is untouched.
    assert await count(db, Answer) == 1
    assert await count(db, Team) == 1
    await sam.command("/mydata")
    await sam.wait_for_message(contains="I store nothing about you")


async def test_the_last_manager_hands_over_before_forgetting(fake, bot, db):
    maria, token = await start_team(fake)
    sam, _ = await join(fake, "Sam", token)
    await maria.command("/forget")
    refusal = await maria.wait_for_message(contains="only manager")
    assert "Front desk <North> & Co" in refusal.text and "Make manager" in refusal.text
    assert await person_row(db, maria) is not None

    await maria.command("/team")
    roster = await maria.wait_for_message(contains="members")
    await maria.press(roster, "⭐ Make manager")
    await maria.wait_for_message(contains="is now a manager")
    await maria.command("/forget")
    question = await maria.wait_for_message(contains="Delete everything about you?")
    await maria.press(question, "🗑 Yes, delete everything")
    await maria.wait_for_edit(question)
    assert await person_row(db, maria) is None
    assert await count(db, Team) == 1  # Sam's team lives on, with Sam as its manager
    sam_id = (await person_row(db, sam)).id
    assert await count(db, Membership, Membership.person_id == sam_id) == 1


async def test_a_team_only_the_person_was_in_goes_with_them(fake, bot, db):
    maria, _ = await start_team(fake)
    await maria.command("/next")
    await maria.wait_for_message(contains=QUESTIONS[0].text)
    await answer_current(maria, "Alone")
    await maria.command("/forget")
    question = await maria.wait_for_message(contains="Delete everything about you?")
    await maria.press(question, "🗑 Yes, delete everything")
    await maria.wait_for_edit(question)
    assert await count(db, Team) == 0
    assert await count(db, Answer) == 0


async def test_a_forged_forget_button_deletes_nothing(fake, bot, db):
    maria, token = await start_team(fake)
    sam, first = await join(fake, "Sam", token)
    maria_id = (await person_row(db, maria)).id
    await sam.press_data(first, privacy_data("forget", maria_id))
    await sam.press_data(first, "pv:forget:x")
    await fake.wait_until(lambda: len(sam.callback_answers) >= 2)
    assert any(a.show_alert and "not yours" in (a.text or "") for a in sam.callback_answers)
    assert await person_row(db, maria) is not None
    assert await person_row(db, sam) is not None
