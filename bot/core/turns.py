"""One update's view of the world: who is talking, what they answer, where they are.

Handlers open a Turn, act, and commit; the Turn is the only place that loads this state, so every
flow reads it the same way and in a fixed number of statements.

An update is one session and one transaction from its first statement to the turn's commit.
PerChatUpdateProcessor runs each update in an UpdateWork; the guards write the update's
processed_update row and read the person (bot.core.access) in its session, and open_turn carries on
in
that same session and transaction. So the answer and the record that its update was handled are
committed together or not at all, and the guards' query is the turn's first query.

A handler that does not open a turn never waits on that open transaction: the guards' work is
committed before it opens a session of its own (storage.db.Session), before any Bot API request
(bot.core.rate_limit), and at the end of the update at the latest.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import User

from bot.core import i18n
from bot.core.runtime import Runtime
from bot.services.answers import conversation_of
from bot.services.packs import ensure_packs
from bot.services.people import TelegramUser, ensure_person, keep_in_step
from bot.services.teams import Assessment, active_assessment, assessment_of
from criteria.loader import PackRegistry
from criteria.model import Pack
from storage.db import settled_before_new_sessions
from storage.models import Conversation, Person
from storage.queries import PersonState, person_state, person_statuses

log = logging.getLogger(__name__)


def as_telegram_user(user: User) -> TelegramUser:
    return TelegramUser(user.id, user.first_name or "", user.username, user.language_code)


class UpdateWork:
    """The session an update's guards begin and its turn carries on (see module docstring)."""

    def __init__(self) -> None:
        self._task = asyncio.current_task()
        self._session: AsyncSession | None = None
        self._state: PersonState | None = None  # read by the guards, for the turn
        self._kept = False  # whether _state was read (None is a newcomer then)

    def session(self, rt: Runtime) -> AsyncSession:
        """The update's session, opened on first use; its transaction stays open for the turn."""
        if self._session is None:
            # Opened without `async with`: that would settle this very work first.
            self._session = rt.sessions()
        return self._session

    def keep(self, state: PersonState | None) -> None:
        """Keep what the guards read for the turn, which then skips its first query."""
        self._state, self._kept = state, True

    def kept(self, user_id: int) -> tuple[bool, PersonState | None]:
        """Whether the guards read this person for the turn, and what they found (None: a
        newcomer); a handler before the turn may look without taking it."""
        state = self._state
        if not self._kept or (state is not None and state.person.telegram_user_id != user_id):
            return False, None
        return True, state

    def hand_over(self, rt: Runtime, user_id: int) -> tuple[AsyncSession, PersonState | None]:
        """Give the session, open transaction and person read so far to a turn, which owns it."""
        session, state = self.session(rt), self._state
        self._session = self._state = None
        self._kept = False
        if state is not None and state.person.telegram_user_id != user_id:
            state = None  # read for someone else
        return session, state

    async def settle(self) -> None:
        """Commit what the guards wrote and let the connection go (no turn carries it on)."""
        if self._session is None or asyncio.current_task() is not self._task:
            return  # nothing begun, or a task the update started: that one is not the owner
        session, self._session, self._state, self._kept = self._session, None, None, False
        try:
            await session.commit()
        finally:
            await session.close()

    async def discard(self) -> None:
        """Roll back what the guards began (a duplicate update, a failed statement)."""
        session, self._session, self._state, self._kept = self._session, None, None, False
        if session is not None:
            await session.close()

    async def finish(self) -> None:
        """The update is done: commit what is left (an update no handler took is still handled)."""
        try:
            await self.settle()
        except Exception:
            # Nothing else wrote in this transaction, and nobody is waiting for an answer; a
            # redelivered update will be handled again.
            log.warning("could not record the update as handled", exc_info=True)


_current: ContextVar[UpdateWork | None] = ContextVar("update_work", default=None)


def current_work() -> UpdateWork | None:
    work = _current.get()
    return work if work is not None and work._task is asyncio.current_task() else None


async def in_update_work(processing: Awaitable[Any]) -> None:
    """Run one update's handlers in an UpdateWork of its own."""
    work = UpdateWork()
    token = _current.set(work)
    try:
        with settled_before_new_sessions(work.settle):
            await processing
    finally:
        _current.reset(token)
        await work.finish()


