"""Sending one run's messages: each claimed in the delivery log first, throttled, retried, once.

The pace comes from PTB's AIORateLimiter (30 messages/s overall, with its own retries after a
429). Several sends are kept in flight so that limiter, not the round trip to Telegram, sets the
speed; a 429 that outlives the limiter's retries is waited out here, so a flood storm slows a run
down but loses nothing. A 403 (the person blocked the bot) marks them unreachable and moves on.
See bot/services/deliveries.py for the log's states and what a crash leaves behind.

Nothing is sent in the team's quiet hours: a run stops claiming sends when they begin
(`Run.send_until`), and a send still waiting out a 429 then gives its claim back. What is left
is counted as deferred, the run stays incomplete in the log, and bot/scheduled/jobs.py resumes it
when the
quiet hours end.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

from bot.domain.schedule import SendingWindow
from bot.services import deliveries
from bot.services.deliveries import DeliveryStatus, LoggedDelivery, RunStart
from bot.services.people import mark_unreachable
from storage.types import utcnow

log = logging.getLogger(__name__)

# Enough sends in flight to keep 30/s going over a link with a few hundred ms of latency.
SENDS_IN_FLIGHT = 32
# Telegram allows about one message a second in a private chat and 20 a minute in a group: the
# parts of one recipient's message (a long digest, its picture) are spaced out accordingly.
PART_INTERVAL_PRIVATE = 1.0
PART_INTERVAL_GROUP = 3.0
RETRY_AFTER_ROUNDS = 6  # each after the limiter's own retries; a storm this long is an outage
NETWORK_ATTEMPTS = 3
NETWORK_BACKOFF_SECONDS = 1.0
BLOCKED = "blocked"  # the detail of a delivery refused with 403

# One API call to one chat, e.g. `lambda bot, chat: bot.send_message(chat, text)`.
Part = Callable[[Bot, int], Awaitable[object]]


@dataclass(frozen=True)
class Outgoing:
    """Everything one recipient gets in this run: one or more API calls, sent in order."""

    chat_id: int
    parts: Sequence[Part]
    person_chat: bool = True  # a person's private chat, as opposed to a group
    # Its own log period instead of the run's (an overdue notice is logged per action).
    period: str | None = None

    @property
    def log_key(self) -> int | tuple[int, str]:
        """Its key in `Run.logged`: the chat, or the chat and its own period."""
        return self.chat_id if self.period is None else (self.chat_id, self.period)


@dataclass
class BroadcastReport:
    sent: int = 0
    already_logged: int = 0  # sent (or being sent) before: not sent again
    failed: int = 0
    unreachable: int = 0
    retried_after_429: int = 0  # 429s that outlived the rate limiter and were waited out here
    interrupted: int = 0  # not finished for a reason other than Telegram's answer: resume later
    deferred: int = 0  # not sent because quiet hours began: sent when they end
    failures: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.interrupted == 0 and self.deferred == 0


@dataclass
class RunOutcome:
    """What one run did, for logs, the operator's CLI and tests."""

    team_id: int
    period: str
    start: RunStart | None  # None: no such team, or deferred before it started
    report: BroadcastReport = field(default_factory=BroadcastReport)
    skipped: dict[str, int] = field(default_factory=dict)
    # Quiet hours kept the run from starting or finishing: when they end, it is to go on.
    deferred_until: datetime | None = None

    def summary(self) -> str:
        if self.start is None and self.deferred_until is not None:
            return (
                f"team {self.team_id} {self.period}: quiet hours until "
                f"{self.deferred_until:%Y-%m-%d %H:%M} UTC, nothing sent"
            )
        if self.start is None:
            return f"team {self.team_id}: no such team"
        if self.start == RunStart.DONE:
            return f"team {self.team_id} {self.period}: already done, nothing sent"
        report = self.report
        return (
            f"team {self.team_id} {self.period} ({self.start}): {report.sent} sent, "
            f"{report.already_logged} already in the log, {report.failed} failed, "
            f"{report.retried_after_429} waits after 429, {report.interrupted} interrupted, "
            f"{report.deferred} deferred by quiet hours; not sent: {self.skipped or 'none'}"
        )


@dataclass(frozen=True)
class RunRequest:
    """A run to do (a team's period) and at what time; the scheduler, the sweep or an operator
    asks, the runners (run_reminders, run_digest) do it."""

    team_id: int
    period: str
    now: datetime  # the run's time: its slot, or an operator's --now
    claimed_before: datetime  # pending claims older than this were abandoned by a dead process
    real_clock: Callable[[], datetime] = utcnow  # how time passes during the run (run_clock)

    def held_back(self, window: SendingWindow) -> RunOutcome | None:
        """If quiet hours keep this run from starting now, its outcome: deferred until they end."""
        if window.is_open(self.now):
            return None
        return RunOutcome(self.team_id, self.period, None, deferred_until=window.opens)

    def run(
        self, kind: str, logged: dict[int | tuple[int, str], LoggedDelivery], window: SendingWindow
    ) -> Run:
        """The broadcast of this run: one kind of message, sent until quiet hours begin."""
        clock = run_clock(self.now, self.real_clock)
        return Run(
            kind, self.team_id, self.period, logged, self.claimed_before, window.closes, clock
        )


@dataclass(frozen=True)
class Run:
    """Which log entries a broadcast writes: one kind, one team, one period."""

    kind: str
    team_id: int
    period: str
    # What the log held when the run read it, by Outgoing.log_key.
    logged: dict[int | tuple[int, str], LoggedDelivery]
    claimed_before: datetime  # pending claims older than this were abandoned by a dead process
    send_until: datetime | None = None  # when quiet hours begin: nothing new is sent from then
    clock: Callable[[], datetime] = utcnow  # the run's time (see run_clock)

    def may_send(self, wait: timedelta = timedelta(0)) -> bool:
        """Whether a send started now, after `wait`, is still before quiet hours."""
        return self.send_until is None or self.clock() + wait < self.send_until


