"""Which instance runs the schedules: a lease row in the database that one holder keeps renewing.

Several instances may share one PostgreSQL (webhook mode behind a load balancer). Any of them
handles updates, but a reminder or digest must go out once, so scheduled work runs only where
`await is_leader(context)` is true. The leader renews its lease every RENEW_EVERY; when it stops
(crashed, stopped, cut off from the database) the lease runs out after LEASE_DURATION and the
next instance to try claims it. Whoever holds the lease hears of each renewal (on_renewed), so
a new leader can catch up at once.

Claiming is one UPDATE ... WHERE (expired OR already mine): the database serialises concurrent
UPDATEs of the row, so two instances never both win. The very first claim inserts the row (ON
CONFLICT DO NOTHING, so a race there has one winner too). The same code serves SQLite and
PostgreSQL. Deliveries are unique per period as well (storage.models.Delivery), so even an
overlap caused by badly skewed clocks would not send a message twice.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.ext import Application, CallbackContext

from storage.models import Lease
from storage.types import utcnow

log = logging.getLogger(__name__)

SCHEDULER_LEASE = "scheduler"
LEASE_DURATION = timedelta(seconds=30)
RENEW_EVERY = timedelta(seconds=10)
# The leader stops trusting its lease this long before it runs out, so that an instance whose
# clock runs a little ahead can take over without a moment where both act.
SAFETY_MARGIN = timedelta(seconds=10)
LEADERSHIP_KEY = "leadership"
RENEW_JOB_ID = "renew-scheduler-lease"


def instance_name() -> str:
    """Unique per process, readable in the lease table: host, pid and a random suffix."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Leadership:
    """One instance's side of a named lease."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        lease: str = SCHEDULER_LEASE,
        holder: str | None = None,
        duration: timedelta = LEASE_DURATION,
        safety_margin: timedelta = SAFETY_MARGIN,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if safety_margin >= duration:
            raise ValueError("the safety margin must be shorter than the lease")
        self.sessions = sessions
        self.lease = lease
        self.holder = holder or instance_name()
        self.duration = duration
        self.safety_margin = safety_margin
        self.clock = clock
        self._trusted_until: datetime | None = None
        # Called after each renewal that kept or took the lease: (application, just_gained).
        self.on_renewed: list[Callable[[Application, bool], Awaitable[None]]] = []

    def leads(self) -> bool:
        """Whether this instance may act as leader now, by its last successful claim."""
        return self._trusted_until is not None and self.clock() < self._trusted_until

    async def claim(self) -> bool:
        """Take the lease if it is free or expired, or extend it if it is ours; True if held."""
        now = self.clock()
        expires_at = now + self.duration
        async with self.sessions() as session:
            renewed = await session.execute(
                update(Lease)
                .where(
                    Lease.name == self.lease,
                    or_(Lease.holder == self.holder, Lease.expires_at < now),
                )
                .values(holder=self.holder, expires_at=expires_at)
            )
            held = renewed.rowcount == 1
            if not held:
                inserted = await session.execute(
                    _insert_for(session)(Lease)
                    .values(name=self.lease, holder=self.holder, expires_at=expires_at)
                    .on_conflict_do_nothing(index_elements=["name"])
                )
                held = inserted.rowcount == 1
            await session.commit()
        was_leader = self.leads()
        self._trusted_until = expires_at - self.safety_margin if held else None
        if held and not was_leader:
            log.info("this instance (%s) now runs the schedules", self.holder)
        elif was_leader and not held:
            log.warning("this instance (%s) lost the %s lease", self.holder, self.lease)
        return held

    async def release(self) -> None:
        """Let another instance take over at once instead of after the lease runs out."""
        self._trusted_until = None
        async with self.sessions() as session:
            await session.execute(
                update(Lease)
                .where(Lease.name == self.lease, Lease.holder == self.holder)
                .values(expires_at=self.clock())
            )
            await session.commit()


def _insert_for(session: AsyncSession):
    if session.bind.dialect.name == "postgresql":
        return postgresql_insert
    return sqlite_insert


async def is_leader(context: CallbackContext) -> bool:
    """Whether scheduled work (reminders, digests) should run on this instance now."""
    leadership: Leadership | None = context.application.bot_data.get(LEADERSHIP_KEY)
    return leadership is not None and leadership.leads()


async def renew_lease(context: CallbackContext) -> None:
    """Job: keep (or take) the lease; a database outage simply lets it run out."""
    leadership: Leadership = context.application.bot_data[LEADERSHIP_KEY]
    was_leader = leadership.leads()
    try:
        held = await leadership.claim()
    except Exception as error:  # the next run tries again; leads() turns false by itself
        log.warning("could not renew the %s lease: %r", leadership.lease, error)
        return
    if held:
        # A new leader catches up at once rather than at its next sweep, and the leader picks up
        # schedules changed on other instances within a renewal (bot/scheduled/jobs.py).
        for listener in leadership.on_renewed:
            await listener(context.application, not was_leader)


async def start_leadership(
    application: Application, sessions: async_sessionmaker[AsyncSession]
) -> Leadership:
    """Claim once now, then keep renewing from the job queue."""
    leadership = Leadership(sessions)
    application.bot_data[LEADERSHIP_KEY] = leadership
    try:
        await leadership.claim()
    except Exception as error:
        log.warning("could not claim the %s lease yet: %r", leadership.lease, error)
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            renew_lease,
            interval=RENEW_EVERY,
            first=RENEW_EVERY,
            name=RENEW_JOB_ID,
            job_kwargs={
                "id": RENEW_JOB_ID,
                "replace_existing": True,
                # A late renewal is still useful; a skipped one may cost the lease.
                "misfire_grace_time": int(RENEW_EVERY.total_seconds()),
                "coalesce": True,
            },
        )
    return leadership


async def stop_leadership(application: Application) -> None:
    leadership: Leadership | None = application.bot_data.get(LEADERSHIP_KEY)
    if leadership is None:
        return
    try:
        await leadership.release()
    except Exception as error:  # the lease will simply run out
        log.warning("could not release the %s lease: %r", leadership.lease, error)
