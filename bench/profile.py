"""Where a bot process spends its CPU: py-spy samples it while a benchmark runs, and each sample is
given to the library that was running (the innermost frame outside the standard library's
plumbing), so a table says "SQLAlchemy 31%, httpx 22%..." (bench/throughput.py --profile).

py-spy reads the process's memory from outside (ptrace): the bot runs unchanged. It samples
without pausing the process (--nonblocking), yet its own work takes CPU beside the bot's on a
small machine: a profiled run's figures are a little lower than an unprofiled one's, so
throughput.py's published figures come from runs without --profile. Installed with the test
extra (`pip install -e '.[test]'`); it needs the right to trace the process (root, or the same user
with kernel.yama.ptrace_scope 0).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import signal
import sys
import tempfile
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

SAMPLES_PER_SECOND = 200

# A sample's owner: the first of these met walking from the innermost frame outwards. Frames of
# no library here (the standard library's plumbing: dataclasses, enum, typing...) pass the
# sample on to their caller; asyncio's event loop is named as itself, since its own work (the
# selector, scheduling callbacks) is what it is charged with.
_OWNERS = {
    "sqlalchemy": "SQLAlchemy",
    "sqlmodel": "SQLAlchemy",
    "asyncpg": "asyncpg",
    "aiosqlite": "sqlite3",
    "sqlite3": "sqlite3",
    "httpx": "httpx/httpcore/h11",
    "httpcore": "httpx/httpcore/h11",
    "h11": "httpx/httpcore/h11",
    "anyio": "httpx/httpcore/h11",
    "aiohttp": "aiohttp",
    "multidict": "aiohttp",
    "yarl": "aiohttp",
    "propcache": "aiohttp",
    "telegram": "python-telegram-bot",
    "tornado": "tornado",
    "asyncio": "asyncio event loop",
    "selectors": "asyncio event loop",
    "json": "json",
    "babel": "Babel",
    "gettext": "Babel",
    "pydantic": "pydantic",
    "logging": "logging",
    "bot": "the bot's own code",
    "criteria": "the bot's own code",
    "storage": "the bot's own code",
}
_FILE = re.compile(r"\(([^():]+)(?::\d+)?\)$")
# Frames of ours that stand for a library's C code, which has no Python frame of its own: SQLite
# runs inline on the event loop (storage/db.py), so its work shows as the line that calls it.
_C_CALLERS = {
    ("storage/db.py", "_RunAtOnce.put_nowait"): "sqlite3",
    ("storage/db.py", "_begin_immediate"): "sqlite3",
}
# A thread pool's thread waiting for work (aiohttp resolves host names in one): idle, which
# py-spy's sampling without pausing the process cannot always tell from running.
_IDLE = ("concurrent/futures/thread.py", "_worker")


def _where(frame: str) -> tuple[str, str] | None:
    """(file, function) of a py-spy frame such as "Class.method (package/module.py:12)"."""
    match = _FILE.search(frame)
    if match is None:
        return None
    return match.group(1), frame[: match.start()].strip()


def _owner(frame: str) -> str | None:
    where = _where(frame)
    if where is None:
        return None
    if where in _C_CALLERS:
        return _C_CALLERS[where]
    path = Path(where[0])
    # A package's folder (sqlalchemy/orm/session.py), else a module of its own (selectors.py).
    for name in (*path.parts[:-1], path.stem):
        if name in _OWNERS:
            return _OWNERS[name]
    return None


@dataclass
class Profile:
    samples: int = 0
    by_owner: Counter = field(default_factory=Counter)

    def shares(self) -> list[tuple[str, float]]:
        """(owner, share of the samples), largest first."""
        total = self.samples or 1
        return [(owner, count / total) for owner, count in self.by_owner.most_common()]

    def line(self) -> str:
        return ", ".join(f"{owner} {share:.0%}" for owner, share in self.shares() if share >= 0.01)


def read_raw(path: Path) -> Profile:
    """py-spy's raw (collapsed stacks) output: "frame;frame;... count" a line, outermost first."""
    profile = Profile()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        if _where(frames[-1]) == _IDLE:
            continue
        owner = next((found for frame in reversed(frames) if (found := _owner(frame))), "other")
        profile.samples += int(count)
        profile.by_owner[owner] += int(count)
    return profile


def py_spy() -> str | None:
    """The py-spy executable beside this Python, or on PATH; None when not installed."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


@dataclass
class Profiling:
    profile: Profile | None = None  # set when the block ends and py-spy wrote its samples


@contextlib.asynccontextmanager
async def profiling(pid: int, keep: Path | None = None) -> AsyncIterator[Profiling]:
    """Sample process `pid` while the block runs; the result's profile is read at its end.
    `keep`: where to copy py-spy's samples too (collapsed stacks, for a flame graph tool)."""
    result = Profiling()
    executable = py_spy()
    if executable is None:
        raise RuntimeError("py-spy is not installed: pip install -e '.[test]'")
    with tempfile.TemporaryDirectory() as folder:
        raw = Path(folder) / "samples.txt"
        recorder = await asyncio.create_subprocess_exec(
            executable,
            "record",
            "--pid",
            str(pid),
            "--rate",
            str(SAMPLES_PER_SECOND),
            "--nonblocking",
            "--format",
            "raw",
            "--output",
            str(raw),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            yield result
        finally:
            if recorder.returncode is None:
                recorder.send_signal(signal.SIGINT)  # py-spy writes what it sampled, then exits
            await recorder.wait()
        if raw.exists():
            result.profile = read_raw(raw)
            if keep is not None:
                keep.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(raw, keep)
