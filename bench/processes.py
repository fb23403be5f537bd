"""The bot (or an echo bot) in a process of its own, against a fake Bot API in this one.

Telegram is another machine: a figure measured with the fake in the bot's own process mixes the
fake's cost into the bot's. Here the bench process hosts the fake and plays the people; the bot
is `python -m bot` (or bench/echo_bot.py), started with the environment a deployment gives it,
and its CPU time and memory are read from /proc for its process alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class BotProcess:
    process: asyncio.subprocess.Process
    started_at: float  # time.monotonic() just before the process was created

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_mb(self) -> float:
        """Resident memory now (VmRSS), in MB."""
        return _status_kb(self.pid, "VmRSS") / 1024

    def peak_rss_mb(self) -> float:
        return _status_kb(self.pid, "VmHWM") / 1024

    def children_rss_mb(self) -> float:
        """Resident memory of the processes it started (the picture worker), in MB."""
        total = 0
        for task in Path(f"/proc/{self.pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                with contextlib.suppress(FileNotFoundError, LookupError):  # gone meanwhile
                    total += _status_kb(int(child), "VmRSS")
        return total / 1024

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time process `pid` used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise LookupError(key)


def bot_environment(fake, database_url: str, **extra: str) -> dict[str, str]:
    """What a deployment sets, pointed at the fake; nothing else of this shell's leaks in."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    }
    env.update(
        PYTHONPATH=str(ROOT),
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_API_BASE_URL=fake.base_url,
        TELEGRAM_API_BASE_FILE_URL=fake.base_file_url,
        DATABASE_URL=database_url,
        HEALTH_PORT="0",
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


@asynccontextmanager
async def bot_process(env: dict[str, str], *args: str, cwd: Path | None = None):
    """`python -m bot` (or `python <args>`) until the block ends, then SIGTERM and wait."""
    command = args or ("-m", "bot")
    started_at = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable, *command, env=env, cwd=str(cwd or ROOT)
    )
    try:
        yield BotProcess(process, started_at)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


async def first_poll(fake, since: float, timeout: float = 60) -> float:  # noqa: ASYNC109
    """Seconds from `since` (monotonic) to the first getUpdates call the fake saw."""
    call = await fake.wait_until(
        lambda: next((c for c in fake.calls if c.method == "getUpdates"), None), timeout=timeout
    )
    return call.time - since
