"""The private-chat assessment, end to end: real PTB, the fake Bot API, real databases."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import select

from criteria.model import MATURITY_LEVELS
from storage.models import AnswerRevision, Conversation, Invite, Person
from storage.types import utcnow
from tests.support.botrunner import running_bot
from tests.support.flows import (
    PACK,
    QUESTIONS,
    answer_current,
    join,
    start_team,
    stored_answers,
)


async def test_start_without_team_explains_how_to_join(fake, bot):
    newcomer = fake.person("Nina")
    await newcomer.command("/start")
    welcome = await newcomer.wait_for_message(contains="invite link")
    assert "/newteam" in welcome.text


async def test_private_commands_are_registered(fake, bot):
    call = next(c for c in fake.calls if c.method.lower() == "setmycommands")
    names = {command["command"] for command in call.params["commands"]}
    assert {"next", "progress", "review", "pause", "help", "newteam"} <= names


async def test_question_shows_area_position_and_buttons(fake, bot):
    _manager, token = await start_team(fake)
    _sam, first = await join(fake, "Sam", token)
    area = PACK.area_of(QUESTIONS[0].id)
    assert f"{area.title} · 1 of {len(area.questions)}" in first.text
    assert f"0/{len(QUESTIONS)} done" in first.text
    assert {"❓ Help", "⏭ Skip", "🙅 Not my area", "⏸ Pause"} <= set(first.button_texts)
    assert "⬅️ Back" not in first.button_texts  # nothing before the first question


async def test_whole_questionnaire_by_several_people_at_once(fake, bot, db):
    _manager, token = await start_team(fake)
    people = [await join(fake, name, token) for name in ("Ana", "Ben", "Chen")]

    async def answer_everything(person, index):
        for number, _question in enumerate(QUESTIONS):
            await answer_current(person, f"{person.first_name} answer {number}", rating=index % 4)
        return await person.wait_for_message(contains="That's everything")

    finals = await asyncio.gather(*(answer_everything(p, i) for i, (p, _) in enumerate(people)))
    assert all("thank you" in final.text for final in finals)
    for index, (person, _) in enumerate(people):
        answers = await stored_answers(db, person.user_id)
        assert set(answers) == {q.id for q in QUESTIONS}
        assert answers[QUESTIONS[5].id].text == f"{person.first_name} answer 5"
        assert {a.rating for a in answers.values()} == {MATURITY_LEVELS[index % 4].id}
        await person.command("/progress")
        progress = await person.wait_for_message(contains="Your progress")
        assert f"{len(QUESTIONS)}/{len(QUESTIONS)} questions" in progress.text


async def test_restart_resumes_at_the_same_question(fake, db):
    async with running_bot(fake, db.url):
        _manager, token = await start_team(fake)
        sam, _ = await join(fake, "Sam", token)
        for number in range(3):
            await answer_current(sam, f"answer {number}")
        await sam.wait_for_message(contains=QUESTIONS[3].text)
    # A new Application on the same database: nothing but the database remembers Sam.
    async with running_bot(fake, db.url):
        await sam.command("/next")
        resumed = await sam.wait_for_message(contains=QUESTIONS[3].text)
        assert "3/23 done" in resumed.text
        await answer_current(sam, "answer after restart")
    answers = await stored_answers(db, sam.user_id)
    assert answers[QUESTIONS[3].id].text == "answer after restart"


async def test_several_messages_make_one_answer_and_attachments_are_kept(fake, bot, db):
    _manager, token = await start_team(fake)
    sam, _ = await join(fake, "Sam", token)
    await sam.send("First we listen.")
    await sam.wait_for_message(contains="Saved")
    await sam.send("Then we write it down.")
    added = await sam.wait_for_message(contains="Added to your answer")
    await sam.send_voice()
    kept = await sam.wait_for_message(contains="voice note")
    answer = (await stored_answers(db, sam.user_id))[QUESTIONS[0].id]
    assert answer.text == "First we listen.\n\nThen we write it down."
    assert [a.kind for a in answer.attachments] == ["voice"] and answer.attachments[0].file_id
    await sam.press(kept, "Next without rating ➡️")
    await sam.wait_for_message(contains=QUESTIONS[1].text)
    assert added.buttons  # rating offered as one tap after the text


async def test_skip_not_my_area_back_help_and_pause(fake, bot, db):
    _manager, token = await start_team(fake)
    sam, first = await join(fake, "Sam", token)
    await sam.press(first, "⏭ Skip")
    second = await sam.wait_for_message(contains=QUESTIONS[1].text)
    await sam.press(second, "🙅 Not my area")
    third = await sam.wait_for_message(contains=QUESTIONS[2].text)
    await sam.press(third, "❓ Help")
    help_message = await sam.wait_for_message(contains=QUESTIONS[2].text)
    assert "Product offerings refers to" in help_message.text  # the area's note
    await sam.press(third, "⬅️ Back")
    back = await sam.wait_for_message(contains=QUESTIONS[1].text)
    await sam.press(back, "⏸ Pause")
    await sam.wait_for_message(contains="Paused")
    answers = await stored_answers(db, sam.user_id)
    assert answers[QUESTIONS[0].id].status == "skipped"
    assert answers[QUESTIONS[1].id].status == "not_my_area"
    # Skipped questions come back at the end.
    await sam.command("/next")
    await sam.wait_for_message(contains=QUESTIONS[1].text)


async def test_review_lists_answers_and_changes_one_with_history(fake, bot, db):
    _manager, token = await start_team(fake)
    sam, _ = await join(fake, "Sam", token)
    await answer_current(sam, "We ask <b>customers</b> & *partners* _[x]")
    await sam.command("/review")
    overview = await sam.wait_for_message(contains="Your answers")
    area = PACK.area_of(QUESTIONS[0].id)
    await sam.press(overview, f"{area.title} · 1/{len(area.questions)}")
    listing = await sam.wait_for_message(contains=QUESTIONS[0].text)
    assert "We ask <b>customers</b> & *partners* _[x]" in listing.text  # exactly as typed
    await sam.press(listing, "✏️ 1")
    opened = await sam.wait_for_message(contains="Your answer so far")
    assert "Type to replace it" in opened.text
    await sam.send("We run a survey every quarter.")
    await sam.wait_for_message(contains="Saved")
    answer = (await stored_answers(db, sam.user_id))[QUESTIONS[0].id]
    assert answer.text == "We run a survey every quarter."
    async with db.sessions() as session:
        history = (
            (
                await session.execute(
                    select(AnswerRevision).where(AnswerRevision.answer_id == answer.id)
                )
            )
            .scalars()
            .all()
        )
    assert any("<b>customers</b>" in revision.text for revision in history)


async def test_editing_the_message_that_carried_an_answer_updates_it(fake, bot, db):
    _manager, token = await start_team(fake)
    sam, _ = await join(fake, "Sam", token)
    sent = await sam.send("We call back within a day")
    await sam.wait_for_message(contains="Saved")
    await sam.edit(sent, "We call back within an hour")
    updated = await sam.wait_for_message(contains="Updated your answer")
    assert "within an hour" in updated.text
    answer = (await stored_answers(db, sam.user_id))[QUESTIONS[0].id]
    assert answer.text == "We call back within an hour"


async def test_bad_input_gets_a_clear_reply_and_loses_nothing(fake, bot, db):
    _manager, token = await start_team(fake)
    sam, first = await join(fake, "Sam", token)
    await sam.send("Keep this answer")
    saved = await sam.wait_for_message(contains="Saved")
    for send in (sam.send_sticker, sam.send_location, sam.send_contact, sam.send_poll):
        await send()
        reply = await sam.wait_for_message(contains="not this kind of message")
        assert "/next" in reply.text
    await sam.send("   \n  ")
    await sam.wait_for_message(contains="empty")
    await sam.command("/frobnicate")
    await sam.wait_for_message(contains="don't know that command")
    await sam.command("/invite")
    await sam.wait_for_message(contains="Only a team's managers")
    # A forged button and malformed data are refused without changing anything.
    await sam.press_data(first, "a:skip:99999:offering-1")
    await sam.press_data(first, "a:rate:1:offering-1:99")
    await sam.press_data(first, "garbage\u00e9")

    def alerts_so_far():
        alerts = [answer for answer in fake.callback_answers if answer.get("show_alert")]
        return alerts if len(alerts) >= 3 else None

    alerts = await fake.wait_until(alerts_so_far)
    assert all("no longer valid" in a.text or "earlier round" in a.text for a in alerts)
    answer = (await stored_answers(db, sam.user_id))[QUESTIONS[0].id]
    assert answer.text == "Keep this answer" and answer.status == "answered"
    assert answer.rating is None
    # The long answer and HTML-looking text are kept exactly.
    await sam.press(saved, "Next without rating ➡️")
    await sam.wait_for_message(contains=QUESTIONS[1].text)
    long_text = "<i>&amp; " + "x" * 3991
    assert len(long_text) == 4000
    await sam.send(long_text)
    confirmation = await sam.wait_for_message(contains="Saved")
    assert "4,000 characters" in confirmation.text
    answers = await stored_answers(db, sam.user_id)
    assert answers[QUESTIONS[1].id].text == long_text


async def test_stale_button_on_an_old_question_acts_on_that_question_only(fake, bot, db):
    _manager, token = await start_team(fake)
    sam, first = await join(fake, "Sam", token)
    await answer_current(sam, "done first")
    await answer_current(sam, "done second")
    await sam.wait_for_message(contains=QUESTIONS[2].text)
    await sam.press_data(first, f"a:skip:{(await _round_id(db))}:{QUESTIONS[0].id}")
    await sam.wait_for_message(contains=QUESTIONS[2].text)
    answers = await stored_answers(db, sam.user_id)
    assert answers[QUESTIONS[0].id].text == "done first"  # a skip never drops an answer
    assert answers[QUESTIONS[0].id].status == "answered"


async def _round_id(db) -> int:
    from storage.models import AssessmentRound

    async with db.sessions() as session:
        return (await session.execute(select(AssessmentRound.id))).scalars().first()


async def test_the_same_update_twice_saves_one_answer(fake, bot, db):
    _manager, token = await start_team(fake)
    sam, _ = await join(fake, "Sam", token)
    update = await sam.send("Only once")
    await sam.wait_for_message(contains="Saved")
    fake.send_update(update)
    # One chat's updates are handled in order: once /progress is answered, so is the duplicate.
    await sam.command("/progress")
    await sam.wait_for_message(contains="Your progress")
    assert sum("Saved" in m.text or "Added" in m.text for m in sam.messages) == 1
    answer = (await stored_answers(db, sam.user_id))[QUESTIONS[0].id]
    assert answer.text == "Only once"


async def test_two_messages_at_once_both_land_in_order(fake, bot, db):
    _manager, token = await start_team(fake)
    sam, _ = await join(fake, "Sam", token)
    await asyncio.gather(sam.send("part one"), sam.send("part two"))
    await sam.wait_for_message(contains="Added to your answer")
    answer = (await stored_answers(db, sam.user_id))[QUESTIONS[0].id]
    assert answer.text == "part one\n\npart two"


async def test_text_typed_while_paused_is_kept_until_placed(fake, bot, db):
    _manager, token = await start_team(fake)
    sam, _ = await join(fake, "Sam", token)
    await sam.command("/pause")
    await sam.wait_for_message(contains="Paused")
    await sam.send("We track every order in a spreadsheet")
    offer = await sam.wait_for_message(contains="Save it as your answer")
    assert "We track every order in a spreadsheet" in offer.text
    await sam.press(offer, "✅ Save as answer")
    await sam.wait_for_message(contains="Saved")
    answer = (await stored_answers(db, sam.user_id))[QUESTIONS[0].id]
    assert answer.text == "We track every order in a spreadsheet"


@pytest.mark.parametrize("problem", ["unknown", "expired", "used_up"])
async def test_bad_invites_get_a_clear_message(fake, bot, db, problem):
    _manager, token = await start_team(fake)
    async with db.sessions() as session:
        invite = (await session.execute(select(Invite))).scalar_one()
        if problem == "expired":
            invite.expires_at = utcnow() - timedelta(minutes=1)
        if problem == "used_up":
            invite.max_uses, invite.uses = 1, 1
        await session.commit()
    visitor = fake.person("Vic")
    await visitor.command("/start", "not-a-real-token" if problem == "unknown" else token)
    expected = {"unknown": "not valid", "expired": "expired", "used_up": "used up"}[problem]
    reply = await visitor.wait_for_message(contains=expected)
    assert "new one" in reply.text
    async with db.sessions() as session:
        visitor_row = (
            await session.execute(select(Person).where(Person.telegram_user_id == visitor.user_id))
        ).scalar_one()
        conversation = await session.get(Conversation, visitor_row.id)
    assert visitor_row.active_team_id is None
    assert conversation is None or conversation.question_id is None
