"""Group chats linked to teams, and what the group features read and write.

A group is linked to at most one team (group_link.chat_id is unique); everything shown in a
group is read through its link, so a group linked to one team never sees another team's data.
"""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from storage.models import (
    Answer,
    AssessmentRound,
    Consensus,
    ConsensusVote,
    GroupLink,
    Membership,
    Role,
    Team,
)
from storage.types import utcnow

# A secret vote by buttons (anonymous teams) has no Telegram poll: its poll_id names the message
# that carries the buttons instead. Telegram's poll ids are digits only, so the two never meet.
BUTTON_VOTE_PREFIX = "buttons:"


async def link_of_chat(session: AsyncSession, chat_id: int) -> GroupLink | None:
    return (
        await session.execute(select(GroupLink).where(GroupLink.chat_id == chat_id))
    ).scalar_one_or_none()


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


# --- consensus -----------------------------------------------------------------------------------


async def consensus_rows(session: AsyncSession, round_id: int) -> dict[str, Consensus]:
    """Area id -> what the team agreed (or is voting on) in this round."""
    rows = await session.execute(select(Consensus).where(Consensus.round_id == round_id))
    return {row.area_id: row for row in rows.scalars()}


async def consensus_of_area(session: AsyncSession, round_id: int, area_id: str) -> Consensus:
    """The area's consensus row in this round, created when the area is first voted on."""
    row = (
        await session.execute(
            select(Consensus).where(Consensus.round_id == round_id, Consensus.area_id == area_id)
        )
    ).scalar_one_or_none()
    if row is None:
        row = Consensus(round_id=round_id, area_id=area_id)
        session.add(row)
        await session.flush()
    return row


async def start_poll(
    session: AsyncSession, row: Consensus, chat_id: int, poll_id: str, message_id: int
) -> None:
    """The area is being voted on (again): earlier votes and agreement no longer count."""
    await session.execute(delete(ConsensusVote).where(ConsensusVote.consensus_id == row.id))
    row.chat_id, row.poll_id, row.poll_message_id = chat_id, poll_id, message_id
    row.agreed_rating = None
    row.updated_at = utcnow()
    await session.flush()


def poll_is_open(row: Consensus) -> bool:
    return row.poll_id is not None and row.agreed_rating is None


def button_vote_id(message_id: int) -> str:
    return f"{BUTTON_VOTE_PREFIX}{message_id}"


def is_button_vote(row: Consensus) -> bool:
    return (row.poll_id or "").startswith(BUTTON_VOTE_PREFIX)


async def consensus_by_poll(session: AsyncSession, poll_id: str) -> Consensus | None:
    return (
        await session.execute(select(Consensus).where(Consensus.poll_id == poll_id))
    ).scalar_one_or_none()


async def record_vote(
    session: AsyncSession, consensus_id: int, person_id: int, rating: str | None
) -> None:
    """The person's current vote (None: they took it back); one vote per person and poll."""
    await session.execute(
        delete(ConsensusVote).where(
            ConsensusVote.consensus_id == consensus_id, ConsensusVote.person_id == person_id
        )
    )
    if rating is not None:
        session.add(ConsensusVote(consensus_id=consensus_id, person_id=person_id, rating=rating))
    await session.flush()


async def votes_of(session: AsyncSession, consensus_id: int) -> list[str]:
    """The votes of people who are in the team now (one statement): a vote cast by someone
    removed (or gone) before the vote closes does not count."""
    rows = await session.execute(
        select(ConsensusVote.rating)
        .join(Consensus, Consensus.id == ConsensusVote.consensus_id)
        .join(AssessmentRound, AssessmentRound.id == Consensus.round_id)
        .join(
            Membership,
            (Membership.team_id == AssessmentRound.team_id)
            & (Membership.person_id == ConsensusVote.person_id),
        )
        .where(ConsensusVote.consensus_id == consensus_id)
    )
    return list(rows.scalars())


async def consensus_for_reply(
    session: AsyncSession, chat_id: int, replied_message_id: int
) -> tuple[Consensus, str] | None:
    """The consensus whose question a reply answers, and which one: strengths or improvements."""
    row = (
        (
            await session.execute(
                select(Consensus).where(
                    Consensus.chat_id == chat_id,
                    (Consensus.prompt_message_id == replied_message_id)
                    | (Consensus.improvements_prompt_message_id == replied_message_id),
                )
            )
        )
        .scalars()
        .first()
    )
    if row is None:
        return None
    field = "strengths" if row.prompt_message_id == replied_message_id else "improvements"
    return row, field
