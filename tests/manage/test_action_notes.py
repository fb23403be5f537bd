"""Typed texts on actions: an owner's progress note and reason for blocking, a manager's reason
for dropping or reassigning. The wait survives a restart; a text nothing waits for still answers
the open question; nobody else's text lands on an action (forged buttons too).

Driven through the fake Bot API on SQLite and PostgreSQL, with the bot's clock set by the test.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.callbacks import ActionStep, action_data
from storage.models import Action, ActionEvent, Answer
from storage.statuses import ActionStatus
from tests.support.botrunner import running_bot
from tests.support.flows import start_team
from tests.support.groups import alert_for, alerts_of, join, stored, stored_when
from tests.support.schedules import Clock

WEDNESDAY = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


async def history(db, action_id: int) -> list[tuple[str, str | None]]:
    events = await stored(db, ActionEvent, ActionEvent.action_id == action_id)
    return [(e.kind, e.note) for e in sorted(events, key=lambda e: e.id)]


async def test_notes_and_reasons_are_typed_kept_and_survive_a_restart(fake, db):
    clock = Clock(WEDNESDAY)
    async with running_bot(fake, db.url, clock=clock):
        maria, token = await start_team(fake)
        sam, _first = await join(fake, "Sam", token)
        ana, _first = await join(fake, "Ana", token)
        await maria.command("/action", "Write the <steps> down")
        ask = await maria.wait_for_message(contains="Who owns this action?")
        await maria.press(ask, "Sam")
        await maria.wait_for_edit(ask)
        await maria.press(ask, "In a week")
        notice = await sam.wait_for_message(contains="gave you an improvement action")
        (action,) = await stored(db, Action)

        # A member cannot write a note on someone else's action, even with a forged button.
        before = alerts_of(ana)
        await ana.press_data(notice, action_data(ActionStep.NOTE, action.id))
        assert "owner" in await alert_for(fake, ana, before)

        await sam.press(notice, "📝 Progress note")
        prompt = await sam.wait_for_message(contains="Type your progress note")
        assert "Write the &lt;steps&gt; down" not in prompt.text
        assert "Write the <steps> down" in prompt.text

    # A restart between the tap and the text: the wait is in the database.
    clock.now = WEDNESDAY + timedelta(minutes=5)
    async with running_bot(fake, db.url, clock=clock):
        await sam.send("Half <done> & going")
        await sam.wait_for_message(contains="Progress note saved")
        assert ("note", "Half <done> & going") in await history(db, action.id)
        # The next text waits for nothing: it answers the open question as before.
        await sam.send("We greet every guest")
        await stored_when(db, lambda rows: len(rows) == 1, Answer)
        (answer,) = await stored(db, Answer)
        assert answer.text == "We greet every guest"
        assert sum(kind == "note" for kind, _note in await history(db, action.id)) == 1

        # Blocked asks why; the reason shows on the card.
        await sam.press(notice, "⛔ Blocked")
        await sam.wait_for_edit(notice)
        await sam.wait_for_message(contains="What is blocking")
        await sam.send("Waiting for the <supplier>")
        await sam.wait_for_message(contains="Reason saved")
        (row,) = await stored(db, Action)
        assert (row.status, row.blocked_reason) == (
            ActionStatus.BLOCKED,
            "Waiting for the <supplier>",
        )
        await sam.command("/actions")
        card = await sam.wait_for_message(contains="Write the <steps> down")
        assert "Waiting for the <supplier>" in card.text

        # A manager reassigns, then drops: each asks for a reason, kept in the history.
        listing = maria.last_message
        await maria.press_data(listing, action_data(ActionStep.REASSIGN, action.id))
        await maria.wait_for_edit(listing)
        await maria.press(listing, "Ana")
        await maria.wait_for_message(contains="Why was")
        await maria.send("Sam is on leave")
        await maria.wait_for_message(contains="Reason saved for reassigning")
        await maria.press_data(listing, action_data(ActionStep.DROP, action.id))
        await maria.wait_for_message(contains="dropped? Type the reason")
        await maria.send("No longer needed")
        await maria.wait_for_message(contains="Reason saved for dropping")
        kept = await history(db, action.id)
        assert ("reason", "Sam is on leave") in kept and ("reason", "No longer needed") in kept
        assert not [kind for kind, _note in kept if kind.startswith("ask_")]

        # Closed: no more notes, even from the button Ana was given.
        given = await ana.wait_for_message(contains="gave you")
        before = alerts_of(ana)
        await ana.press(given, "📝 Progress note")
        assert "closed" in await alert_for(fake, ana, before)


async def waits(db) -> list[tuple[int, str]]:
    """The waits for a typed text still in action_event: (person id, kind)."""
    rows = await stored(db, ActionEvent, ActionEvent.kind.startswith("ask_"))
    return sorted((row.person_id, row.kind) for row in rows)


async def test_waits_do_not_pile_up(fake, db):
    clock = Clock(WEDNESDAY)
    async with running_bot(fake, db.url, clock=clock):
        maria, token = await start_team(fake)
        sam, _first = await join(fake, "Sam", token)
        for title in ("Write it down", "Call back"):
            await maria.command("/action", title)
            ask = await maria.wait_for_message(contains="Who owns this action?")
            await maria.press(ask, "Sam")
            await maria.wait_for_edit(ask)
            await maria.press(ask, "In a week")
        first, second = await stored(db, Action)
        notice = await sam.wait_for_message(contains="Call back")
        sam_id = first.owner_id

        # Superseded: a second tap replaces the first wait.
        await sam.press_data(notice, action_data(ActionStep.NOTE, first.id))
        await sam.wait_for_message(contains="Type your progress note")
        await sam.press_data(notice, action_data(ActionStep.NOTE, second.id))
        await sam.wait_for_message(contains="progress note on Call back")
        assert await waits(db) == [(sam_id, "ask_note")]
        # Cancelled: the action closes while its owner was to type.
        await maria.command("/actions")
        listing = await maria.wait_for_message(contains="Actions of")
        await maria.press_data(listing, action_data(ActionStep.DROP, second.id))
        await maria.wait_for_message(contains="dropped? Type the reason")
        maria_id = (await stored(db, Action, Action.id == second.id))[0].created_by
        assert await waits(db) == [(maria_id, "ask_dropped")]
        # Answered: the wait becomes the history's note.
        await maria.send("Done another way")
        await maria.wait_for_message(contains="Reason saved for dropping")
        assert await waits(db) == []
        # Expired: a wait nobody answered goes when anyone's next wait begins.
        await sam.press_data(notice, action_data(ActionStep.NOTE, first.id))
        await sam.wait_for_message(contains="progress note on Write it down")
        clock.now = WEDNESDAY + timedelta(hours=2)
        await maria.press_data(listing, action_data(ActionStep.DROP, first.id))
        await maria.wait_for_message(contains="dropped? Type the reason")
        assert await waits(db) == [(maria_id, "ask_dropped")]
