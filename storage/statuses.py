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
