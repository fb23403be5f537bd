"""Assessment rounds end to end: /round, new rounds and due dates for managers only, and answers
carried over from the previous round with one "still true" tap."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from criteria.model import MATURITY_LEVELS
from storage.models import Answer, AssessmentRound
from tests.support.flows import QUESTIONS, answer_current, join, start_team, stored_answers


async def all_rounds(db) -> list[AssessmentRound]:
    async with db.sessions() as session:
        return list(
            (await session.execute(select(AssessmentRound).order_by(AssessmentRound.id))).scalars()
        )


async def test_round_shows_the_current_round_and_only_managers_change_it(fake, bot, db):
    maria, token = await start_team(fake)
    sam, _ = await join(fake, "Sam", token)
    await answer_current(sam, "First answer")
    await sam.command("/round")
    shown = await sam.wait_for_message(contains="Round 1")
    assert "no due date" in shown.text and "1/" in shown.text
    assert "/round new" not in shown.text  # the manager's options are not offered to members
    await sam.command("/round", "new Autumn")
    await sam.wait_for_message(contains="Only the team's managers")
    await sam.command("/round", "due 2999-01-01")
    await sam.wait_for_message(contains="Only the team's managers")
    (round_,) = await all_rounds(db)
    assert round_.closed_at is None and round_.due_date is None

    await maria.command("/round", "due 2999-01-31")
    await maria.wait_for_message(contains="is now due 2999-01-31")
    await maria.command("/round", "due 2000-01-01")
    await maria.wait_for_message(contains="in the past")
    await maria.command("/round", "due 2999-02-30")
    await maria.wait_for_message(contains="not a real date")
    await maria.command("/round", "frobnicate")
    await maria.wait_for_message(contains="/round new NAME")
    await maria.command("/round")
    manager_view = await maria.wait_for_message(contains="due 2999-01-31")
    assert "/round new" in manager_view.text
    (round_,) = await all_rounds(db)
    assert round_.due_date == date(2999, 1, 31)


async def test_new_round_keeps_the_old_one_and_offers_last_answers(fake, bot, db):
    maria, token = await start_team(fake)
    sam, _ = await join(fake, "Sam", token)
    await sam.send("We listen to every customer")
    await sam.wait_for_message(contains="Saved")
    await sam.send_voice()
    kept = await sam.wait_for_message(contains="voice note")
    await sam.press(kept, MATURITY_LEVELS[2].label)
    await answer_current(sam, "We write it down", rating=1)

    await maria.command("/round", "new Spring review 2999-12-31")
    opened = await maria.wait_for_message(contains="is open")
    assert "Spring review" in opened.text and "2999-12-31" in opened.text
    old, new = await all_rounds(db)
    assert old.closed_at is not None and new.closed_at is None
    assert new.name == "Spring review" and new.due_date == date(2999, 12, 31)

    await sam.command("/next")
    offer = await sam.wait_for_message(contains="Last time you said")
    assert QUESTIONS[0].text in offer.text
    assert "We listen to every customer" in offer.text
    assert MATURITY_LEVELS[2].label in offer.text
    assert f"0/{len(QUESTIONS)} done" in offer.text
    await sam.press(offer, "✅ Still true")
    second = await sam.wait_for_message(contains=QUESTIONS[1].text)
    assert "We write it down" in second.text and "✅ Still true" in second.button_texts
    # Typing replaces last round's answer as usual.
    await answer_current(sam, "Now we record it in the CRM", rating=3)
    third = await sam.wait_for_message(contains=QUESTIONS[2].text)
    assert "Last time you said" not in third.text  # nothing to carry over there

    async with db.sessions() as session:
        rows = (await session.execute(select(Answer).order_by(Answer.id))).scalars().all()
    by_round = {(a.round_id, a.question_id): a for a in rows}
    carried = by_round[(new.id, QUESTIONS[0].id)]
    before = by_round[(old.id, QUESTIONS[0].id)]
    assert carried.text == before.text == "We listen to every customer"
    assert carried.rating == before.rating == MATURITY_LEVELS[2].id
    assert [(a.kind, a.file_id) for a in carried.attachments] == [
        (a.kind, a.file_id) for a in before.attachments
    ]
    assert [a.kind for a in carried.attachments] == ["voice"]
    assert by_round[(new.id, QUESTIONS[1].id)].text == "Now we record it in the CRM"
    assert by_round[(old.id, QUESTIONS[1].id)].text == "We write it down"  # the record stays

    # A stale or forged "still true" changes nothing: already answered, or nothing to keep.
    before_taps = len(sam.callback_answers)
    await sam.press_data(offer, f"a:same:{new.id}:{QUESTIONS[0].id}")
    await sam.press_data(offer, f"a:same:{new.id}:{QUESTIONS[5].id}")
    await sam.press_data(offer, f"a:same:{old.id}:{QUESTIONS[0].id}")
    await fake.wait_until(lambda: len(sam.callback_answers) >= before_taps + 3)
    texts = [answer.text or "" for answer in sam.callback_answers[before_taps:]]
    assert "already answered" in texts[0]
    assert "no earlier answer" in texts[1]
    assert "earlier round" in texts[2]
    answers = await stored_answers(db, sam.user_id)
    assert QUESTIONS[5].id not in answers or answers[QUESTIONS[5].id].round_id == old.id


async def test_round_names_default_and_a_double_new_opens_one_round(fake, bot, db):
    maria, _ = await start_team(fake)
    await maria.command("/round", "new")
    await maria.wait_for_message(contains="Round 2")
    rounds = await all_rounds(db)
    assert [r.name for r in rounds] == ["Round 1", "Round 2"]
    assert sum(1 for r in rounds if r.closed_at is None) == 1
