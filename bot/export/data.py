"""What an export contains, gathered from the database once, as plain frozen data.

The report is copied out of the ORM rows on purpose: the files are built in a worker thread
after the session is closed, and plain data cannot lazily reach back into a session there.
Gathering costs the same fixed number of statements whatever the team size.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from bot.core.i18n import attachment_label, member_label
from bot.domain.compare import anonymous_numbers
from bot.export.score_data import ScoreData, gather_scores
from criteria.model import Pack
from storage.models import (
    Action,
    Answer,
    AnswerAttachment,
    AssessmentRound,
    Consensus,
    KeyTheme,
    Membership,
    Person,
    Role,
    Team,
)
from storage.queries import display_name, team_members
from storage.statuses import ActionStatus
from storage.types import utcnow


@dataclass(frozen=True)
class RoundInfo:
    id: int
    name: str
    started_at: datetime
    closed_at: datetime | None
    due_date: date | None
    pack_id: str = ""  # the round's framework (a pack id, or "upload:<row>")


@dataclass(frozen=True)
class MemberInfo:
    person_id: int
    # The display name, or "Member N" when the team compares answers anonymously.
    name: str
    role: str


@dataclass(frozen=True)
class AnswerRecord:
    person_id: int
    question_id: str
    status: str
    text: str
    rating: str | None
    attachment: str | None  # what was attached, as a person would name it ("photo: plan.jpg")
    answered_at: datetime
    edited_at: datetime


@dataclass(frozen=True)
class StatusRecord:
    """An earlier round's answer, reduced to what trends need: no text leaves the database."""

    person_id: int
    question_id: str
    status: str
    rating: str | None


@dataclass(frozen=True)
class ConsensusRecord:
    area_id: str
    agreed_rating: str | None
    vote_counts: Mapping[str, int]
    strengths: str
    improvements: str


@dataclass(frozen=True)
class ThemeRecord:
    """A key theme of the round: a priority or a strength to keep (bot/export/plan.py)."""

    kind: str
    area_id: str
    text: str
    rank: int = 0
    impact: int | None = None  # bot.domain.actions.LEVELS
    effort: int | None = None


@dataclass(frozen=True)
class ActionRecord:
    """An improvement action of the round, as the action plan lists it."""

    title: str
    area_id: str
    owner: str | None  # None: needs an owner
    due_date: date | None
    status: str
    blocked_reason: str | None


