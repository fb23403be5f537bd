"""What a person is typing for on the plan: a progress note, a reason for blocking, dropping or
reassigning an action, or a manager's key theme in their own words.

The wait is an `action_event` row of kind "ask_…" (no new table): it survives a restart, and the
typed text turns that very row into the history's note, so the who and when stay with it (a
theme's wait has no action: it names the round in its note, and goes once the theme is saved).
A wait lasts `WAIT` only, so a reason nobody typed never swallows answers typed much later.

Waits never pile up: one is answered (it becomes the note, or goes), superseded by the person's
next tap (`wait_for_text` removes their earlier one), cancelled when its action closes
(`cancel_waits`) or its text is refused (`forget_wait`); expired ones of anyone are removed
whenever a new wait begins.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Action, ActionEvent, Person
from storage.queries import TEXT_WAIT_PREFIX

ASK = TEXT_WAIT_PREFIX  # "ask_": the person state reads when their newest wait began
NOTE, BLOCKED, DROPPED, REASSIGNED = "note", "blocked", "dropped", "reassigned"
THEME = "theme"  # a manager's key theme in their own words
WAIT = timedelta(minutes=30)
NOTE_CHARS = 2000


def _waits():
    return ActionEvent.kind.startswith(ASK, autoescape=True)


async def wait_for_text(
    session: AsyncSession,
    action: Action | None,
    person_id: int,
    what: str,
    now: datetime,
    note: str | None = None,
) -> None:
    """The person's next typed text is for `what` on `action` (None: on the plan, `note` says
    where); their earlier wait, and anyone's expired one, is forgotten."""
    await session.execute(
        delete(ActionEvent).where(
            _waits(), (ActionEvent.person_id == person_id) | (ActionEvent.at < now - WAIT)
        )
    )
    session.add(
        ActionEvent(
            action_id=action.id if action else None,
            person_id=person_id,
            kind=ASK + what,
            note=note,
            at=now,
        )
    )
    await session.flush()


async def forget_wait(session: AsyncSession, wait: ActionEvent) -> None:
    """A wait answered without a note to keep (a theme saved, a text refused)."""
    await session.delete(wait)
    await session.flush()


async def cancel_waits(session: AsyncSession, action_id: int) -> None:
    """Nobody types for an action that closed (done or dropped) any more."""
    await session.execute(delete(ActionEvent).where(_waits(), ActionEvent.action_id == action_id))


def may_be_waiting(since: datetime | None, now: datetime) -> bool:
    """Whether a wait that began `since` (PersonState.text_wait_since) may still be open."""
    return since is not None and since >= now - WAIT


async def waiting_for(
    session: AsyncSession, telegram_user_id: int, now: datetime
) -> tuple[ActionEvent, Action | None] | None:
    """The wait a typed text answers, if one is recent enough: one statement."""
    row = (
        await session.execute(
            select(ActionEvent, Action)
            .join(Person, Person.id == ActionEvent.person_id)
            .outerjoin(Action, Action.id == ActionEvent.action_id)
            .where(
                Person.telegram_user_id == telegram_user_id,
                _waits(),
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