def keep_for_turn(state: PersonState | None) -> None:
    """The guards read the person in the update's session: the turn starts from that."""
    work = current_work()
    if work is not None:
        work.keep(state)


def kept_person_state(user_id: int) -> tuple[bool, PersonState | None]:
    """What the guards read of this person in this update, if they did (see UpdateWork.kept)."""
    work = current_work()
    return work.kept(user_id) if work is not None else (False, None)


async def settle_update_work() -> None:
    """Commit the guards' work unless a turn carries it on (before the bot waits on Telegram)."""
    work = current_work()
    if work is not None:
        await work.settle()


@asynccontextmanager
async def update_session(rt: Runtime) -> AsyncIterator[AsyncSession]:
    """The guards' session: the update's own (left open for the turn) when there is one.

    Outside an UpdateWork (an Application without PerChatUpdateProcessor) the guard commits at
    once in a session of its own. A failure rolls back what the guards began.
    """
    work = current_work()
    if work is None:
        async with rt.sessions() as session:
            yield session
            await session.commit()
        return
    try:
        yield work.session(rt)
    except BaseException:
        await work.discard()
        raise


@dataclass
class Turn:
    session: AsyncSession
    person: Person
    assessment: Assessment | None
    pack: Pack | None
    conversation: Conversation
    now: datetime  # the moment the turn opened, by the bot's clock (bot/core/clock.py)
    language: str = i18n.SOURCE_LANGUAGE

    @property
    def round_id(self) -> int | None:
        return self.assessment.round.id if self.assessment else None

    async def commit(self) -> None:
        """Make what this turn wrote durable; call it before telling the person it is saved."""
        await self.session.commit()

    async def statuses(self) -> dict[str, str]:
        return await person_statuses(self.session, self.round_id, self.person.id)

    async def settle(self, packs: PackRegistry) -> None:
        """settle_language, once an uploaded pack of the round is in the registry's memory."""
        if self.assessment is not None:
            await ensure_packs(self.session, packs, [self.assessment.round.pack_id])
        self.settle_language(packs)

    def settle_language(self, packs: PackRegistry) -> None:
        """Speak the person's language from here on, and show the pack in it.

        Called when the turn opens, and again when what decides the language changes (they
        joined a team with a default language, or chose one with /language).
        """
        team_default = self.assessment.team.language if self.assessment else None
        self.language = i18n.resolve_language(
            self.person.chosen_language, team_default, self.person.language_code
        )
        i18n.set_language(self.language)
        self.pack = None
        if self.assessment is not None:
            # Untranslated strings fall back to the pack's own language one by one.
            self.pack = packs.get(self.assessment.round.pack_id).translated(self.language)


@asynccontextmanager
async def open_turn(rt: Runtime, user: User) -> AsyncIterator[Turn]:
    """A session with the person, their assessment and conversation loaded; commits on success.

    Within an update this is the update's session and transaction (with its processed_update
    row), so the first commit records the update as handled together with what the turn wrote.
    """
    work = current_work()
    if work is not None:
        session, state = work.hand_over(rt, user.id)
    else:
        session, state = rt.sessions(), None
    try:
        turn = await _load_turn(rt, session, user, state)
        yield turn
        await session.commit()
    finally:
        await session.close()  # rolls back what was not committed


async def _load_turn(
    rt: Runtime, session: AsyncSession, user: User, state: PersonState | None
) -> Turn:
    telegram_user = as_telegram_user(user)
    state = state or await person_state(session, user.id)
    if state is None:  # first contact
        person = await ensure_person(session, telegram_user)
        await session.flush()
        assessment = await active_assessment(session, person)
        conversation = await conversation_of(session, person.id)
    else:
        person = state.person
        keep_in_step(person, telegram_user)
        await session.flush()
        assessment = assessment_of(state)
        conversation = state.conversation
        if conversation is None:
            conversation = Conversation(person_id=person.id)
            session.add(conversation)
    turn = Turn(session, person, assessment, None, conversation, rt.clock())
    await turn.settle(rt.packs)
    return turn
