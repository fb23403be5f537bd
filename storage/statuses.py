"""Answer statuses: the words stored in answer.status, and which of them count as done.

Apart from the tables so that the domain can speak of them without importing the database.
"""

from __future__ import annotations

from enum import StrEnum


class AnswerStatus(StrEnum):
    ANSWERED = "answered"
    SKIPPED = "skipped"
    NOT_MY_AREA = "not_my_area"


# A question counts as done when answered or declared outside the person's area; a skipped one
# is still to do, but comes after the questions never seen.
DONE_STATUSES = frozenset({AnswerStatus.ANSWERED, AnswerStatus.NOT_MY_AREA})


class ActionStatus(StrEnum):
    """Where an improvement action stands (action.status); a draft is still being set up."""

    DRAFT = "draft"
    OPEN = "open"
    STARTED = "started"
    BLOCKED = "blocked"
    DONE = "done"
    DROPPED = "dropped"


# Still to do: what the owner is nudged about and what can become overdue.
OPEN_ACTION_STATUSES = frozenset({ActionStatus.OPEN, ActionStatus.STARTED, ActionStatus.BLOCKED})
