"""One update's view of the world: who is talking, what they answer, where they are.

Handlers open a Turn, act, and commit; the Turn is the only place that loads this state, so every
flow reads it the same way and in a fixed number of statements.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import User

from bot import i18n
from bot.runtime import Runtime
from bot.services.answers import conversation_of
from bot.services.people import TelegramUser, ensure_person
from bot.services.teams import Assessment, active_assessment
from criteria.loader import PackRegistry
from criteria.model import Pack
from storage.models import Conversation, Person
from storage.queries import person_statuses


def as_telegram_user(user: User) -> TelegramUser:
    return TelegramUser(user.id, user.first_name or "", user.username, user.language_code)


@dataclass
class Turn:
    session: AsyncSession
    person: Person
    assessment: Assessment | None
    pack: Pack | None
    conversation: Conversation
    language: str = i18n.SOURCE_LANGUAGE

    @property
    def round_id(self) -> int | None:
        return self.assessment.round.id if self.assessment else None

    async def commit(self) -> None:
        """Make what this turn wrote durable; call it before telling the person it is saved."""
        await self.session.commit()

    async def statuses(self) -> dict[str, str]:
        return await person_statuses(self.session, self.round_id, self.person.id)

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
async def open_turn(rt: Runtime, user: User):
    """A session with the person, their assessment and conversation loaded; commits on success."""
    async with rt.sessions() as session:
        person = await ensure_person(session, as_telegram_user(user))
        await session.flush()
        assessment = await active_assessment(session, person)
        conversation = await conversation_of(session, person.id)
        turn = Turn(session, person, assessment, None, conversation)
        turn.settle_language(rt.packs)
        yield turn
        await session.commit()
