"""Files as answers: every one kept, shown, exported and given back; captions edited like text."""

from __future__ import annotations

import csv
import io
import json

from sqlmodel import select

from storage.models import Answer
from tests.support.flows import QUESTIONS, join, start_team, stored_answers


async def test_every_file_sent_for_a_question_is_kept_beside_the_text(fake, bot, db):
    manager, token = await start_team(fake)
    sam, _ = await join(fake, "Sam", token)
    await sam.send("We keep a log <of calls> & more.")
    await sam.wait_for_message(contains="Saved")
    await sam.send_document("plan.pdf", b"%PDF-1.4 plan")
    await sam.wait_for_message(contains="Kept your document")
    await sam.send_document("rota <v2>.xlsx", b"PK rota")
    await sam.wait_for_message(contains="Kept your document")
    photo = await sam.send_photo(caption="The board by the till")
    kept = await sam.wait_for_message(contains="Kept your photo")
    assert "📎 plan.pdf, rota <v2>.xlsx, photo" in kept.text  # all three, none replaced

    answer = (await stored_answers(db, sam.user_id))[QUESTIONS[0].id]
    assert [(a.kind, a.name) for a in answer.attachments] == [
        ("document", "plan.pdf"),
        ("document", "rota <v2>.xlsx"),
        ("photo", None),
    ]
    assert answer.text == "We keep a log <of calls> & more.\n\nThe board by the till"

    # Editing the photo's caption changes that part of the answer, as editing text does.
    await sam.edit(photo, "The whiteboard by the till")
    await sam.wait_for_message(contains="Updated your answer")
    answer = (await stored_answers(db, sam.user_id))[QUESTIONS[0].id]
    assert answer.text == "We keep a log <of calls> & more.\n\nThe whiteboard by the till"

    await sam.press(kept, "Next without rating ➡️")
    await sam.wait_for_message(contains=QUESTIONS[1].text)
    await sam.command("/review")
    areas = await sam.wait_for_message(contains="Your answers")
    await sam.press(areas, areas.button_texts[0])
    review = await sam.wait_for_message(contains="📎 plan.pdf")
    assert "📎 plan.pdf, rota <v2>.xlsx, photo" in review.text

    await sam.command("/mydata")
    data = await sam.wait_for_message(lambda m: m.document is not None)
    (mine,) = [a for a in json.loads(data.document.data)["answers"] if a["attachments"]]
    assert [a["name"] for a in mine["attachments"]] == ["plan.pdf", "rota <v2>.xlsx", None]

    await manager.command("/export")
    documents = [
        await manager.wait_for_message(lambda m: m.document is not None, timeout=30)
        for _ in range(4)
    ]
    rows = list(csv.reader(io.StringIO(documents[1].document.data.decode("utf-8-sig"))))
    (sams,) = [row for row in rows[1:] if row[5] == "Sam" and row[3] == QUESTIONS[0].id]
    assert sams[9] == "document: plan.pdf; document: rota <v2>.xlsx; photo"


async def test_an_edit_to_an_answer_of_a_closed_round_leaves_its_record(fake, bot, db):
    manager, token = await start_team(fake)
    sam, _ = await join(fake, "Sam", token)
    typed = await sam.send("First round words")
    saved = await sam.wait_for_message(contains="Saved")
    await sam.press(saved, "Next without rating ➡️")
    await sam.wait_for_message(contains=QUESTIONS[1].text)
    await manager.command("/round", "new Spring")
    await manager.wait_for_message(contains="is open for")

    await sam.edit(typed, "Rewritten later")
    notice = await sam.wait_for_message(contains="which is closed")
    assert "Round 1" in notice.text
    async with db.sessions() as session:
        texts = (await session.execute(select(Answer.text))).scalars().all()
    assert texts == ["First round words"]  # the old round's record, unchanged