@dataclass(frozen=True)
class RoundReport:
    """One team's round, with what is needed to compare it with the round before."""

    team_name: str
    timezone: str
    anonymous: bool
    pack: Pack
    round: RoundInfo
    members: tuple[MemberInfo, ...]
    answers: tuple[AnswerRecord, ...]
    consensus: Mapping[str, ConsensusRecord]
    # Rounds of the team that started before this one, newest first.
    earlier_rounds: tuple[RoundInfo, ...] = ()
    # The answers of earlier_rounds[0], for the trend between the latest two rounds.
    previous_answers: tuple[StatusRecord, ...] = ()
    # Scores on the process bands and the agreed scores (bot/export/score_data.py).
    scoring: ScoreData = field(default_factory=lambda: ScoreData((), ()))
    # The framework of earlier_rounds[0] when it is another one than `pack` (trends compare the
    # areas both share, by id); None when both rounds use the same pack.
    previous_pack: Pack | None = None
    generated_at: datetime = field(default_factory=utcnow)
    # The improvement plan (bot/export/plan.py): key themes, then the actions.
    themes: tuple[ThemeRecord, ...] = ()
    actions: tuple[ActionRecord, ...] = ()
    # Since the previous round: each area's result then (bot.domain.actions.area_result) and
    # the actions of that round that were done.
    previous_results: Mapping[str, str | None] = field(default_factory=dict)
    done_before: tuple[ActionRecord, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        """The team's time zone; UTC if the stored name is unknown to this machine."""
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    @property
    def previous_round(self) -> RoundInfo | None:
        return self.earlier_rounds[0] if self.earlier_rounds else None

    def member_names(self) -> dict[int, str]:
        return {member.person_id: member.name for member in self.members}

    def answers_by_question(self) -> dict[str, list[AnswerRecord]]:
        """Question id -> its answers, in the order of `members`."""
        order = {member.person_id: index for index, member in enumerate(self.members)}
        grouped: dict[str, list[AnswerRecord]] = {}
        for answer in sorted(self.answers, key=lambda a: order.get(a.person_id, len(order))):
            grouped.setdefault(answer.question_id, []).append(answer)
        return grouped


async def gather_round_report(
    session: AsyncSession, pack: Pack, team_id: int, round_id: int
) -> RoundReport:
    """Everything one round's export shows, in at most thirteen statements whatever the team size.

    Only the team's current members' answers are included: someone who left the team took
    their consent to be quoted with them. Raises LookupError if the round is not the team's,
    so a wrong id can never export another team's answers.
    """
    team = (await session.execute(select(Team).where(Team.id == team_id))).scalar_one_or_none()
    if team is None:
        raise LookupError(f"no team {team_id}")
    rounds = (
        (
            await session.execute(
                select(AssessmentRound)
                .where(AssessmentRound.team_id == team_id)
                .order_by(AssessmentRound.started_at.desc(), AssessmentRound.id.desc())
            )
        )
        .scalars()
        .all()
    )
    position = next((i for i, r in enumerate(rounds) if r.id == round_id), None)
    if position is None:
        raise LookupError(f"round {round_id} is not a round of team {team_id}")
    earlier = tuple(_round_info(r) for r in rounds[position + 1 :])

    members = sorted(
        (
            MemberInfo(person.id, display_name(person), role)
            for person, role in await team_members(session, team_id)
        ),
        # Managers first, then by name: the order the columns and answers appear in.
        key=lambda m: (m.role != Role.MANAGER, m.name.casefold(), m.person_id),
    )
    if team.anonymous_compare:
        members = _anonymised(members, round_id)

    rows = await _member_answers(session, team_id, round_id)
    files = await _attachment_labels(session, round_id)
    answers = tuple(
        AnswerRecord(
            person_id=row.person_id,
            question_id=row.question_id,
            status=row.status,
            text=row.text,
            rating=row.rating,
            attachment="; ".join(files.get(row.id, ())) or None,
            answered_at=row.created_at,
            edited_at=row.updated_at,
        )
        for row in rows
    )
    consensus_rows = (
        (await session.execute(select(Consensus).where(Consensus.round_id == round_id)))
        .scalars()
        .all()
    )
    previous_answers: tuple[StatusRecord, ...] = ()
    if earlier:
        rows = await session.execute(
            select(Answer.person_id, Answer.question_id, Answer.status, Answer.rating)
            .join(
                Membership,
                (Membership.person_id == Answer.person_id) & (Membership.team_id == team_id),
            )
            .where(Answer.round_id == earlier[0].id)
        )
        previous_answers = tuple(StatusRecord(*row) for row in rows.all())
    scoring = await gather_scores(
        session, team_id, round_id, [m.person_id for m in members], team.anonymity_threshold
    )

    themes, actions = await _plan_records(session, round_id)
    previous_results: dict[str, str | None] = {}
    done_before: tuple[ActionRecord, ...] = ()
    if earlier:
        previous_results, done_before = await _since_previous(session, earlier[0].id)
    return RoundReport(
        themes=themes,
        actions=actions,
        previous_results=previous_results,
        done_before=done_before,
        team_name=team.name,
        timezone=team.timezone,
        anonymous=team.anonymous_compare,
        pack=pack,
        round=_round_info(rounds[position]),
        members=tuple(members),
        answers=answers,
        consensus={row.area_id: _consensus_record(row) for row in consensus_rows},
        earlier_rounds=earlier,
        previous_answers=previous_answers,
        scoring=scoring,
    )


async def _plan_records(
    session: AsyncSession, round_id: int
) -> tuple[tuple[ThemeRecord, ...], tuple[ActionRecord, ...]]:
    """The round's key themes and its actions (not drafts), with owners' names (two statements)."""
    themes = await session.execute(
        select(KeyTheme)
        .where(KeyTheme.round_id == round_id)
        .order_by(KeyTheme.kind, KeyTheme.rank, KeyTheme.id)
    )
    rows = await session.execute(
        select(Action, Person)
        .outerjoin(Person, Person.id == Action.owner_id)
        .where(Action.round_id == round_id, Action.status != ActionStatus.DRAFT)
        .order_by(Action.due_date.is_(None), Action.due_date, Action.id)
    )
    return (
        tuple(
            ThemeRecord(t.kind, t.area_id, t.text, t.rank, t.impact, t.effort)
            for t in themes.scalars()
        ),
        tuple(_action_record(a, owner) for a, owner in rows.all()),
    )


def _action_record(action: Action, owner: Person | None) -> ActionRecord:
    return ActionRecord(
        action.title,
        action.area_id,
        display_name(owner) if owner else None,
        action.due_date,
        action.status,
        action.blocked_reason,
    )


async def _since_previous(
    session: AsyncSession, previous_round_id: int
) -> tuple[dict[str, str | None], tuple[ActionRecord, ...]]:
    """The previous round's result per area and its done actions (two statements)."""
    results = await session.execute(
        select(Consensus.area_id, Consensus.agreed_rating).where(
            Consensus.round_id == previous_round_id
        )
    )
    done = await session.execute(
        select(Action, Person)
        .outerjoin(Person, Person.id == Action.owner_id)
        .where(Action.round_id == previous_round_id, Action.status == ActionStatus.DONE)
        .order_by(Action.id)
    )
    return (
        dict(results.all()),
        tuple(_action_record(a, owner) for a, owner in done.all()),
    )


async def _member_answers(session: AsyncSession, team_id: int, round_id: int):
    result = await session.execute(
        select(
            Answer.id,
            Answer.person_id,
            Answer.question_id,
            Answer.status,
            Answer.text,
            Answer.rating,
            Answer.created_at,
            Answer.updated_at,
        )
        .join(
            Membership,
            (Membership.person_id == Answer.person_id) & (Membership.team_id == team_id),
        )
        .where(Answer.round_id == round_id)
    )
    return result.all()


def _round_info(round_: AssessmentRound) -> RoundInfo:
    return RoundInfo(
        round_.id, round_.name, round_.started_at, round_.closed_at, round_.due_date, round_.pack_id
    )


def _anonymised(members: list[MemberInfo], round_id: int) -> list[MemberInfo]:
    """Number the members in an order that reveals nothing: not by role, name or joining.

    The numbering is the comparisons' (bot.domain.compare.anonymous_numbers) salted with the
    round, so it is stable within a round (the spreadsheet and the PDF agree on who "Member 2"
    is) and unrelated to who anyone is.
    """
    numbers = anonymous_numbers((member.person_id for member in members), str(round_id))
    return sorted(
        (
            MemberInfo(member.person_id, member_label(numbers[member.person_id]), member.role)
            for member in members
        ),
        key=lambda member: numbers[member.person_id],
    )


async def _attachment_labels(session: AsyncSession, round_id: int) -> dict[int, list[str]]:
    """Answer id -> what was attached to it, in the reader's language ("photo", "document:
    plan.pdf"), in the order sent; one statement.

    Selected by the round, not by a list of answer ids: a 2,000-person team has 46,000
    answers, past PostgreSQL's 32,767 parameters a statement (bench/scale.py found it).
    """
    rows = await session.execute(
        select(AnswerAttachment.answer_id, AnswerAttachment.kind, AnswerAttachment.name)
        .join(Answer, Answer.id == AnswerAttachment.answer_id)
        .where(Answer.round_id == round_id)
        .order_by(AnswerAttachment.id)
    )
    labels: dict[int, list[str]] = {}
    for answer_id, kind, name in rows.all():
        label = f"{attachment_label(kind)}: {name}" if name else attachment_label(kind)
        labels.setdefault(answer_id, []).append(label)
    return labels


def _consensus_record(row: Consensus) -> ConsensusRecord:
    return ConsensusRecord(
        area_id=row.area_id,
        agreed_rating=row.agreed_rating,
        vote_counts=_parse_vote_counts(row.vote_counts),
        strengths=row.strengths or "",
        improvements=row.improvements or "",
    )


def _parse_vote_counts(stored: str | None) -> dict[str, int]:
    """Rating id -> votes, from the JSON the consensus poll stores; anything else counts as none."""
    if not stored:
        return {}
    try:
        parsed = json.loads(stored)
    except ValueError:
        return {}
    if not isinstance(parsed, dict):
        return {}
    return {str(k): int(v) for k, v in parsed.items() if isinstance(v, int | float)}
