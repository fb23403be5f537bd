"""Who may do what in a team, and what an invite or a new round asks for: pure decisions.

Handlers read the facts from the database (the presser's role, how many managers a team has) and
ask here; nothing in this module knows about Telegram or sessions, so the rules read and test on
their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

# Only the marker (an identity function): texts stay English here and are translated where shown.
from bot.core.i18n import N_
from storage.statuses import AnswerStatus

# Membership.role values (storage.models.Role holds the same strings; the domain imports no
# storage).
MANAGER = "manager"
MEMBER = "member"


class Refusal(StrEnum):
    """Why a team action is refused; each has one clear message in the handler."""

    NOT_A_MEMBER = "not_a_member"  # the presser is not (or no longer) in that team
    NOT_A_MANAGER = "not_a_manager"
    TARGET_GONE = "target_gone"  # the person acted on already left or was removed
    LAST_MANAGER = "last_manager"
    ALREADY_MANAGER = "already_manager"


@dataclass(frozen=True)
class TeamFacts:
    """What a decision about one team needs: the actor's and target's roles, the managers."""

    actor_role: str | None  # None: the actor is not a member
    target_role: str | None = None  # None: the target is not a member
    managers: int = 0


def may_manage(facts: TeamFacts) -> Refusal | None:
    """Change the team's settings, rounds or invites: its managers only."""
    if facts.actor_role is None:
        return Refusal.NOT_A_MEMBER
    if facts.actor_role != MANAGER:
        return Refusal.NOT_A_MANAGER
    return None


def may_remove(facts: TeamFacts) -> Refusal | None:
    """A manager removes someone, but a team never loses its last manager."""
    refusal = may_manage(facts)
    if refusal is not None:
        return refusal
    if facts.target_role is None:
        return Refusal.TARGET_GONE
    if facts.target_role == MANAGER and facts.managers <= 1:
        return Refusal.LAST_MANAGER
    return None


def may_promote(facts: TeamFacts) -> Refusal | None:
    """A manager makes a member a manager (how a manager hands over before leaving)."""
    refusal = may_manage(facts)
    if refusal is not None:
        return refusal
    if facts.target_role is None:
        return Refusal.TARGET_GONE
    if facts.target_role == MANAGER:
        return Refusal.ALREADY_MANAGER
    return None


def must_hand_over(role: str, managers: int, members: int) -> bool:
    """Leaving would strand others: the only manager of a team that has other members."""
    return role == MANAGER and managers <= 1 and members > 1


# Invites.

INVITE_LIFETIMES: dict[str, timedelta | None] = {
    "1d": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "never": None,
}
INVITE_USES = {"once": 1, "multi": None}


@dataclass(frozen=True)
class InviteOptions:
    role: str = MEMBER
    lifetime_key: str = "30d"
    uses_key: str = "multi"

    @property
    def lifetime(self) -> timedelta | None:
        return INVITE_LIFETIMES[self.lifetime_key]

    @property
    def max_uses(self) -> int | None:
        return INVITE_USES[self.uses_key]


class InviteArgumentError(ValueError):
    """An /invite argument that is none of the known options."""


def parse_invite_options(args: list[str]) -> InviteOptions:
    """`/invite manager 7d once` in any order; what is not given keeps its default."""
    role, lifetime, uses = MEMBER, "30d", "multi"
    for raw in args:
        word = raw.strip().lower()
        if word in (MEMBER, MANAGER, "members", "managers"):
            role = MANAGER if word.startswith("manager") else MEMBER
        elif word in INVITE_LIFETIMES:
            lifetime = word
        elif word in ("one-off", "single", "1"):
            uses = "once"
        elif word in INVITE_USES:
            uses = word
        else:
            raise InviteArgumentError(raw)
    return InviteOptions(role, lifetime, uses)


def may_invite(actor_role: str | None) -> Refusal | None:
    """Managers invite; a member cannot invite at all, so no member can make a manager."""
    return may_manage(TeamFacts(actor_role=actor_role))


def invite_admits_removed(
    invite_created_at: datetime, made_by_a_person: bool, removed_at: datetime
) -> bool:
    """May this invite bring back someone a manager removed from its team?

    Only an invite a person (a manager) made after the removal: the links that were around when
    they were removed, and the group's standing link that the bot made for its Join button, are
    what a removed person still has, so those no longer let them in.
    """
    return made_by_a_person and invite_created_at > removed_at


# Rounds.

DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ROUND_NAME_MAX = 100


class RoundArgumentError(ValueError):
    """/round arguments that cannot be used; the message says what to type instead.

    `template` is the English text (a gettext message id) and `params` fill it, so the handler
    can show it in the reader's language; str() gives the English text.
    """

    def __init__(self, template: str, **params: object) -> None:
        super().__init__(template.format(**params))
        self.template = template
        self.params = params


def parse_due_date(text: str, today: date) -> date:
    if not DATE_PATTERN.match(text):
        raise RoundArgumentError(N_("Write the due date as YYYY-MM-DD, for example 2030-06-30."))
    try:
        due = date.fromisoformat(text)
    except ValueError:
        raise RoundArgumentError(N_("{text} is not a real date."), text=text) from None
    if due < today:
        raise RoundArgumentError(N_("The due date is in the past; pick today or a later day."))
    return due


def parse_new_round(args: list[str], today: date, default_name: str) -> tuple[str, date | None]:
    """`NAME [YYYY-MM-DD]` -> (name, due date); a missing name gets `default_name`."""
    words = list(args)
    due = None
    if words and DATE_PATTERN.match(words[-1]):
        due = parse_due_date(words.pop(), today)
    name = " ".join(words).strip() or default_name
    if len(name) > ROUND_NAME_MAX:
        raise RoundArgumentError(
            N_("Round names can be up to {count} characters."), count=ROUND_NAME_MAX
        )
    return name, due


# Carrying answers over from the previous round.


def offer_previous_answer(current_status: str | None, previous_has_content: bool) -> bool:
    """Offer "still true?" when this round has no answer yet and the last round had one."""
    return previous_has_content and current_status != AnswerStatus.ANSWERED
