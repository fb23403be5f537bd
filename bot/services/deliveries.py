"""The delivery log: every scheduled message is claimed here before it is sent.

A send is a Delivery row keyed by (kind, recipient chat, period). It is inserted as 'pending'
*before* the Telegram call, so the unique key lets only one claim win, and marked 'sent' (or
'failed') after. Periods are scoped to the team ("t12:2026-W48-mon"), so a person in two teams
gets each team's reminder.

A whole run (one team's reminders or digest for one period) is logged the same way with the
recipient RUN_RECIPIENT (no chat): 'pending' while it runs, 'sent' once everyone was handled. A
run still 'pending' at start was cut short and is resumed; a 'sent' one is never run again.

What a crash leaves behind, and why it is resent once: a row still 'pending' after its process
died was claimed but never confirmed. The claim is made immediately before the request, and the
request mostly waits in the rate limiter's queue (up to seconds when a broadcast is throttled),
while the step from Telegram's answer to the 'sent' update is a single statement. So a pending
row almost always means Telegram never got the message, and it is sent again after the restart.
To make that at most twice, the retry first moves the row to 'resending'; a row in that state is
never taken again. A duplicate reminder is a small annoyance; a silently lost one is what this
log exists to prevent.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from storage.models import Delivery, Membership, Person
from storage.types import utcnow

RUN_RECIPIENT = 0  # the recipient of a run record: no chat, the run itself


class DeliveryKind(StrEnum):
    REMINDER = "reminder"
    DIGEST = "digest"
    REMINDER_RUN = "reminder-run"
    DIGEST_RUN = "digest-run"
    NUDGE = "nudge"  # the weekly nudge to owners of open improvement actions
    NUDGE_RUN = "nudge-run"
    OVERDUE = "overdue"  # the one notice to an action's owner that it is overdue
    OVERDUE_RUN = "overdue-run"


# Everything sent to a person unasked: these count against the team's weekly cap together.
FOLLOW_UP_KINDS = (DeliveryKind.REMINDER, DeliveryKind.NUDGE, DeliveryKind.OVERDUE)


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # claimed; the send is in flight (or its process died)
    RESENDING = "resending"  # a pending row taken over after a restart: never taken again
    SENT = "sent"
    FAILED = "failed"  # Telegram refused it (blocked, chat gone): not retried


DONE_STATUSES = (DeliveryStatus.SENT, DeliveryStatus.FAILED)


@dataclass(frozen=True)
class LoggedDelivery:
    """What the log already holds for one recipient and period."""

    id: int
    status: str
    created_at: datetime

    def may_retake(self, claimed_before: datetime) -> bool:
        """A pending claim from a process that is gone (claimed before `claimed_before`)."""
        return self.status == DeliveryStatus.PENDING and self.created_at < claimed_before


def team_period(team_id: int, period: str) -> str:
    return f"t{team_id}:{period}"


async def logged_deliveries(
    session: AsyncSession, kind: str, team_id: int, period: str
) -> dict[int, LoggedDelivery]:
    """Recipient chat id -> its row, for a team's sends of one kind and period (one statement)."""
    rows = await session.execute(
        select(Delivery.recipient_chat_id, Delivery.id, Delivery.status, Delivery.created_at).where(
            Delivery.kind == kind, Delivery.period == team_period(team_id, period)
        )
    )
    return {chat: LoggedDelivery(id_, status, created) for chat, id_, status, created in rows}


async def claim(
    session: AsyncSession,
    kind: str,
    chat_id: int,
    team_id: int,
    period: str,
    known: LoggedDelivery | None,
    claimed_before: datetime,
) -> int | None:
    """Claim one send and commit; the row id if this caller may send it, else None.

    `known` is the row read beforehand (if any); `claimed_before` is the moment before which a
    pending claim counts as abandoned (the start of this process).
    """
    if known is not None:
        return await _retake(session, known.id, claimed_before)
    row = Delivery(
        kind=kind, recipient_chat_id=chat_id, period=team_period(team_id, period), team_id=team_id
    )
    session.add(row)
    try:
        await session.commit()
    except IntegrityError:
        # Someone claimed it between our read and our insert: theirs to send.
        await session.rollback()
        return None
    return row.id


async def _retake(session: AsyncSession, delivery_id: int, claimed_before: datetime) -> int | None:
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.created_at < claimed_before,
        )
        .values(status=DeliveryStatus.RESENDING)
    )
    await session.commit()
    return delivery_id if result.rowcount == 1 else None


async def release(session: AsyncSession, delivery_id: int) -> None:
    """Give back a fresh claim whose send never went out (quiet hours began), and commit."""
    await session.execute(
        delete(Delivery).where(
            Delivery.id == delivery_id, Delivery.status == DeliveryStatus.PENDING
        )
    )
    await session.commit()


async def finish(
    session: AsyncSession, delivery_id: int, status: DeliveryStatus, detail: str | None = None
) -> None:
    """Record how a claimed send ended, and commit."""
    values: dict[str, object] = {"status": status}
    if status == DeliveryStatus.SENT:
        values["sent_at"] = utcnow()
    if detail is not None:
        values["detail"] = detail
    await session.execute(update(Delivery).where(Delivery.id == delivery_id).values(**values))
    await session.commit()


