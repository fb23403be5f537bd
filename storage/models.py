"""The database tables.

Answers refer to criteria by their stable ids (pack id, question id), never by wording, so a
pack's wording fix never orphans an answer. Every timestamp is timezone-aware (UTC).
"""

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, Relationship, SQLModel

from storage.statuses import AnswerStatus
from storage.types import UTCDateTime, utcnow


class Role(StrEnum):
    MEMBER = "member"
    MANAGER = "manager"


def _timestamp(nullable: bool = False, **kwargs) -> object:
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, nullable=True, **kwargs)
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, **kwargs)


class Team(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    pack_id: str = Field(max_length=80)
    timezone: str = Field(default="UTC", max_length=64)
    language: str | None = Field(default=None, max_length=10)
    anonymous_compare: bool = False
    anonymity_threshold: int = 3
    # Schedules (see bot/schedule): days as comma-separated ISO weekday numbers, Monday = 1.
    reminder_days: str = Field(default="1,4", max_length=20)
    reminder_time: time = Field(default=time(10, 0))
    digest_days: str = Field(default="5", max_length=20)
    digest_time: time = Field(default=time(16, 0))
    quiet_start: time | None = Field(default=time(20, 0))
    quiet_end: time | None = Field(default=time(8, 0))
    weekly_reminder_cap: int = 2
    digest_to_group: bool = False
    created_at: datetime = _timestamp()


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    telegram_user_id: int = Field(sa_column=Column(BigInteger, unique=True, nullable=False))
    first_name: str = Field(default="", max_length=128)
    username: str | None = Field(default=None, max_length=64)
    language_code: str | None = Field(default=None, max_length=10)
    # Set by /language; wins over Telegram's language_code.
    chosen_language: str | None = Field(default=None, max_length=10)
    # The team whose assessment this person answers in the private chat now.
    active_team_id: int | None = Field(default=None, foreign_key="team.id", ondelete="SET NULL")
    unreachable_since: datetime | None = _timestamp(nullable=True)
    reminders_paused_until: datetime | None = _timestamp(nullable=True)
    created_at: datetime = _timestamp()


class Membership(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("team_id", "person_id", name="uq_membership_team_person"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", ondelete="CASCADE", index=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE", index=True)
    role: str = Field(default=Role.MEMBER, max_length=16)
    joined_at: datetime = _timestamp()


class TeamRemoval(SQLModel, table=True):
    """A manager removed this person from this team: an invite made before then no longer
    lets them back in (a new one, made after the removal, does)."""

    __tablename__ = "team_removal"
    __table_args__ = (UniqueConstraint("team_id", "person_id", name="uq_team_removal_person"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", ondelete="CASCADE", index=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE", index=True)
    removed_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    removed_at: datetime = _timestamp()


class Invite(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True)
    team_id: int = Field(foreign_key="team.id", ondelete="CASCADE", index=True)
    role: str = Field(default=Role.MEMBER, max_length=16)
    created_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    expires_at: datetime | None = _timestamp(nullable=True)
    max_uses: int | None = None
    uses: int = 0
    revoked_at: datetime | None = _timestamp(nullable=True)
    created_at: datetime = _timestamp()


class AssessmentRound(SQLModel, table=True):
    __tablename__ = "assessment_round"

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=100)
    pack_id: str = Field(max_length=80)
    pack_version: str = Field(max_length=20)
    due_date: date | None = None
    started_at: datetime = _timestamp()
    closed_at: datetime | None = _timestamp(nullable=True)


class Answer(SQLModel, table=True):
    """The current answer of one person to one question in one round."""

    __table_args__ = (
        UniqueConstraint("round_id", "person_id", "question_id", name="uq_answer_round_person_q"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="assessment_round.id", ondelete="CASCADE", index=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE", index=True)
    question_id: str = Field(max_length=80)
    status: str = Field(default=AnswerStatus.ANSWERED, max_length=16)
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    rating: str | None = Field(default=None, max_length=32)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()
    # Voice notes, photos and documents kept with the answer, oldest first. Loaded with the
    # answer in one more statement (selectin), so no view ever loads them one by one.
    attachments: list["AnswerAttachment"] = Relationship(
        back_populates="answer",
        sa_relationship_kwargs={
            "lazy": "selectin",
            "order_by": "AnswerAttachment.id",
            "cascade": "all, delete-orphan",
            "passive_deletes": True,
        },
    )


class AnswerAttachment(SQLModel, table=True):
    """A file a person sent as (part of) an answer; Telegram keeps the file, we keep its id."""

    __tablename__ = "answer_attachment"

    id: int | None = Field(default=None, primary_key=True)
    answer_id: int = Field(foreign_key="answer.id", ondelete="CASCADE", index=True)
    kind: str = Field(max_length=16)  # voice, photo, document, audio, video
    file_id: str = Field(max_length=255)
    name: str | None = Field(default=None, max_length=255)
    added_at: datetime = _timestamp()
    answer: Answer | None = Relationship(back_populates="attachments")


class AnswerRevision(SQLModel, table=True):
    """A previous state of an answer, kept whenever an answer is changed."""

    __tablename__ = "answer_revision"

    id: int | None = Field(default=None, primary_key=True)
    answer_id: int = Field(foreign_key="answer.id", ondelete="CASCADE", index=True)
    status: str = Field(max_length=16)
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    rating: str | None = Field(default=None, max_length=32)
    attachment_file_id: str | None = Field(default=None, max_length=255)
    replaced_at: datetime = _timestamp()


class AnswerMessage(SQLModel, table=True):
    """Which Telegram message carried (part of) an answer, so editing that message edits it."""

    __tablename__ = "answer_message"
    __table_args__ = (UniqueConstraint("chat_id", "message_id", name="uq_answer_message_chat_msg"),)

    id: int | None = Field(default=None, primary_key=True)
    answer_id: int = Field(foreign_key="answer.id", ondelete="CASCADE", index=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    message_id: int
    part_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class Conversation(SQLModel, table=True):
    """Where a person is in the private-chat flow; survives restarts."""

    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE", primary_key=True)
    round_id: int | None = Field(
        default=None, foreign_key="assessment_round.id", ondelete="SET NULL"
    )
    question_id: str | None = Field(default=None, max_length=80)
    step: str = Field(default="idle", max_length=24)
    # Text typed while no question was open: kept until the person says where it belongs.
    draft: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    updated_at: datetime = _timestamp()


class GroupLink(SQLModel, table=True):
    __tablename__ = "group_link"

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, unique=True, nullable=False))
    team_id: int = Field(foreign_key="team.id", ondelete="CASCADE", index=True)
    title: str = Field(default="", max_length=255)
    linked_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    linked_at: datetime = _timestamp()


class Delivery(SQLModel, table=True):
    """One scheduled send; the unique key makes every kind of message go out once per period."""

    __table_args__ = (
        UniqueConstraint("kind", "recipient_chat_id", "period", name="uq_delivery_once"),
        Index("ix_delivery_team_kind", "team_id", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    recipient_chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    period: str = Field(max_length=40)
    team_id: int | None = Field(default=None, foreign_key="team.id", ondelete="CASCADE")
    status: str = Field(default="pending", max_length=16)
    # What was sent, as JSON (for example a digest's numbers, to show change since last week).
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _timestamp()
    sent_at: datetime | None = _timestamp(nullable=True)


class ProcessedUpdate(SQLModel, table=True):
    """Telegram update ids already handled, so a redelivered update changes nothing."""

    __tablename__ = "processed_update"

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    processed_at: datetime = _timestamp()


class Consensus(SQLModel, table=True):
    """What a team agreed on for one area in one round: maturity, strengths, improvements."""

    __table_args__ = (UniqueConstraint("round_id", "area_id", name="uq_consensus_round_area"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="assessment_round.id", ondelete="CASCADE", index=True)
    area_id: str = Field(max_length=80)
    chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    poll_id: str | None = Field(default=None, max_length=64, index=True)
    poll_message_id: int | None = None
    agreed_rating: str | None = Field(default=None, max_length=32)
    vote_counts: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    strengths: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    improvements: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    prompt_message_id: int | None = None
    # The second question after the vote (opportunities for improvement); replies go there.
    improvements_prompt_message_id: int | None = None
    updated_at: datetime = _timestamp()


class ConsensusVote(SQLModel, table=True):
    """A team member's vote in a consensus poll; votes from people outside the team never count."""

    __tablename__ = "consensus_vote"
    __table_args__ = (
        UniqueConstraint("consensus_id", "person_id", name="uq_consensus_vote_person"),
    )

    id: int | None = Field(default=None, primary_key=True)
    consensus_id: int = Field(foreign_key="consensus.id", ondelete="CASCADE", index=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE", index=True)
    rating: str = Field(max_length=32)
    voted_at: datetime = _timestamp()


class Lease(SQLModel, table=True):
    """A named lease that one bot instance holds at a time (for example: running schedules)."""

    name: str = Field(max_length=64, primary_key=True)
    holder: str = Field(max_length=128)
    expires_at: datetime = _timestamp()


_ON_SCALE = "value >= 0 AND value <= 100 AND value % 5 = 0"  # bot/domain/scoring.py


class Score(SQLModel, table=True):
    """A person's current score of one area (or one ADLI dimension of it) in one round; the
    unique key makes a repeated tap change the score instead of adding one."""

    __table_args__ = (
        UniqueConstraint(
            "round_id", "person_id", "area_id", "dimension", name="uq_score_round_person_area_dim"
        ),
        CheckConstraint(_ON_SCALE, name="ck_score_on_scale"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="assessment_round.id", ondelete="CASCADE", index=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE", index=True)
    area_id: str = Field(max_length=80)
    dimension: str = Field(max_length=16)  # "overall", or approach/deployment/learning/integration
    value: int
    # The person's role in the team when they scored: the perception gap compares the two sides.
    as_manager: bool
    updated_at: datetime = _timestamp()


class ScoreRevision(SQLModel, table=True):
    """A score's earlier value, kept whenever it is changed (as answers keep theirs)."""

    __tablename__ = "score_revision"

    id: int | None = Field(default=None, primary_key=True)
    score_id: int = Field(foreign_key="score.id", ondelete="CASCADE", index=True)
    value: int
    replaced_at: datetime = _timestamp()


class AgreedScore(SQLModel, table=True):
    """The score a team agreed on for one area in one round, why, and how spread the
    individual scores were at that moment."""

    __tablename__ = "agreed_score"
    __table_args__ = (
        UniqueConstraint("round_id", "area_id", name="uq_agreed_score_round_area"),
        CheckConstraint(_ON_SCALE, name="ck_agreed_score_on_scale"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="assessment_round.id", ondelete="CASCADE", index=True)
    area_id: str = Field(max_length=80)
    value: int
    rationale: str = Field(sa_column=Column(Text, nullable=False))
    median_then: float | None = None
    spread_then: int | None = None
    scorers_then: int = 0
    set_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    set_at: datetime = _timestamp()


class UploadedPack(SQLModel, table=True):
    """A criteria pack a manager sent in the chat: its YAML, kept so every instance has it.

    Each version is its own row and never changes: rounds refer to "upload:<id>", so a round
    keeps the version it was started with. Only the uploader and the teams listed in
    `uploaded_pack_team` may use it; /forget clears `uploaded_by` and the teams keep it.
    """

    __tablename__ = "uploaded_pack"
    __table_args__ = (
        UniqueConstraint("uploaded_by", "pack_id", "version", name="uq_uploaded_pack_version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    pack_id: str = Field(max_length=80)
    version: str = Field(max_length=20)
    title: str = Field(max_length=255)
    source: str = Field(sa_column=Column(Text, nullable=False))
    uploaded_by: int | None = Field(
        default=None, foreign_key="person.id", ondelete="SET NULL", index=True
    )
    uploaded_at: datetime = _timestamp()


class UploadedPackTeam(SQLModel, table=True):
    """A team that may use an uploaded pack (its manager chose it for the team)."""

    __tablename__ = "uploaded_pack_team"
    __table_args__ = (UniqueConstraint("pack_row_id", "team_id", name="uq_uploaded_pack_team"),)

    id: int | None = Field(default=None, primary_key=True)
    pack_row_id: int = Field(foreign_key="uploaded_pack.id", ondelete="CASCADE", index=True)
    team_id: int = Field(foreign_key="team.id", ondelete="CASCADE", index=True)


class KeyTheme(SQLModel, table=True):
    """A team's priority (or a strength worth keeping) picked among a round's OFIs, ranked.

    `ofi_key` is bot.domain.actions.ofi_key of the item's text and `text` a copy of it, so the
    theme keeps its words when the area's improvements are edited later.
    """

    __tablename__ = "key_theme"
    __table_args__ = (
        UniqueConstraint("round_id", "kind", "area_id", "ofi_key", name="uq_key_theme_item"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", ondelete="CASCADE", index=True)
    round_id: int = Field(foreign_key="assessment_round.id", ondelete="CASCADE", index=True)
    area_id: str = Field(default="", max_length=80)  # "": the manager's own theme
    ofi_key: str = Field(max_length=16)
    text: str = Field(sa_column=Column(Text, nullable=False))
    kind: str = Field(default="priority", max_length=16)  # priority or strength
    rank: int = Field(default=0)
    impact: int | None = None
    effort: int | None = None
    created_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    created_at: datetime = _timestamp()


class Action(SQLModel, table=True):
    """What will be done about an OFI, by whom and when. No owner: it "needs an owner" (they
    left the team or asked to be forgotten)."""

    # "Open actions of a team" and "due in a window across all teams" read these indexes.
    __table_args__ = (
        Index("ix_action_team_status", "team_id", "status"),
        Index("ix_action_status_due", "status", "due_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", ondelete="CASCADE")
    round_id: int = Field(foreign_key="assessment_round.id", ondelete="CASCADE", index=True)
    area_id: str = Field(default="", max_length=80)
    theme_id: int | None = Field(default=None, foreign_key="key_theme.id", ondelete="SET NULL")
    title: str = Field(sa_column=Column(Text, nullable=False))
    owner_id: int | None = Field(
        default=None, foreign_key="person.id", ondelete="SET NULL", index=True
    )
    due_date: date | None = None
    status: str = Field(default="draft", max_length=16)
    blocked_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class ActionEvent(SQLModel, table=True):
    """The history of an action: who changed what, when."""

    __tablename__ = "action_event"
    # A person's wait for a typed text is looked up with every private update they send.
    __table_args__ = (Index("ix_action_event_person_kind", "person_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    # None only on a manager's wait for a typed key theme (bot.services.action_notes).
    action_id: int | None = Field(
        default=None, foreign_key="action.id", ondelete="CASCADE", index=True
    )
    person_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    kind: str = Field(max_length=16)  # created, a status, reassigned, released
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    at: datetime = _timestamp()


class InboxUpdate(SQLModel, table=True):
    """A received Telegram update not yet handled: the transactional inbox (bot/ops/inbox.py).

    Receiving stores the raw update here before Telegram is told it arrived; a worker on any
    instance claims a chat's oldest row (claimed_by, claimed_until: a lease it renews), handles
    it and deletes it. chat_key orders one chat's updates; NULL for updates of no chat.
    attempts counts handlings that failed (rolled back, no processed_update row); after
    MAX_ATTEMPTS the row is dead (dead_at set, logged as an error): kept for an operator, never
    dropped, and no longer holding back its chat's later updates.
    """

    __tablename__ = "inbox_update"
    __table_args__ = (Index("ix_inbox_update_chat_key_update_id", "chat_key", "update_id"),)

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    chat_key: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    payload: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = _timestamp()
    claimed_by: str | None = Field(default=None, max_length=120)
    claimed_until: datetime | None = _timestamp(nullable=True)
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    dead_at: datetime | None = _timestamp(nullable=True)
