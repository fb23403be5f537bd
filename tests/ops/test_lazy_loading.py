"""`python -m bot` starts without the libraries that only pictures and exports need.

The bot is started in a fresh interpreter the way production starts it (build_application,
then bot.ops.serve.running), against the fake Bot API in this process; once it polls, it
reports which modules it has loaded. The charts, PDF and spreadsheet libraries, and Alembic on an
already migrated database, must not be among them: they cost the idle bot memory and start-up
time (bench/footprint.py measures how much).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from storage.migrate import upgrade_to_head_async

ROOT = Path(__file__).resolve().parents[2]
NOT_AT_START = ("matplotlib", "openpyxl", "fpdf", "fontTools", "PIL", "numpy", "alembic")

START_AND_REPORT = """
import asyncio, json, sys
from bot.app import build_application
from bot.core.config import load_settings
from bot.ops.serve import running

async def main():
    settings = load_settings()
    async with running(build_application(settings), settings):
        await asyncio.to_thread(sys.stdin.readline)  # the test saw the first getUpdates
        print(json.dumps(sorted(sys.modules)), flush=True)

asyncio.run(main())
"""


async def test_the_bot_starts_without_chart_pdf_spreadsheet_or_migration_libraries(fake, tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/bot.db"
    await upgrade_to_head_async(url)  # an already migrated database, as at any restart
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "TELEGRAM_API_BASE_FILE_URL": fake.base_file_url,
        "DATABASE_URL": url,
        "HEALTH_PORT": "0",
        "LOG_LEVEL": "WARNING",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        START_AND_REPORT,
        env=env,
        cwd=tmp_path,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake.wait_until(lambda: fake.calls_to("getUpdates"), timeout=60)
    finally:
        stdout, stderr = await asyncio.wait_for(process.communicate(b"report\n"), 120)
    assert process.returncode == 0, stderr.decode()
    loaded = set(json.loads(stdout))
    assert "bot.manage.exports" in loaded and "bot.group.charts" in loaded  # the handlers are
    assert [name for name in NOT_AT_START if name in loaded] == []