async def follow_ups_this_week(
    session: AsyncSession, team_id: int, week: str, except_periods: Collection[str] = ()
) -> dict[int, int]:
    """Chat id -> follow-ups this team's members had this week (e.g. '2026-W48'), of any kind
    (reminders, nudges, overdue notices) and from any of their teams.

    Counted per person across teams, so someone in three teams is not nagged three times as
    often; sent and in-flight ones count, failed ones do not, and neither do the `except_periods`
    (this team's, unscoped: the run deciding now, which may be a resumption of its own claims).
    Every follow-up's period starts with its week, which is what is matched here.
    """
    members = (
        select(Person.telegram_user_id)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.team_id == team_id)
    )
    any_team_this_week = "t%:" + _escape_like(week) + "%"
    query = (
        select(Delivery.recipient_chat_id, func.count())
        .where(
            Delivery.kind.in_(FOLLOW_UP_KINDS),
            Delivery.recipient_chat_id.in_(members),
            Delivery.period.like(any_team_this_week, escape="\\"),
            Delivery.status != DeliveryStatus.FAILED,
        )
        .group_by(Delivery.recipient_chat_id)
    )
    if except_periods:
        query = query.where(
            Delivery.period.not_in([team_period(team_id, p) for p in except_periods])
        )
    return dict((await session.execute(query)).all())


async def overdue_notices_of_team(
    session: AsyncSession, team_id: int
) -> dict[tuple[int, str], LoggedDelivery]:
    """(Owner chat id, period) -> its row, for every overdue notice of the team in any week (one
    statement on the team-and-kind index): an action's notice is looked for across weeks."""
    rows = await session.execute(
        select(
            Delivery.recipient_chat_id,
            Delivery.period,
            Delivery.id,
            Delivery.status,
            Delivery.created_at,
        ).where(Delivery.team_id == team_id, Delivery.kind == DeliveryKind.OVERDUE)
    )
    prefix = team_period(team_id, "")
    return {
        (chat, period.removeprefix(prefix)): LoggedDelivery(id_, status, created)
        for chat, period, id_, status, created in rows
    }


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Runs.


class RunStart(StrEnum):
    STARTED = "started"  # first time this period runs
    RESUMED = "resumed"  # a run that was cut short: send what is left
    DONE = "done"  # already complete: nothing to do


async def start_run(
    session: AsyncSession, kind: DeliveryKind, team_id: int, period: str
) -> tuple[RunStart, int]:
    """Record that a run begins (or resumes), and commit; returns how, and the run's row id."""
    key = team_period(team_id, period)
    existing = await _run_row(session, kind, key)
    if existing is None:
        session.add(
            Delivery(kind=kind, recipient_chat_id=RUN_RECIPIENT, period=key, team_id=team_id)
        )
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()
        else:
            return RunStart.STARTED, (await _run_row(session, kind, key)).id
        existing = await _run_row(session, kind, key)
    if existing.status in DONE_STATUSES:
        return RunStart.DONE, existing.id
    return RunStart.RESUMED, existing.id


async def _run_row(session: AsyncSession, kind: str, key: str) -> Delivery | None:
    return (
        await session.execute(
            select(Delivery).where(
                Delivery.kind == kind,
                Delivery.recipient_chat_id == RUN_RECIPIENT,
                Delivery.period == key,
            )
        )
    ).scalar_one_or_none()


async def completed_runs(
    session: AsyncSession, runs: Iterable[tuple[DeliveryKind, int, str]]
) -> set[tuple[DeliveryKind, int, str]]:
    """Which of these (run kind, team id, period) runs are complete (one statement)."""
    wanted = {
        (kind, team_period(team_id, period)): (kind, team_id, period)
        for kind, team_id, period in runs
    }
    if not wanted:
        return set()
    rows = await session.execute(
        select(Delivery.kind, Delivery.period).where(
            Delivery.recipient_chat_id == RUN_RECIPIENT,
            Delivery.kind.in_({kind for kind, _ in wanted}),
            Delivery.period.in_({key for _, key in wanted}),
            Delivery.status.in_(DONE_STATUSES),
        )
    )
    return {wanted[(kind, key)] for kind, key in rows if (kind, key) in wanted}


async def latest_run_detail(
    session: AsyncSession, kind: DeliveryKind, team_id: int, except_period: str | None = None
) -> tuple[str | None, datetime | None]:
    """The detail and time of this team's newest complete run of a kind, maybe skipping one."""
    query = select(Delivery.detail, Delivery.sent_at).where(
        Delivery.kind == kind,
        Delivery.team_id == team_id,
        Delivery.recipient_chat_id == RUN_RECIPIENT,
        Delivery.status == DeliveryStatus.SENT,
        Delivery.detail.is_not(None),
    )
    if except_period is not None:
        query = query.where(Delivery.period != team_period(team_id, except_period))
    row = (await session.execute(query.order_by(Delivery.sent_at.desc()).limit(1))).first()
    return (row[0], row[1]) if row else (None, None)
