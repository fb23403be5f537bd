"""The kill drill's pieces: real `python -m bot` processes, a round-robin proxy in front of their
webhooks, and people who answer in two quick messages and rate, as on a phone.

Used by tests/ops/test_drill.py. The processes and the proxy are bench/instances_support.py's
(bench/instances.py measures the same set-up). Processes are configured through their
environment, as an operator runs them; each instance's log goes to a file the test names.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from bench.instances_support import BotProcess, RoundRobinProxy
from bench.instances_support import webhook_environment as instance_webhook_environment
from criteria.model import MATURITY_LEVELS
from tests.support.flows import QUESTIONS
from tests.support.webhook_runner import WEBHOOK_SECRET

__all__ = ["Answering", "BotProcess", "RoundRobinProxy", "bot_environment", "webhook_environment"]
ROOT = Path(__file__).resolve().parents[2]
CLAIM_SECONDS = 3  # INBOX_CLAIM_SECONDS: a killed instance's claims pass on after this


def bot_environment(fake, database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": fake.token,
        "DATABASE_URL": database_url,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "TELEGRAM_API_BASE_FILE_URL": fake.base_file_url,
        "INBOX_CLAIM_SECONDS": str(CLAIM_SECONDS),
        "LOG_LEVEL": "INFO",
        **extra,
    }


def webhook_environment(proxy_port: int, port: int) -> dict[str, str]:
    return instance_webhook_environment(proxy_port, port, WEBHOOK_SECRET)


@dataclass
class Answering:
    """What one person did and saw while answering `questions` questions."""

    person: object
    questions: int
    pressed: dict[str, str] = field(default_factory=dict)  # question id -> level id
    # Replies that never came (the instance died between commit and reply): they typed /next.
    unanswered: list[str] = field(default_factory=list)

    @property
    def unanswered_waits(self) -> int:
        return len(self.unanswered)

    def part(self, number: int, which: str) -> str:
        return f"{self.person.first_name} answer {number} {which}"

    async def run(self, patience: float = 12.0) -> None:
        person = self.person
        await person.command("/next")
        await person.wait_for_message(contains=QUESTIONS[0].text, timeout=patience)
        for number in range(self.questions):
            question = QUESTIONS[number]
            # Two quick messages, as people type on phones: both must end up in one answer.
            await person.send(self.part(number, "first"))
            await person.send(self.part(number, "second"))
            try:
                # The reply to the second part (the first one's may be lost to a kill).
                added = await person.wait_for_message(contains="Added", timeout=patience)
            except AssertionError:
                await self._move_on(number, patience, "answer")
                continue
            level = MATURITY_LEVELS[1 + number % 3]
            await person.press(added, level.label)
            self.pressed[question.id] = level.id
            try:
                await person.wait_for_message(contains=QUESTIONS[number + 1].text, timeout=patience)
            except AssertionError:
                await self._move_on(number, patience, "rating")

    async def _move_on(self, number: int, patience: float, stage: str) -> None:
        """No reply came (its instance died between saving and answering): ask where we are."""
        self.unanswered.append(f"{self.person.first_name}: {stage} {number}")
        person = self.person
        await person.command("/next")
        try:
            shown = await person.wait_for_message(contains="How ", timeout=patience)
        except AssertionError:  # that reply was lost to the next kill: once more
            self.unanswered.append(f"{self.person.first_name}: /next after {stage} {number}")
            await person.command("/next")
            shown = await person.wait_for_message(contains="How ", timeout=patience)
        if QUESTIONS[number].text in shown.text:
            await person.press(shown, "Next ➡️")
            await person.wait_for_message(contains=QUESTIONS[number + 1].text, timeout=patience)
