"""What a person is typing for on an action: a progress note, a reason for blocking, dropping or
reassigning it.

The wait is an `action_event` row of kind "ask_…" (no new table): it survives a restart, and the
typed text turns that very row into the history's note, so the who and when stay with it.
A wait lasts `WAIT` only, so a reason nobody typed never swallows answers typed much later.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Action, ActionEvent, Person

ASK = "ask_"
NOTE, BLOCKED, DROPPED, REASSIGNED = "note", "blocked", "dropped", "reassigned"
WAIT = timedelta(minutes=30)
NOTE_CHARS = 2000


async def wait_for_text(
    session: AsyncSession, action: Action, person_id: int, what: str, now: datetime
) -> None:
    """The person's next typed text is for `what` on `action`; any earlier wait is forgotten."""
    await session.execute(
        delete(ActionEvent).where(
            ActionEvent.person_id == person_id, ActionEvent.kind.startswith(ASK)
        )
    )
    session.add(ActionEvent(action_id=action.id, person_id=person_id, kind=ASK + what, at=now))
    await session.flush()


async def waiting_for(
    session: AsyncSession, telegram_user_id: int, now: datetime
) -> tuple[ActionEvent, Action] | None:
    """The wait a typed text answers, if one is recent enough: one statement."""
    row = (
        await session.execute(
            select(ActionEvent, Action)
            .join(Person, Person.id == ActionEvent.person_id)
            .join(Action, Action.id == ActionEvent.action_id)
            .where(
                Person.telegram_user_id == telegram_user_id,
                ActionEvent.kind.startswith(ASK),
                ActionEvent.at >= now - WAIT,
            )
            .order_by(ActionEvent.id.desc())
            .limit(1)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def keep_text(
    session: AsyncSession, wait: ActionEvent, action: Action, text: str, now: datetime
) -> str:
    """The typed text becomes the history's note (and the blocked reason); returns what it was
    for."""
    what = wait.kind.removeprefix(ASK)
    wait.kind = NOTE if what == NOTE else "reason"
    wait.note = text[:NOTE_CHARS]
    wait.at = now
    if what == BLOCKED:
        action.blocked_reason = wait.note
        action.updated_at = now
        session.add(action)
    session.add(wait)
    await session.flush()
    return what
