"""Starting `python -m bot`: every wrong setting is named, and no start ends in a traceback.

Each case runs the real entry point in a subprocess, in an empty folder (no .env), with only
the environment the case gives it.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.playground.botapi.fake_telegram import FakeTelegram

REPO = Path(__file__).resolve().parents[2]
# The settings the bot reads; anything of the developer's shell is left out.
SETTINGS = (
    "TELEGRAM_BOT_TOKEN",
    "DATABASE_URL",
    "TELEGRAM_API_BASE_URL",
    "TELEGRAM_API_BASE_FILE_URL",
    "CRITERIA_DIR",
    "DEFAULT_TIMEZONE",
    "LOG_LEVEL",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET_TOKEN",
)
OTHER_TOKEN = "123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


async def start_bot(tmp_path: Path, **env: str) -> tuple[int, str]:
    """Run `python -m bot` until it exits (30 s at most); its exit code and stderr."""
    environment = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    environment.setdefault("DATABASE_URL", f"sqlite:///{tmp_path / 'bot.db'}")
    environment.update(env, PYTHONPATH=str(REPO), HEALTH_PORT="0")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _out, err = await asyncio.wait_for(process.communicate(), 30)
    except TimeoutError:
        process.kill()
        raise AssertionError("the bot did not exit") from None
    return process.returncode, err.decode()


async def test_without_a_token_it_says_how_to_get_one(tmp_path):
    code, err = await start_bot(tmp_path)
    assert code == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in err and "@BotFather" in err and "/newbot" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("DATABASE_URL", "mysql://db/bot", "DATABASE_URL: must be a sqlite:/// or postgresql://"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL"),
        ("DEFAULT_TIMEZONE", "Mars/Olympus", "DEFAULT_TIMEZONE"),
        ("TELEGRAM_BOT_TOKEN", "not-a-token", "TELEGRAM_BOT_TOKEN"),
        ("WEBHOOK_URL", "https://bot.example.org", "WEBHOOK_SECRET_TOKEN"),
    ],
)
async def test_a_wrong_setting_is_named(tmp_path, name, value, said):
    env = {"TELEGRAM_BOT_TOKEN": OTHER_TOKEN, name: value}
    code, err = await start_bot(tmp_path, **env)
    assert code == 2
    assert err.startswith("Invalid configuration:") and said in err
    assert OTHER_TOKEN.split(":")[1] not in err
    assert "Traceback" not in err


async def test_a_token_telegram_refuses_is_explained_without_leaking_it(tmp_path):
    async with FakeTelegram() as fake:  # it knows its own token only: this one gets a 401
        code, err = await start_bot(
            tmp_path, TELEGRAM_BOT_TOKEN=OTHER_TOKEN, TELEGRAM_API_BASE_URL=fake.base_url
        )
    assert code == 2
    assert "Telegram refused TELEGRAM_BOT_TOKEN (401 Unauthorized)" in err
    assert OTHER_TOKEN.split(":")[1] not in err and "Traceback" not in err


async def test_an_unreachable_bot_api_is_explained(tmp_path):
    code, err = await start_bot(
        tmp_path,
        TELEGRAM_BOT_TOKEN=OTHER_TOKEN,
        TELEGRAM_API_BASE_URL="http://127.0.0.1:9/bot",  # the discard port: nothing listens
    )
    assert code == 1
    assert "Cannot reach the Telegram Bot API at http://127.0.0.1:9/bot" in err
    assert OTHER_TOKEN.split(":")[1] not in err and "Traceback" not in err
