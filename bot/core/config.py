"""Settings read from the environment (and an optional .env file), validated at start.

Every problem is reported with the setting's name and what is wrong, so an operator can fix a
deployment from the first log line. The token is a SecretStr: it never shows up in a repr or a log.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from criteria.loader import DEFAULT_PACK_ID, load_packs

BOTFATHER_HELP = (
    "TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather in Telegram "
    "(send /newbot, pick a name and a username), copy the token it gives you, then run:\n"
    "  export TELEGRAM_BOT_TOKEN=123456789:ABC...   (or put it in a .env file)"
)
TOKEN_PATTERN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{10,}$")
SECRET_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/bot.db"


class SettingsError(Exception):
    """Raised when the configuration cannot start the bot; the message is for the operator."""


class Settings(BaseSettings):
    """Everything the bot reads from its environment."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_api_base_file_url: str | None = None
    criteria_dir: Path | None = None
    # The framework /newteam preselects (checked against the loaded packs by bot/app.py).
    default_pack: str = DEFAULT_PACK_ID
    default_timezone: str = "UTC"
    log_level: str = "INFO"
    reminder_grace_minutes: int = Field(default=180, ge=0)
    # Webhook mode (see bot/ops/serve.py): setting WEBHOOK_URL switches from long polling to it.
    webhook_url: str | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret_token: SecretStr | None = None
    webhook_path: str = "telegram"
    drop_pending_updates: bool = False
    # How long an instance's claim on a received update lasts without renewal (bot/ops/inbox.py):
    # what a killed instance had claimed is taken up by the others after this many seconds.
    inbox_claim_seconds: int = Field(default=15, ge=2, le=300)
    # A failed update is tried again after this pause, longer each time (bot/ops/inbox.py).
    inbox_retry_seconds: float = Field(default=1.0, gt=0, le=60)
    # /healthz; 0 takes any free port (tests).
    health_port: int = Field(default=8080, ge=0, le=65535)
    # Benchmarks: count SQL statements and commits, shown on /healthz (bench/throughput.py).
    count_sql_statements: bool = False

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _blank_token_is_missing(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not TOKEN_PATTERN.match(value.get_secret_value().strip()):
            raise ValueError("does not look like a bot token (digits, a colon, then letters)")
        return SecretStr(value.get_secret_value().strip()) if value else None

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return normalise_database_url(value)

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown IANA time zone {value!r} (e.g. Europe/London)") from error
        return value

    @field_validator("webhook_url", mode="before")
    @classmethod
    def _blank_webhook_url_is_polling(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value.strip()):
            raise ValueError("must be the public https:// address Telegram posts updates to")
        return value.strip().rstrip("/") if value else None

    @field_validator("webhook_secret_token", mode="before")
    @classmethod
    def _blank_secret_is_missing(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_secret_token")
    @classmethod
    def _secret_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's own rule for the X-Telegram-Bot-Api-Secret-Token header.
        if value is not None and not SECRET_TOKEN_PATTERN.match(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("webhook_path")
    @classmethod
    def _url_path(cls, value: str) -> str:
        path = value.strip().strip("/")
        if not re.match(r"^[A-Za-z0-9_\-/]+$", path):
            raise ValueError("must be a URL path of letters, digits, _, - and /")
        return path

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url and self.webhook_secret_token is None:
            # Without it anyone who learns the URL could post fake updates.
            raise ValueError(
                "WEBHOOK_SECRET_TOKEN is required when WEBHOOK_URL is set "
                "(1-256 characters of A-Z, a-z, 0-9, _ and -)"
            )
        return self

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in logging.getLevelNamesMapping():
            raise ValueError(f"unknown log level {value!r} (use DEBUG, INFO, WARNING or ERROR)")
        return level

    @field_validator("criteria_dir")
    @classmethod
    def _existing_dir(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"{value} is not a directory")
        return value

    @model_validator(mode="after")
    def _default_pack_exists(self) -> Settings:
        # The shipped default needs no reading; another one must be among the packs loaded.
        if self.default_pack == DEFAULT_PACK_ID:
            return self
        known = [pack.id for pack in load_packs(self.criteria_dir).all()]
        if self.default_pack not in known:
            raise ValueError(
                f"DEFAULT_PACK {self.default_pack!r} is not a loaded pack (known: "
                f"{', '.join(known)})"
            )
        return self

    @property
    def token(self) -> str:
        if self.telegram_bot_token is None:
            raise SettingsError(BOTFATHER_HELP)
        return self.telegram_bot_token.get_secret_value()

    @property
    def webhook_mode(self) -> bool:
        return self.webhook_url is not None

    @property
    def full_webhook_url(self) -> str:
        """Where Telegram posts updates: the public base URL plus the server's path."""
        return f"{self.webhook_url}/{self.webhook_path}"

    @property
    def file_base_url(self) -> str:
        if self.telegram_api_base_file_url:
            return self.telegram_api_base_file_url
        return self.telegram_api_base_url.rstrip("/").removesuffix("/bot") + "/file/bot"


def normalise_database_url(url: str) -> str:
    """Accept the URLs people paste (postgres://, sqlite://...) and pick the async drivers."""
    url = url.strip()
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    if not url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        raise ValueError("must be a sqlite:/// or postgresql:// URL")
    return url


def load_settings(**overrides: object) -> Settings:
    """Read and validate settings; raise SettingsError naming every bad setting."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            name = str(problem["loc"][0]).upper() if problem["loc"] else "settings"
            message = problem["msg"].removeprefix("Value error, ")
            lines.append(f"{name}: {message}")
        raise SettingsError("Invalid configuration:\n  " + "\n  ".join(lines)) from None
