"""Starting and finishing a scheduled run (reminders, a digest): the steps every run shares.

A run reads its team (gone: nothing to do), waits out quiet hours, claims the run's record in the
delivery log (already done: nothing to do), finds the team's open round (none: the run is done),
broadcasts, and then either records its completion or says when it is to go on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot

from bot.core.runtime import Runtime
from bot.domain.schedule import SendingWindow
from bot.scheduled.broadcast import Outgoing, RunOutcome, RunRequest, broadcast
from bot.services import deliveries
from bot.services.deliveries import DeliveryKind, DeliveryStatus, LoggedDelivery, RunStart
from bot.services.packs import pack_of
from bot.services.schedules import team_sending_window
from criteria.model import Pack
from storage.models import AssessmentRound, Team
from storage.queries import current_round

log = logging.getLogger(__name__)

Read = TypeVar("Read")  # what a run reads from the database before it composes its messages


@dataclass(frozen=True)
class RunKind:
    """One kind of scheduled run: the log entry of the run and that of each message it sends."""

    name: str  # for the log lines
    run: DeliveryKind
    message: DeliveryKind
    detail_without_round: str | None = None  # recorded when the team has no open round


@dataclass
class StartedRun:
    """A run that claimed its record and has a round to send about."""

    kind: RunKind
    request: RunRequest
    outcome: RunOutcome
    run_id: int
    team: Team
    round: AssessmentRound
    pack: Pack  # the round's pack, untranslated
    window: SendingWindow
    logged: dict[int, LoggedDelivery]  # what the log held for this period when the run began


# What a run sends, and the detail its record keeps once everything went out.
Composed = tuple[Sequence[Outgoing], Callable[[RunOutcome], str | None]]


async def perform_run(
    rt: Runtime,
    bot: Bot,
    kind: RunKind,
    request: RunRequest,
    read: Callable[[AsyncSession, StartedRun], Awaitable[Read]],
    compose: Callable[[StartedRun, Read], Awaitable[Composed]],
) -> RunOutcome:
    """One run: start it, `read` what it needs in the run's session, `compose` its messages with
    the session closed (drawing a chart holds no connection), then send and finish."""
    async with rt.sessions() as session:
        started = await start_run(session, rt, kind, request)
        if isinstance(started, RunOutcome):
            return started
        what_was_read = await read(session, started)
    outgoing, detail = await compose(started, what_was_read)
    return await send_and_finish(rt, bot, started, outgoing, detail)


async def start_run(
    session: AsyncSession, rt: Runtime, kind: RunKind, request: RunRequest
) -> StartedRun | RunOutcome:
    """The run to go on with, or its outcome when there is nothing (or nothing yet) to send."""
    team_id, period = request.team_id, request.period
    team = await session.get(Team, team_id)
    if team is None:
        return RunOutcome(team_id, period, None)
    window = team_sending_window(team, rt.settings.default_timezone, request.now)
    if held_back := request.held_back(window):
        return held_back
    start, run_id = await deliveries.start_run(session, kind.run, team_id, period)
    outcome = RunOutcome(team_id, period, start)
    if start == RunStart.DONE:
        return outcome
    round_ = await current_round(session, team_id)
    if round_ is None:
        await deliveries.finish(session, run_id, DeliveryStatus.SENT, kind.detail_without_round)
        return outcome
    logged = await deliveries.logged_deliveries(session, kind.message, team_id, period)
    pack = await pack_of(session, rt.packs, round_.pack_id)
    return StartedRun(kind, request, outcome, run_id, team, round_, pack, window, logged)


async def send_and_finish(
    rt: Runtime,
    bot: Bot,
    started: StartedRun,
    outgoing: Sequence[Outgoing],
    detail: Callable[[RunOutcome], str | None],
) -> RunOutcome:
    """Broadcast the run's messages; record the run as done (with `detail`) once all went out,
    else leave it for the next sweep, or for the end of the quiet hours that stopped it."""
    kind, outcome = started.kind, started.outcome
    run = started.request.run(kind.message, started.logged, started.window)
    outcome.report = await broadcast(bot, rt.sessions, run, outgoing)
    if outcome.report.deferred:
        outcome.deferred_until = started.window.reopens
    if not outcome.report.complete:
        log.warning("%s cut short, resumed by the next sweep: %s", kind.name, outcome.summary())
        return outcome
    async with rt.sessions() as session:
        await deliveries.finish(session, started.run_id, DeliveryStatus.SENT, detail(outcome))
    log.info("%s: %s", kind.name, outcome.summary())
    return outcome
