"""`python -m bot`: check the settings, set up logging, and serve (bot/ops/serve.py)."""

from __future__ import annotations

import logging
import sys

from telegram.error import InvalidToken, NetworkError

from bot.core.config import Settings, SettingsError, load_settings
from bot.core.logging_setup import configure_logging
from bot.ops.serve import ALLOWED_UPDATES, serve

__all__ = ["ALLOWED_UPDATES", "main"]  # ALLOWED_UPDATES: tests start the bot the same way


OPERATOR_COMMANDS = ("run-job", "jobs")  # bot/ops/cli.py


INVALID_TOKEN_HELP = (
    "Telegram refused TELEGRAM_BOT_TOKEN (401 Unauthorized): it is mistyped or was revoked. "
    "Copy it again from @BotFather (/mybots, your bot, API Token)."
)


def unreachable_help(settings: Settings, error: NetworkError) -> str:
    # The base URL never holds the token: PTB appends it to each request.
    return (
        f"Cannot reach the Telegram Bot API at {settings.telegram_api_base_url} ({error.message}). "
        "Check the network, or TELEGRAM_API_BASE_URL if you use your own Bot API server."
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in (*OPERATOR_COMMANDS, "-h", "--help"):
        from bot.ops.cli import main as operator_main

        return operator_main(argv)
    if argv and argv[0] == "playground":  # try it with no Telegram: bot/playground/cli.py
        from bot.playground.cli import main as playground_main

        return playground_main(argv[1:])
    try:
        settings = load_settings()
        token = settings.token
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    configure_logging(settings.log_level, token)
    try:
        serve(settings)
    except InvalidToken:
        print(INVALID_TOKEN_HELP, file=sys.stderr)
        return 2
    except NetworkError as error:
        print(unreachable_help(settings, error), file=sys.stderr)
        return 1
    except Exception:
        # Through logging, not Python's default print: the log filter scrubs the token.
        logging.getLogger("bot").exception("the bot stopped on an error")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