class QuietHoursBegan(Exception):
    """A send waiting out a 429 would go out in quiet hours: it is given back, for later."""


def run_clock(now: datetime, real: Callable[[], datetime] = utcnow) -> Callable[[], datetime]:
    """A run's clock: `now` when the run starts, moving on as `real` does.

    A run is told what time it is (`now`: its slot, or an operator's --now); how far it got
    towards quiet hours is that plus the time it has taken.
    """
    started = real()
    return lambda: now + (real() - started)


async def broadcast(
    bot: Bot,
    sessions: async_sessionmaker[AsyncSession],
    run: Run,
    outgoing: Sequence[Outgoing],
    in_flight: int = SENDS_IN_FLIGHT,
) -> BroadcastReport:
    """Deliver every item whose log entry this run wins; returns what happened."""
    report = BroadcastReport()
    queue: asyncio.Queue[Outgoing] = asyncio.Queue()
    for item in outgoing:
        queue.put_nowait(item)

    async def worker() -> None:
        while True:
            try:
                item = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            try:
                await _deliver(bot, sessions, run, item, report)
            except Exception:
                # The log could not be read or written (the database went away): this one is
                # left for the run's resumption, and the run must not be recorded as complete.
                log.exception("delivery to chat %s interrupted", item.chat_id)
                report.interrupted += 1

    await asyncio.gather(*(worker() for _ in range(max(1, min(in_flight, len(outgoing))))))
    return report


async def _deliver(
    bot: Bot,
    sessions: async_sessionmaker[AsyncSession],
    run: Run,
    item: Outgoing,
    report: BroadcastReport,
) -> None:
    known = run.logged.get(item.log_key)
    if known is not None and not known.may_retake(run.claimed_before):
        report.already_logged += 1
        return
    if not run.may_send():
        report.deferred += 1
        return
    async with sessions() as session:
        delivery_id = await deliveries.claim(
            session,
            run.kind,
            item.chat_id,
            run.team_id,
            item.period or run.period,
            known,
            run.claimed_before,
        )
    if delivery_id is None:
        report.already_logged += 1
        return
    # A cancellation (the bot stopping) leaves the claim pending on purpose: sent after restart.
    try:
        # Only a fresh claim is given back: a retaken one ('resending') is never taken again.
        status, detail = await _send_all(bot, item, report, run if known is None else None)
    except QuietHoursBegan:
        async with sessions() as session:
            await deliveries.release(session, delivery_id)
        report.deferred += 1
        return
    async with sessions() as session:
        await deliveries.finish(session, delivery_id, status, detail)
        if status == DeliveryStatus.FAILED and detail == BLOCKED and item.person_chat:
            await mark_unreachable(session, item.chat_id, utcnow())
            await session.commit()


async def _send_all(
    bot: Bot, item: Outgoing, report: BroadcastReport, stoppable: Run | None
) -> tuple[DeliveryStatus, str | None]:
    """Send every part; `stoppable`: the run whose quiet hours may stop this before it starts."""
    chat_id = item.chat_id
    interval = PART_INTERVAL_PRIVATE if item.person_chat else PART_INTERVAL_GROUP
    try:
        for number, part in enumerate(item.parts):
            if number:
                await asyncio.sleep(interval)
            # Once a part went out, the rest follow: half a digest tonight and half tomorrow
            # would be worse than a few seconds into quiet hours.
            chat_id = await _send_part(bot, part, chat_id, report, None if number else stoppable)
    except QuietHoursBegan:
        raise
    except Forbidden as error:
        log.info("chat %s refused a message: %s", item.chat_id, error)
        report.failed += 1
        if item.person_chat:
            report.unreachable += 1
        return DeliveryStatus.FAILED, BLOCKED
    except Exception as error:
        # Anything else (a chat that is gone, an outage that outlived every retry, a bug) fails
        # this recipient only; the rest of the run goes on.
        log.warning("could not deliver to chat %s", item.chat_id, exc_info=error)
        report.failed += 1
        report.failures.append(f"{item.chat_id}: {error}")
        return DeliveryStatus.FAILED, str(error)[:200]
    report.sent += 1
    return DeliveryStatus.SENT, None


async def _send_part(
    bot: Bot, part: Part, chat_id: int, report: BroadcastReport, stoppable: Run | None
) -> int:
    """Send one API call, waiting out 429s and brief network trouble; returns the chat id used.

    Raises QuietHoursBegan when waiting out a 429 would end in `stoppable`'s quiet hours.
    """
    network_failures = 0
    retry_rounds = 0
    while True:
        try:
            await part(bot, chat_id)
            return chat_id
        except RetryAfter as error:
            retry_rounds += 1
            report.retried_after_429 += 1
            if retry_rounds > RETRY_AFTER_ROUNDS:
                raise
            wait = retry_after_seconds(error) + 0.1
            if stoppable is not None and not stoppable.may_send(timedelta(seconds=wait)):
                raise QuietHoursBegan from error
            await asyncio.sleep(wait)
        except ChatMigrated as error:
            # A group became a supergroup: same chat, new id.
            chat_id = error.new_chat_id
        except BadRequest:
            raise  # a NetworkError subclass, but retrying cannot fix a bad request
        except NetworkError:
            # A timeout may hide a message Telegram did get; a rare duplicate beats a loss.
            network_failures += 1
            if network_failures >= NETWORK_ATTEMPTS:
                raise
            await asyncio.sleep(NETWORK_BACKOFF_SECONDS * network_failures)


def retry_after_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB 22 warns that the int form is going away
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
