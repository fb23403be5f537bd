"""A strict local Telegram Bot API: the playground's server and the tests' and benchmarks' fake.

See fake_telegram.py for the server, people.py for the simulated people and groups,
bot_api_spec.py for the validation against the Bot API specification (api.min.json, shipped here).
"""

from bot.playground.botapi.bot_api_spec import ApiError, BotApiSpec, UploadedFile, default_spec_path
from bot.playground.botapi.fake_state import (
    ApiCall,
    CallbackAnswer,
    ChatMessage,
    ChatState,
    RejectedCall,
    StoredFile,
    WebhookDelivery,
)
from bot.playground.botapi.fake_telegram import (
    DEFAULT_TOKEN,
    USE_WEBHOOK_SECRET,
    FakeTelegram,
    running_fake,
)
from bot.playground.botapi.people import Group, Person, make_png
from bot.playground.botapi.telegram_html import FormattingError, detect_entities, parse_html

__all__ = [
    "DEFAULT_TOKEN",
    "USE_WEBHOOK_SECRET",
    "ApiCall",
    "ApiError",
    "BotApiSpec",
    "CallbackAnswer",
    "ChatMessage",
    "ChatState",
    "FakeTelegram",
    "FormattingError",
    "Group",
    "Person",
    "RejectedCall",
    "StoredFile",
    "UploadedFile",
    "WebhookDelivery",
    "default_spec_path",
    "detect_entities",
    "make_png",
    "parse_html",
    "running_fake",
]
