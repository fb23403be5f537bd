"""What a rating tap costs the database: one transaction of a few statements, any team size.

A person types an answer, taps a maturity rating under it, and the next question shows. The tap
is the other half of every question answered (bench/throughput.py plays exactly this flow).
"""

from __future__ import annotations

import pytest

from criteria.model import MATURITY_LEVELS
from tests.support.botrunner import running_bot
from tests.support.flows import QUESTIONS, answer_current, join, start_team, stored_answers
from tests.support.update_cost import UpdateCost

# INSERT processed_update; SELECT the person with their teams, conversation, open round and the
# round before it (the guards' read, kept for the turn); SELECT the answer being rated with the
# status of each question answered (what comes next); UPDATE the answer's rating and INSERT the
# revision it replaces (the history every edit keeps); UPDATE where the conversation stands.
# Last round's answer to the next question is looked for only when the team has an earlier round.
MOST_STATEMENTS_PER_RATING_TAP = 6


@pytest.fixture
async def bot(fake, db):
    """The real application, its inbox claims long (tests/support/update_cost.py)."""
    async with running_bot(fake, db.url, inbox_claim_seconds=300) as application:
        yield application


async def rating_cost(cost: UpdateCost, fake, person, saved, level: int, shows: str):
    """Tap `level` under the saved answer; (statements, commits, the next message shown)."""

    async def tap():
        await person.press(saved, MATURITY_LEVELS[level].label)
        return await person.wait_for_message(contains=shows)

    return await cost.of(fake, tap)


async def type_answer(person, text: str):
    await person.send(text)
    return await person.wait_for_message(contains="Saved")


async def test_a_rating_tap_is_one_transaction_of_a_few_statements(fake, bot, db):
    cost = UpdateCost(bot)
    _manager, token = await start_team(fake)
    sam, _ = await join(fake, "Sam", token)
    saved = await type_answer(sam, "We start from what customers tell us.")

    statements, commits, shown = await rating_cost(cost, fake, sam, saved, 2, QUESTIONS[1].text)

    listed = "\n".join(statements)
    assert commits == 1, listed
    assert len(statements) <= MOST_STATEMENTS_PER_RATING_TAP, listed
    assert statements[0].lstrip().upper().startswith("INSERT INTO PROCESSED_UPDATE")
    assert f"1/{len(QUESTIONS)} done" in shown.text  # it counts the one just rated
    answer = (await stored_answers(db, sam.user_id))[QUESTIONS[0].id]
    assert answer.rating == MATURITY_LEVELS[2].id


async def test_a_rating_tap_costs_the_same_in_a_bigger_team(fake, bot, db):
    cost = UpdateCost(bot)
    _manager, token = await start_team(fake)
    sam, _ = await join(fake, "Sam", token)
    saved = await type_answer(sam, "First answer.")
    small, _, _ = await rating_cost(cost, fake, sam, saved, 1, QUESTIONS[1].text)

    for name in ("Ana", "Ben", "Chen", "Dana", "Eli", "Fay"):
        colleague, _ = await join(fake, name, token)
        await answer_current(colleague, f"{name} answers too.")
    saved = await type_answer(sam, "Second answer.")
    big, commits, _ = await rating_cost(cost, fake, sam, saved, 3, QUESTIONS[2].text)

    assert len(big) == len(small), "\n".join(big)
    assert commits == 1


async def test_the_first_part_of_an_answer_is_written_in_one_insert(fake, bot, db):
    """The typed half of the same flow: a question's first answer costs no more than adding to
    one (tests/core/test_update_transaction.py), and reads as typed."""
    cost = UpdateCost(bot)
    _manager, token = await start_team(fake)
    sam, _ = await join(fake, "Sam", token)
    await fake.wait_idle()

    statements, commits, _ = await cost.of(
        fake, lambda: type_answer(sam, "We <ask> customers & partners.")
    )

    assert commits == 1
    # INSERT processed_update, SELECT person, SELECT answer (none yet), INSERT answer,
    # INSERT answer_message, UPDATE conversation.
    assert len(statements) <= 6, "\n".join(statements)
    answer = (await stored_answers(db, sam.user_id))[QUESTIONS[0].id]
    assert answer.text == "We <ask> customers & partners."


async def test_adding_to_an_answer_reads_it_without_its_files(fake, bot, db):
    """More typed to the answer being written: the answer is read without its attachments,
    which the "Added" message never shows; the files sent before stay with it."""
    cost = UpdateCost(bot)
    _manager, token = await start_team(fake)
    sam, _ = await join(fake, "Sam", token)
    await type_answer(sam, "We start from what customers tell us.")
    await sam.send_photo()
    await sam.wait_for_message(contains="Kept your photo")

    statements, commits = await cost.of_typed_message(fake, sam, "Then we write it down.")

    assert commits == 1
    # INSERT processed_update, SELECT person, SELECT answer, UPDATE answer, INSERT answer_message.
    assert len(statements) <= 5, "\n".join(statements)
    answer = (await stored_answers(db, sam.user_id))[QUESTIONS[0].id]
    assert answer.text.endswith("Then we write it down.")
    assert len(answer.attachments) == 1
