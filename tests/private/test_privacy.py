"""People's own data end to end: /mydata sends all of it, /forget deletes all of it, and neither
ever touches anyone else's."""

from __future__ import annotations

import json

from sqlmodel import SQLModel, func, select

from bot.core.callbacks import privacy_data, team_data
from bot.private.score_view import band_button
from criteria.model import MATURITY_LEVELS
from storage.models import (
    Answer,
    AnswerRevision,
    ConsensusVote,
    Conversation,
    Delivery,
    GroupLink,
    Invite,
    Membership,
    Person,
    Team,
    TeamRemoval,
    UploadedPack,
)
from tests.support.flows import PACK, QUESTIONS, answer_current, join, start_team
from tests.support.groups import stored_when

OWN_PACK = """\
id: own-pack
version: "1"
title: Own
language: en
categories:
  - id: c
    title: C
    areas:
      - id: a
        title: A
        questions:
          - id: q
            text: How?
"""


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


def person_columns() -> list[tuple[str, str]]:
    """(table, column) of every column that refers to a person, read from the schema itself, so
    a table added later is checked too."""
    return sorted(
        (table.name, column.name)
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        for key in column.foreign_keys
        if key.column.table.name == "person"
    )


async def rows_referring_to(db, person_id: int) -> dict[tuple[str, str], int]:
    async with db.sessions() as session:
        found = {}
        for table_name, column_name in person_columns():
            table = SQLModel.metadata.tables[table_name]
            found[table_name, column_name] = (
                await session.execute(
                    select(func.count()).select_from(table).where(table.c[column_name] == person_id)
                )
            ).scalar_one()
        return found


