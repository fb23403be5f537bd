"""`python -m bot` as a real process: SIGTERM while an answer is being handled loses nothing.

The process talks to the fake Bot API over HTTP and keeps its state in a SQLite file; the fake
answers sendMessage slowly, so SIGTERM arrives while a handler is waiting on Telegram.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from bot.core.config import Settings
from bot.core.ordering import PerChatUpdateProcessor
from bot.playground.botapi.fake_telegram import FakeTelegram
from criteria.loader import DEFAULT_PACK_ID, load_packs
from criteria.model import MATURITY_LEVELS
from storage.db import create_engine, session_factory
from storage.models import Answer

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = load_packs().get(DEFAULT_PACK_ID).questions()
INVITE = re.compile(r"\?start=([A-Za-z0-9_-]+)")
STARTUP_SECONDS = 20  # a fresh interpreter, migrations on a new SQLite file, then getMe
READY = re.compile(r"health endpoint on http://[\d.]+:(\d+)/healthz")  # logged last at start


class BotProcess:
    """`python -m bot` in a clean environment, its log in a file."""

    def __init__(self, fake: FakeTelegram, workdir: Path) -> None:
        self.log_path = workdir / "bot.log"
        self.database_url = f"sqlite+aiosqlite:///{workdir / 'bot.db'}"
        setting_names = {name.upper() for name in Settings.model_fields}
        self.env = {key: value for key, value in os.environ.items() if key not in setting_names}
        self.env.update(
            TELEGRAM_BOT_TOKEN=fake.token,
            TELEGRAM_API_BASE_URL=fake.base_url,
            TELEGRAM_API_BASE_FILE_URL=fake.base_file_url,
            DATABASE_URL=self.database_url,
            HEALTH_PORT="0",
            LOG_LEVEL="INFO",
            PYTHONPATH=str(ROOT),
        )
        self.workdir = workdir  # also the working folder: no developer's .env is read
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self) -> int:
        """Start and wait until it serves; return the health port. Fails at once if it dies."""
        with self.log_path.open("a") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=self.workdir, env=self.env, stderr=log
            )
        deadline = asyncio.get_running_loop().time() + STARTUP_SECONDS
        while not (serving := READY.findall(self.log)[self.starts :]):
            if self.process.returncode is not None:
                pytest.fail(f"the bot exited with {self.process.returncode}:\n{self.log[-3000:]}")
            if asyncio.get_running_loop().time() > deadline:
                pytest.fail(f"the bot did not start in {STARTUP_SECONDS}s:\n{self.log[-3000:]}")
            await asyncio.sleep(0.05)
        self.starts += 1
        return int(serving[0])

    async def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), timeout=20)

    def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()

    @property
    def log(self) -> str:
        return self.log_path.read_text()


@pytest.fixture
def bot_process(fake, tmp_path):
    process = BotProcess(fake, tmp_path)
    yield process
    process.kill()  # only if a failed test left it running


async def stored_answer_texts(database_url: str) -> list[str]:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return list((await session.execute(select(Answer.text))).scalars())
    finally:
        await engine.dispose()


async def test_sigterm_finishes_the_answer_in_flight_and_the_flow_resumes(fake, bot_process):
    health_port = await bot_process.start()
    assert await run_the_images_healthcheck(health_port) == 0  # while we are at it
    manager, sam = fake.person("Maria"), fake.person("Sam")
    await manager.command("/newteam", "Front desk baldrige-customer-management")
    created = await manager.wait_for_message(contains="is ready")
    await sam.command("/start", INVITE.search(created.text).group(1))
    await sam.wait_for_message(contains=QUESTIONS[0].text)

    fake.slow("sendMessage", 1.0)
    await sam.send("We call every customer back within one working day")
    await fake.wait_until(
        lambda: any(call.method == "sendMessage" and call.ok is None for call in fake.calls)
    )
    assert await bot_process.terminate() == 0

    saved = await sam.wait_for_message(contains="Saved", timeout=1)  # the reply went out
    assert await stored_answer_texts(bot_process.database_url) == [
        "We call every customer back within one working day"
    ]

    fake.slow("sendMessage", 0)
    await bot_process.start()
    await sam.press(saved, MATURITY_LEVELS[2].label)  # a button from before the restart
    await sam.wait_for_message(contains=QUESTIONS[1].text)
    assert await bot_process.terminate() == 0

    log = bot_process.log
    assert "stop requested: finishing the updates in progress" in log
    assert re.search(r"update_id=\d+ kind=message handler=text_answer outcome=handled", log)
    assert fake.token not in log
    assert "We call every customer" not in log, "no message text at INFO"


async def run_the_images_healthcheck(health_port: int) -> int:
    """The Dockerfile's HEALTHCHECK command, as docker would run it inside the container."""
    healthcheck = next(
        line
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.strip().startswith("CMD [") and "/healthz" in line
    )
    command = json.loads(healthcheck.split("CMD", 1)[1])
    probe = await asyncio.create_subprocess_exec(
        *command, env={**os.environ, "HEALTH_PORT": str(health_port)}
    )
    return await asyncio.wait_for(probe.wait(), timeout=10)


async def test_update_processor_shutdown_waits_for_updates_in_flight():
    processor = PerChatUpdateProcessor()
    release = asyncio.Event()
    finished = []

    async def slow_handling():
        await release.wait()
        finished.append("update")

    handling = asyncio.create_task(processor.process_update(object(), slow_handling()))
    await asyncio.sleep(0)
    shutdown = asyncio.create_task(processor.shutdown())
    await asyncio.sleep(0.05)
    assert not shutdown.done(), "shutdown must wait while an update is being handled"

    release.set()
    await asyncio.wait_for(shutdown, timeout=1)
    await handling
    assert finished == ["update"]
