"""People as the bot knows them: created on first contact, kept in step with Telegram."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from storage.models import Person


@dataclass(frozen=True)
class TelegramUser:
    """What the bot needs from a Telegram user, without the Telegram type."""

    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = None


async def ensure_person(session: AsyncSession, user: TelegramUser) -> Person:
    """Find or create the person; refresh their name and language when Telegram's changed."""
    person = (
        await session.execute(select(Person).where(Person.telegram_user_id == user.id))
    ).scalar_one_or_none()
    if person is None:
        person = Person(
            telegram_user_id=user.id,
            first_name=user.first_name[:128],
            username=user.username,
            language_code=user.language_code,
        )
        session.add(person)
        try:
            async with session.begin_nested():
                await session.flush()
        except IntegrityError:
            # Two first messages at once: the other one created the row.
            person = (
                await session.execute(select(Person).where(Person.telegram_user_id == user.id))
            ).scalar_one()
        return person
    keep_in_step(person, user)
    return person


def keep_in_step(person: Person, user: TelegramUser) -> None:
    """Refresh name and language when Telegram's changed; they wrote, so they are reachable."""
    if (person.first_name, person.username) != (user.first_name[:128], user.username):
        person.first_name, person.username = user.first_name[:128], user.username
    if user.language_code and person.language_code != user.language_code:
        # Telegram's language follows the app's setting; /language (chosen_language) still wins.
        person.language_code = user.language_code[:10]
    if person.unreachable_since is not None:
        # They wrote to us, so they can be written to again.
        person.unreachable_since = None


async def mark_unreachable(session: AsyncSession, telegram_user_id: int, since: datetime) -> None:
    """Telegram refused a message to them (they blocked the bot): stop writing, delete nothing."""
    await session.execute(
        update(Person)
        .where(Person.telegram_user_id == telegram_user_id, Person.unreachable_since.is_(None))
        .values(unreachable_since=since)
    )


def pause_reminders(person: Person, until: datetime | None) -> None:
    """No reminders before `until`; None lets them come again."""
    person.reminders_paused_until = until


async def people_by_telegram_ids(
    session: AsyncSession, telegram_user_ids: list[int]
) -> list[Person]:
    """The people among these Telegram users that the bot knows (one statement)."""
    rows = await session.execute(
        select(Person).where(Person.telegram_user_id.in_(telegram_user_ids))
    )
    return list(rows.scalars())
