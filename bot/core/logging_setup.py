"""Log configuration: one format, and the bot token scrubbed from every line."""

from __future__ import annotations

import logging
import re

TOKEN_IN_TEXT = re.compile(r"\d{3,}:[A-Za-z0-9_-]{20,}")


class TokenRedactingFilter(logging.Filter):
    """httpx logs request URLs, and Telegram's URLs carry the token: blank it everywhere."""

    def __init__(self, token: str | None = None) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = TOKEN_IN_TEXT.sub("<token>", message)
        if self.token:
            cleaned = cleaned.replace(self.token, "<token>")
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def configure_logging(level: str, token: str | None = None) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(TokenRedactingFilter(token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Every poll would be an INFO line with the token in its URL.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # One line per update is the log's contract: fontTools logs every font subset of a PDF export
    # and alembic every migration step at start, at INFO.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
