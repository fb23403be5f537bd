"""What a digest is built from, read in a fixed number of statements whatever the team size."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from bot.domain.digest import Digest, DigestNumbers, build_digest
from bot.domain.scoring import area_gaps, widest_gap
from bot.services.actions import plan_of_team
from bot.services.deliveries import DeliveryKind, latest_run_detail
from bot.services.schedules import team_zone
from bot.services.scores import team_scores
from criteria.model import Pack
from storage.models import AssessmentRound, GroupLink, Role, Team
from storage.queries import display_name, team_members, team_statuses


@dataclass(frozen=True)
class DigestRecipients:
    managers: tuple[int, ...]  # private chat ids of the managers who can be reached
    groups: tuple[int, ...]  # linked group chats, when the team chose to send digests there


async def compose_digest(
    session: AsyncSession,
    pack: Pack,
    team: Team,
    round_: AssessmentRound,
    today: date,
    this_period: str | None = None,
) -> tuple[Digest, DigestRecipients]:
    """The digest for a round as of `today`, compared with the last digest of another period."""
    members = await team_members(session, team.id)
    statuses = await team_statuses(session, round_.id)
    detail, previous_at = await latest_run_detail(
        session, DeliveryKind.DIGEST_RUN, team.id, except_period=this_period
    )
    digest = build_digest(
        pack,
        team.name,
        round_.id,
        round_.name,
        [(person.id, display_name(person)) for person, _ in members],
        statuses,
        DigestNumbers.from_json(detail),
        round_.due_date,
        today,
        unreachable=[display_name(p) for p, _ in members if p.unreachable_since is not None],
        previous_on=previous_at.astimezone(ZoneInfo(team_zone(team, "UTC"))).date()
        if previous_at
        else None,
    )
    digest = replace(digest, widest_gap=await _widest_gap(session, pack, team, round_))
    plan = await plan_of_team(session, team.id, today, team_zone(team, "UTC"))
    digest = replace(digest, plan=plan)
    groups: tuple[int, ...] = ()
    if team.digest_to_group:
        groups = tuple(
            (
                await session.execute(select(GroupLink.chat_id).where(GroupLink.team_id == team.id))
            ).scalars()
        )
    managers = tuple(
        person.telegram_user_id
        for person, role in members
        if role == Role.MANAGER and person.unreachable_since is None
    )
    return digest, DigestRecipients(managers, groups)


async def _widest_gap(
    session: AsyncSession, pack: Pack, team: Team, round_: AssessmentRound
) -> tuple[str, float, float, float] | None:
    """The digest's line on scores: the area managers and members see most differently (one
    statement; nothing when no area has enough people on both sides)."""
    rows = await team_scores(session, round_.id)
    gaps = area_gaps(
        ((r.person_id, r.area_id, r.dimension, r.value, r.as_manager) for r in rows),
        [area.id for area in pack.areas()],
        team.anonymity_threshold,
    )
    widest = widest_gap(gaps)
    if widest is None:
        return None
    return pack.area(widest.area_id).title, widest.members, widest.managers, widest.gap
