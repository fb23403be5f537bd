"""Scores on the process scoring bands: each person's (with history), the team's in one round,
and the score the team agreed on. Each function takes the session it works in and runs a fixed
number of statements, whatever the team's size."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from storage.models import (
    AgreedScore,
    Answer,
    AssessmentRound,
    Membership,
    Person,
    Role,
    Score,
    ScoreRevision,
    Team,
)
from storage.types import utcnow


@dataclass(frozen=True)
class TeamScore:
    person_id: int
    name: str
    area_id: str
    dimension: str
    value: int
    as_manager: bool


async def my_scores(session: AsyncSession, round_id: int, person_id: int) -> dict[str, dict]:
    """Area id -> {dimension: score} of one person in one round."""
    rows = await session.execute(
        select(Score).where(Score.round_id == round_id, Score.person_id == person_id)
    )
    found: dict[str, dict] = {}
    for score in rows.scalars():
        found.setdefault(score.area_id, {})[score.dimension] = score.value
    return found


async def record_score(
    session: AsyncSession,
    round_id: int,
    person_id: int,
    area_id: str,
    dimension: str,
    value: int,
    as_manager: bool,
) -> Score:
    """Set a person's score; a changed one keeps its earlier value, a repeated tap changes
    nothing (one current score per person, area, dimension and round)."""
    score = (
        await session.execute(
            select(Score).where(
                Score.round_id == round_id,
                Score.person_id == person_id,
                Score.area_id == area_id,
                Score.dimension == dimension,
            )
        )
    ).scalar_one_or_none()
    if score is None:
        score = Score(
            round_id=round_id,
            person_id=person_id,
            area_id=area_id,
            dimension=dimension,
            value=value,
            as_manager=as_manager,
        )
        session.add(score)
    elif score.value != value:
        session.add(ScoreRevision(score_id=score.id, value=score.value))
        score.value, score.as_manager, score.updated_at = value, as_manager, utcnow()
    await session.flush()
    return score


async def team_scores(session: AsyncSession, round_id: int) -> list[TeamScore]:
    """Every current score of a round with its scorer's name, in one statement."""
    rows = await session.execute(
        select(Score, Person.first_name)
        .join(Person, Person.id == Score.person_id)
        .where(Score.round_id == round_id)
        .order_by(Score.area_id, Person.first_name, Score.person_id)
    )
    return [
        TeamScore(s.person_id, name, s.area_id, s.dimension, s.value, s.as_manager)
        for s, name in rows.all()
    ]


async def perception_rows(
    session: AsyncSession, team_id: int, round_id: int
) -> list[tuple[int, bool, str | None, str | None, str | None]]:
    """Every team member with their answers of the round (or one empty row for someone with
    none), and whether they manage the team today, in one statement: the perception gap's
    maturity and completion (bot/domain/perception.py)."""
    rows = await session.execute(
        select(
            Membership.person_id, Membership.role, Answer.question_id, Answer.status, Answer.rating
        )
        .outerjoin(
            Answer, and_(Answer.person_id == Membership.person_id, Answer.round_id == round_id)
        )
        .where(Membership.team_id == team_id)
    )
    return [(p, role == Role.MANAGER, q, status, r) for p, role, q, status, r in rows.all()]


async def agreed_scores(session: AsyncSession, round_id: int) -> dict[str, AgreedScore]:
    """Area id -> the score agreed on in this round."""
    rows = await session.execute(select(AgreedScore).where(AgreedScore.round_id == round_id))
    return {row.area_id: row for row in rows.scalars()}


async def agreed_of_area(session: AsyncSession, round_id: int, area_id: str) -> AgreedScore | None:
    return (
        await session.execute(
            select(AgreedScore).where(
                AgreedScore.round_id == round_id, AgreedScore.area_id == area_id
            )
        )
    ).scalar_one_or_none()


async def set_agreed(
    session: AsyncSession,
    round_id: int,
    area_id: str,
    value: int,
    rationale: str,
    median: float | None,
    spread: int | None,
    scorers: int,
    set_by: int,
) -> AgreedScore:
    """Record (or change) the agreed score, with the median and spread of that moment."""
    row = await agreed_of_area(session, round_id, area_id)
    if row is None:
        row = AgreedScore(round_id=round_id, area_id=area_id, value=value, rationale=rationale)
        session.add(row)
    row.value, row.rationale, row.set_by, row.set_at = value, rationale, set_by, utcnow()
    row.median_then, row.spread_then, row.scorers_then = median, spread, scorers
    await session.flush()
    return row


async def scores_of_person(session: AsyncSession, person_id: int) -> list[dict]:
    """A person's scores in every team and round, with their earlier values (for /mydata)."""
    rows = (
        await session.execute(
            select(Score, AssessmentRound.name, Team.name)
            .join(AssessmentRound, AssessmentRound.id == Score.round_id)
            .join(Team, Team.id == AssessmentRound.team_id)
            .where(Score.person_id == person_id)
            .order_by(Score.id)
        )
    ).all()
    mine = select(Score.id).where(Score.person_id == person_id)
    history: dict[int, list[dict]] = {}
    revisions = await session.execute(
        select(ScoreRevision).where(ScoreRevision.score_id.in_(mine)).order_by(ScoreRevision.id)
    )
    for revision in revisions.scalars():
        history.setdefault(revision.score_id, []).append(
            {"value": revision.value, "replaced_at": revision.replaced_at.isoformat()}
        )
    return [
        {
            "team": team_name,
            "round": round_name,
            "area_id": score.area_id,
            "dimension": score.dimension,
            "value": score.value,
            "as_manager": score.as_manager,
            "updated_at": score.updated_at.isoformat(),
            "history": history.get(score.id, []),
        }
        for score, round_name, team_name in rows
    ]
