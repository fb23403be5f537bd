"""Test support: a strict fake Telegram Bot API server and simulated people.

See fake_telegram.py for the server, people.py for the people API, bot_api_spec.py for the
validation against the Bot API specification.
"""

from tests.support.bot_api_spec import ApiError, BotApiSpec, UploadedFile, default_spec_path
from tests.support.fake_state import (
    ApiCall,
    CallbackAnswer,
    ChatMessage,
    ChatState,
    RejectedCall,
    StoredFile,
    WebhookDelivery,
)
from tests.support.fake_telegram import (
    DEFAULT_TOKEN,
    USE_WEBHOOK_SECRET,
    FakeTelegram,
    running_fake,
)
from tests.support.people import Group, Person, make_png
from tests.support.telegram_html import FormattingError, detect_entities, parse_html

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