async def test_mydata_and_forget_cover_every_table_that_refers_to_a_person(fake, bot, db):
    maria, token = await start_team(fake)
    sam, _ = await join(fake, "Sam", token)
    ana, _ = await join(fake, "Ana", token)
    await answer_current(sam, "Sam's answer")
    sam_row, ana_row = await person_row(db, sam), await person_row(db, ana)
    sam_id, ana_id, team_id = sam_row.id, ana_row.id, sam_row.active_team_id
    await maria.command("/team")
    roster = await maria.wait_for_message(contains="members")
    await maria.press_data(roster, team_data("mgr", team_id, sam_id))
    await maria.wait_for_message(contains="is now a manager")
    group = fake.group("Front desk chat", members=[maria, sam, ana])
    await group.add_bot(by=maria)
    await group.wait_for_message(contains="Hello")
    # Sam, now a manager: links the group, opens a vote and votes, invites, removes Ana.
    await sam.command("/link", chat=group)
    await group.wait_for_message(contains="now linked")
    await sam.command("/consensus", "1", chat=group)
    poll = await group.wait_for_message(predicate=lambda m: m.poll is not None)
    await sam.answer_poll(poll, [2])  # handled before Sam's next private update (same user)
    await stored_when(db, lambda rows: len(rows) == 1, ConsensusVote)
    # ...closes it, notes an improvement, makes it a priority and an action he owns...
    await sam.press(poll, "🛑 Close the vote")
    improvements = await group.wait_for_message(contains="opportunities for improvement")
    await sam.send("Fix the form", chat=group, reply_to=improvements)
    await group.wait_for_message(contains="Noted as an opportunity")
    await sam.command("/themes")
    findings = await sam.wait_for_message(contains="Findings of the consensus")
    await sam.wait_for_message(contains="No key themes chosen yet")
    await sam.press(findings, "⭐ 1.1 Fix the form")
    themes = await sam.wait_for_message(contains="Priorities")
    await sam.press(themes, "➕ Action for 1")
    ask = await sam.wait_for_message(contains="Who owns this action?")
    await sam.press(ask, "Sam")
    await sam.wait_for_edit(ask)
    await sam.press(ask, "In a week")
    await sam.wait_for_message(contains="gave you an improvement action")
    await sam.command("/invite")
    await sam.wait_for_message(contains="New member link")
    await sam.command("/team")
    sams_roster = await sam.wait_for_message(contains="members")
    await sam.press_data(sams_roster, team_data("rmy", team_id, ana_id))
    await sam.wait_for_edit(sams_roster)
    # Sam finishes the first area, scores it, and sets its agreed score in the group.
    first_area = PACK.areas()[0]
    shown = next(m for m in sam.messages if first_area.questions[1].text in m.text)
    for index in range(1, len(first_area.questions)):
        await sam.press(shown, "🙅 Not my area")
        if index + 1 < len(first_area.questions):
            shown = await sam.wait_for_message(contains=first_area.questions[index + 1].text)
    offer = await sam.wait_for_message(contains="You finished")
    await sam.press(offer, "🎯 Score this area")
    bands = await sam.wait_for_message(contains="Which band")
    await sam.press(bands, band_button(2))
    await sam.wait_for_edit(bands)
    await sam.press(bands, "40 %")
    await sam.wait_for_edit(bands)
    await sam.command("/agree", "1 40 Solid", chat=group)
    await group.wait_for_message(contains="Agreed score")
    # ...and brings a framework of their own, which the team takes for its next round.
    await sam.send_document("own.yaml", OWN_PACK.encode())
    kept = await sam.wait_for_message(contains="checked and kept")
    await sam.press(kept, "Use for Front desk <North> & Co")
    await sam.wait_for_message(contains="from its next round")
    referring = await rows_referring_to(db, sam_id)
    touched = {place for place, rows in referring.items() if rows}
    assert touched == set(person_columns()) - {("team_removal", "person_id")}

    await sam.command("/mydata")
    summary = await sam.wait_for_message(contains="Your data")
    assert "Votes in consensus polls: 1" in summary.text
    assert "Groups you linked to a team: 1" in summary.text
    document = await sam.wait_for_message(lambda m: m.document is not None)
    data = json.loads(fake.file_bytes(document.document.file_id))
    (vote,) = data["consensus_votes"]
    assert vote["team"] == "Front desk <North> & Co" and vote["rating"] == MATURITY_LEVELS[2].id
    assert vote["area_id"] == PACK.areas()[0].id and vote["round"] == "Round 1"
    (link,) = data["groups_linked"]
    assert link["chat_id"] == group.chat_id and link["title"] == "Front desk chat"
    (made,) = data["removals_made"]
    assert made["team"] == "Front desk <North> & Co" and "person_id" not in made
    assert data["removed_from_teams"] == []
    assert len(data["invites_created"]) == 1
    (score,) = data["scores"]
    assert (score["area_id"], score["value"], score["as_manager"]) == (first_area.id, 40, True)
    assert [u["pack_id"] for u in data["uploaded_packs"]] == ["own-pack"]
    assert "Frameworks you sent:\n• Own (own-pack v1)" in summary.text
    (action,) = data["improvement_actions"]
    assert action["title"] == "Fix the form" and action["team"] == "Front desk <North> & Co"
    assert [e["kind"] for e in data["action_changes"]] == ["created", "owner", "due"]
    assert [t["text"] for t in data["key_themes_chosen"]] == ["Fix the form"]

    await ana.command("/mydata")
    ana_summary = await ana.wait_for_message(contains="Your data")
    assert "Teams a manager removed you from:\n• Front desk <North> & Co" in ana_summary.text
    ana_document = await ana.wait_for_message(lambda m: m.document is not None)
    ana_data = json.loads(fake.file_bytes(ana_document.document.file_id))
    assert [r["team"] for r in ana_data["removed_from_teams"]] == ["Front desk <North> & Co"]

    # Forgetting leaves nothing that points at them: their own rows go, the team's keep
    # existing without their name (the invite, the group's link, the removal they made).
    for someone, someone_id in ((sam, sam_id), (ana, ana_id)):
        await someone.command("/forget")
        question = await someone.wait_for_message(contains="Delete everything about you?")
        await someone.press(question, "🗑 Yes, delete everything")
        await someone.wait_for_edit(question)
        assert not any((await rows_referring_to(db, someone_id)).values())
    assert await count(db, Invite) == 2
    assert await count(db, GroupLink, GroupLink.linked_by.is_(None)) == 1
    assert await count(db, TeamRemoval) == 0  # Ana's removal went with Ana
    # The team still uses Sam's framework: it stays, without Sam's name.
    assert await count(db, UploadedPack, UploadedPack.uploaded_by.is_(None)) == 1
    assert await count(db, ConsensusVote) == 0
