"""The scores an export shows, gathered in two statements whatever the team size: this round's
current scores of the team's members, and the agreed scores of every round of the team (for
the trend across rounds). Plain frozen data, like the rest of the report (bot/export/data.py)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from storage.models import AgreedScore, AssessmentRound, Score


@dataclass(frozen=True)
class ScoreRecord:
    person_id: int
    area_id: str
    dimension: str
    value: int
    as_manager: bool


@dataclass(frozen=True)
class AgreedRecord:
    round_id: int
    area_id: str
    value: int
    rationale: str
    median_then: float | None
    spread_then: int | None
    scorers_then: int


@dataclass(frozen=True)
class ScoreData:
    scores: tuple[ScoreRecord, ...]
    # Every round of the team's agreed scores: the report's trend reads earlier rounds from it.
    agreed: tuple[AgreedRecord, ...]
    threshold: int = 3  # the team's anonymity threshold, for the gap


async def gather_scores(
    session: AsyncSession,
    team_id: int,
    round_id: int,
    member_ids: Collection[int],
    threshold: int,
) -> ScoreData:
    """Scores of the round by the given (current) members, and the team's agreed scores."""
    rows = await session.execute(
        select(Score).where(Score.round_id == round_id).order_by(Score.area_id, Score.id)
    )
    members = set(member_ids)
    scores = tuple(
        ScoreRecord(s.person_id, s.area_id, s.dimension, s.value, s.as_manager)
        for s in rows.scalars()
        if s.person_id in members  # someone who left took their consent to be shown
    )
    agreed_rows = await session.execute(
        select(AgreedScore)
        .join(AssessmentRound, AssessmentRound.id == AgreedScore.round_id)
        .where(AssessmentRound.team_id == team_id)
    )
    agreed = tuple(
        AgreedRecord(
            a.round_id, a.area_id, a.value, a.rationale, a.median_then, a.spread_then,
            a.scorers_then,
        )
        for a in agreed_rows.scalars()
    )  # fmt: skip
    return ScoreData(scores, agreed, threshold)
