"""Exactly one instance runs the schedules, and another takes over when it stops renewing.

Two Leadership objects stand for two bot instances sharing one database (SQLite and PostgreSQL);
a hand-moved clock stands in for time passing.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.ops.leadership import LEASE_DURATION, RENEW_EVERY, Leadership
from storage.models import Lease


class Clock:
    """A clock that only moves when told to; both instances read it, as if NTP-synchronised."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> Clock:
    return Clock()


def two_instances(db, clock: Clock) -> tuple[Leadership, Leadership]:
    return (
        Leadership(db.sessions, holder="instance-a", clock=clock),
        Leadership(db.sessions, holder="instance-b", clock=clock),
    )


async def test_one_instance_leads_and_keeps_leading_while_it_renews(db, clock):
    a, b = two_instances(db, clock)

    assert await a.claim() is True
    assert await b.claim() is False
    for _ in range(6):  # a minute of renewals
        clock.advance(RENEW_EVERY)
        assert await a.claim() is True
        assert await b.claim() is False
    assert (a.leads(), b.leads()) == (True, False)


async def test_another_instance_takes_over_when_the_leader_stops_renewing(db, clock):
    a, b = two_instances(db, clock)
    assert await a.claim() is True

    clock.advance(LEASE_DURATION - timedelta(seconds=1))
    assert await b.claim() is False, "the lease has not run out yet"
    # a stopped renewing: it stops acting before its lease ends, so the two never overlap.
    assert a.leads() is False

    clock.advance(timedelta(seconds=2))
    assert await b.claim() is True
    assert (a.leads(), b.leads()) == (False, True)
    assert await a.claim() is False, "a comes back but b holds the lease now"

    async with db.sessions() as session:
        lease = (await session.execute(select(Lease))).scalar_one()
    assert lease.holder == "instance-b"


async def test_a_stopping_leader_hands_over_at_once(db, clock):
    a, b = two_instances(db, clock)
    assert await a.claim() is True

    await a.release()
    clock.advance(timedelta(milliseconds=1))

    assert await b.claim() is True
    assert a.leads() is False


async def test_instances_starting_together_elect_exactly_one(db, clock):
    instances = [Leadership(db.sessions, holder=f"instance-{n}", clock=clock) for n in range(4)]

    first_claims = await asyncio.gather(*(instance.claim() for instance in instances))
    assert sum(first_claims) == 1

    clock.advance(LEASE_DURATION + timedelta(seconds=1))  # the leader died: all race to take over
    takeovers = await asyncio.gather(*(instance.claim() for instance in instances))
    assert sum(takeovers) == 1
