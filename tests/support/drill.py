"""The kill drill's pieces: real `python -m bot` processes, a round-robin proxy in front of their
webhooks, and people who answer in two quick messages and rate, as on a phone.

Used by tests/ops/test_drill.py. Processes are configured through their environment, as an
operator runs them; each instance's log goes to a file the test names, for a failure's story.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import aiohttp.web

from criteria.model import MATURITY_LEVELS
from tests.support.flows import QUESTIONS
from tests.support.webhook_runner import WEBHOOK_SECRET, free_port

ROOT = Path(__file__).resolve().parents[2]
CLAIM_SECONDS = 3  # INBOX_CLAIM_SECONDS: a killed instance's claims pass on after this


class BotProcess:
    """One `python -m bot` instance; start, kill, start again."""

    def __init__(self, name: str, environment: dict[str, str], logs: Path) -> None:
        self.name = name
        self.environment = environment
        self.logs = logs
        self.health_port = free_port()
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self) -> None:
        self.starts += 1
        log = (self.logs / f"{self.name}-{self.starts}.log").open("wb")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=self.logs,  # no .env file there
            env={**self.environment, "HEALTH_PORT": str(self.health_port)},
            stdout=log,
            stderr=log,
        )
        log.close()
        await self.wait_healthy()

    async def wait_healthy(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        url = f"http://127.0.0.1:{self.health_port}/healthz"
        async with aiohttp.ClientSession() as client, asyncio.timeout(timeout):
            while True:
                assert self.process is not None and self.process.returncode is None, (
                    f"{self.name} exited at start; see {self.logs}"
                )
                with contextlib.suppress(aiohttp.ClientError):
                    async with client.get(url) as reply:
                        if reply.status == 200:
                            return
                await asyncio.sleep(0.1)

    async def kill(self, signum: int = signal.SIGKILL, timeout: float = 20.0) -> int:  # noqa: ASYNC109
        """Send the signal and wait for the exit; the exit code."""
        assert self.process is not None
        self.process.send_signal(signum)
        async with asyncio.timeout(timeout):
            return await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError, TimeoutError):
                await self.kill(signal.SIGTERM)
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()


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
    return {
        "WEBHOOK_URL": f"http://127.0.0.1:{proxy_port}",
        "WEBHOOK_LISTEN": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
        "WEBHOOK_SECRET_TOKEN": WEBHOOK_SECRET,
    }


@dataclass
class RoundRobinProxy:
    """A load balancer: each POST goes to the next instance; 502 when that one is down."""

    upstream_ports: list[int]
    port: int = field(default_factory=free_port)
    _runner: aiohttp.web.AppRunner | None = None
    _client: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        turns = itertools.cycle(self.upstream_ports)
        self._client = aiohttp.ClientSession()

        async def forward(request: aiohttp.web.Request) -> aiohttp.web.Response:
            body = await request.read()
            headers = {
                key: value
                for key, value in request.headers.items()
                if key.lower() in ("content-type", "x-telegram-bot-api-secret-token")
            }
            url = f"http://127.0.0.1:{next(turns)}{request.path}"
            try:
                async with self._client.post(url, data=body, headers=headers) as reply:
                    return aiohttp.web.Response(status=reply.status, body=await reply.read())
            except (aiohttp.ClientError, TimeoutError):
                return aiohttp.web.Response(status=502)

        app = aiohttp.web.Application()
        app.router.add_post("/{path:.*}", forward)
        self._runner = aiohttp.web.AppRunner(app)
        await self._runner.setup()
        await aiohttp.web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._client is not None:
            await self._client.close()


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
