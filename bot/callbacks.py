"""Callback data: a short prefix, an action and ids, always under Telegram's 64 bytes.

Buttons are checked against the database before anything happens (who pressed, do the ids still
mean something), so a forged or stale button can never act on someone else's data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CALLBACK_BYTES = 64
ANSWER_PREFIX = "a"
ANSWER_ACTIONS = (
    "help",
    "skip",
    "nma",
    "back",
    "pause",
    "next",
    "rate",
    "resume",
    "keep",
    "drop",
    "show",
)
ANSWER_PATTERN = re.compile(
    rf"^{ANSWER_PREFIX}:(?P<action>{'|'.join(ANSWER_ACTIONS)}):(?P<round>\d{{1,12}}):"
    r"(?P<question>[a-z0-9][a-z0-9_.-]{0,39})(?::(?P<arg>\d{1,2}))?$"
)


@dataclass(frozen=True)
class AnswerButton:
    action: str
    round_id: int
    question_id: str
    arg: int | None = None

    def encode(self) -> str:
        data = f"{ANSWER_PREFIX}:{self.action}:{self.round_id}:{self.question_id}"
        if self.arg is not None:
            data += f":{self.arg}"
        if len(data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data too long: {data!r}")
        return data


def parse_answer_button(data: str | None) -> AnswerButton | None:
    match = ANSWER_PATTERN.match(data or "")
    if match is None:
        return None
    arg = match["arg"]
    return AnswerButton(
        match["action"], int(match["round"]), match["question"], int(arg) if arg else None
    )
