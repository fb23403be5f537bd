"""`python -m bot`: check the settings, set up logging, and serve (bot/serve.py)."""

from __future__ import annotations

import logging
import sys

from bot.config import SettingsError, load_settings
from bot.logging_setup import configure_logging
from bot.serve import ALLOWED_UPDATES, serve

__all__ = ["ALLOWED_UPDATES", "main"]  # ALLOWED_UPDATES: tests start the bot the same way


OPERATOR_COMMANDS = ("run-job", "jobs")  # bot/cli.py


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in (*OPERATOR_COMMANDS, "-h", "--help"):
        from bot.cli import main as operator_main

        return operator_main(argv)
    try:
        settings = load_settings()
        token = settings.token
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    configure_logging(settings.log_level, token)
    try:
        serve(settings)
    except Exception:
        # Through logging, not Python's default print: the log filter scrubs the token.
        logging.getLogger("bot").exception("the bot stopped on an error")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
