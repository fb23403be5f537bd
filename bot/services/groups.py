"""Group chats linked to teams, and what the group features read (consensus votes: consensus.py).

A group is linked to at most one team (group_link.chat_id is unique); everything shown in a
group is read through its link, so a group linked to one team never sees another team's data.
"""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from storage.models import Answer, Consensus, GroupLink, Membership, Role, Team
from storage.types import utcnow


async def link_of_chat(session: AsyncSession, chat_id: int) -> GroupLink | None:
    return (
        await session.execute(select(GroupLink).where(GroupLink.chat_id == chat_id))
    ).scalar_one_or_none()


async def has_group(session: AsyncSession, team_id: int) -> bool:
    """Whether any group chat is linked to the team (one statement)."""
    row = await session.execute(select(GroupLink.id).where(GroupLink.team_id == team_id).limit(1))
    return row.first() is not None


async def managed_teams(session: AsyncSession, person_id: int) -> list[Team]:
    rows = await session.execute(
        select(Team)
        .join(Membership, Membership.team_id == Team.id)
        .where(Membership.person_id == person_id, Membership.role == Role.MANAGER)
        .order_by(Team.name, Team.id)
    )
    return list(rows.scalars())


async def link_group(
    session: AsyncSession, chat_id: int, team_id: int, title: str, person_id: int
) -> GroupLink:
    """Link the chat to the team, replacing an earlier link of the same chat."""
    link = await link_of_chat(session, chat_id)
    if link is None:
        link = GroupLink(chat_id=chat_id, team_id=team_id)
        session.add(link)
    link.team_id, link.title, link.linked_by, link.linked_at = (
        team_id,
        title[:255],
        person_id,
        utcnow(),
    )
    await session.flush()
    return link


async def unlink_group(session: AsyncSession, chat_id: int) -> bool:
    result = await session.execute(delete(GroupLink).where(GroupLink.chat_id == chat_id))
    return result.rowcount > 0


async def move_group(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> bool:
    """A group became a supergroup with a new id: the link (and open votes) follow it.

    Telegram tells both the old and the new chat; whichever arrives second finds nothing to move.
    """
    moved = await session.execute(
        update(GroupLink).where(GroupLink.chat_id == old_chat_id).values(chat_id=new_chat_id)
    )
    await session.execute(
        update(Consensus).where(Consensus.chat_id == old_chat_id).values(chat_id=new_chat_id)
    )
    return moved.rowcount > 0


async def answers_to_question(
    session: AsyncSession, round_id: int, question_id: str
) -> dict[int, Answer]:
    """Person id -> their answer to one question in one round (one statement)."""
    rows = await session.execute(
        select(Answer).where(Answer.round_id == round_id, Answer.question_id == question_id)
    )
    return {answer.person_id: answer for answer in rows.scalars()}


async def round_ratings(
    session: AsyncSession, round_id: int
) -> list[tuple[int, str, str, str | None]]:
    """(person id, question id, status, rating) of every answer in a round (one statement)."""
    rows = await session.execute(
        select(Answer.person_id, Answer.question_id, Answer.status, Answer.rating).where(
            Answer.round_id == round_id
        )
    )
    return [tuple(row) for row in rows.all()]
