"""`python -m bot`: start the bot (long polling)."""

from __future__ import annotations

import sys

from bot.config import SettingsError, load_settings
from bot.logging_setup import configure_logging


def main(argv: list[str] | None = None) -> int:
    try:
        settings = load_settings()
        token = settings.token
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    configure_logging(settings.log_level, token)
    from bot.app import build_application  # after logging, so import-time logs are formatted

    application = build_application(settings)
    application.run_polling(allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)
    return 0


ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member",
                   "chat_member", "poll", "poll_answer"]

if __name__ == "__main__":
    sys.exit(main())
