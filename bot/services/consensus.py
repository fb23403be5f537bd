"""Consensus in a team's group: the vote on an area's maturity level, its result, and the
strengths and improvements noted after it. Each function takes the session it works in."""

from __future__ import annotations

import json

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from storage.models import AssessmentRound, Consensus, ConsensusVote, Membership
from storage.types import utcnow

# A secret vote by buttons (anonymous teams) has no Telegram poll: its poll_id names the message
# that carries the buttons instead. Telegram's poll ids are digits only, so the two never meet.
BUTTON_VOTE_PREFIX = "buttons:"


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


async def record_agreement(
    session: AsyncSession, row: Consensus, agreed: str | None, counts: dict[str, int]
) -> bool:
    """Record the vote's result once (compare-and-set: a Close press and a closed-poll update
    may race); False when another already did. Commits."""
    claimed = await session.execute(
        update(Consensus)
        .where(
            Consensus.id == row.id,
            Consensus.poll_id == row.poll_id,
            Consensus.agreed_rating.is_(None),
        )
        .values(
            agreed_rating=agreed,
            # Nothing agreed: forget the poll, so the area shows as not agreed and can be voted
            # on again.
            poll_id=row.poll_id if agreed else None,
            vote_counts=json.dumps({level: n for level, n in counts.items() if n}),
            updated_at=utcnow(),
        )
    )
    await session.commit()
    return claimed.rowcount > 0


async def remember_prompts(
    session: AsyncSession,
    consensus_id: int,
    strengths_message_id: int,
    improvements_message_id: int,
) -> None:
    """The messages asking for strengths and improvements: replies to them are the notes."""
    await session.execute(
        update(Consensus)
        .where(Consensus.id == consensus_id)
        .values(
            prompt_message_id=strengths_message_id,
            improvements_prompt_message_id=improvements_message_id,
        )
    )
    await session.commit()
