"""The composition root: builds the Application and registers every feature in one place."""

from __future__ import annotations

import logging
from datetime import time

from telegram import BotCommand, BotCommandScopeAllPrivateChats
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, Defaults

from bot import answering, guards, onboarding, review
from bot.config import Settings
from bot.errors import on_error
from bot.ordering import PerChatUpdateProcessor
from bot.runtime import RUNTIME_KEY, Runtime
from criteria.loader import PackRegistry, load_packs
from storage.db import create_engine, session_factory
from storage.migrate import upgrade_to_head_async

log = logging.getLogger(__name__)


class Groups:
    """Handler groups, run in this order; a lower group sees an update first."""

    DEDUPLICATE = -10  # drop an update delivered twice before anything acts on it
    FEATURES = 0  # onboarding, answering, review: their filters do not overlap
    FALLBACK = 10  # whatever no feature took: unknown commands and buttons


def build_application(settings: Settings, packs: PackRegistry | None = None) -> Application:
    """Everything the bot runs, wired from settings; nothing registers at import time."""
    packs = packs or load_packs(settings.criteria_dir)
    for problem in packs.errors:
        log.error("criteria pack not loaded:\n%s", problem)
    application = (
        Application.builder()
        .token(settings.token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.file_base_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, disable_web_page_preview=True))
        # Telegram's flood limits, with retries after a 429 instead of dropping the message.
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(PerChatUpdateProcessor())
        .post_init(_open_resources)
        .post_shutdown(_close_resources)
        .build()
    )
    application.bot_data["settings"] = settings
    application.bot_data["packs"] = packs

    guards.register_first(application, Groups.DEDUPLICATE)
    onboarding.register(application, Groups.FEATURES)
    answering.register(application, Groups.FEATURES)
    review.register(application, Groups.FEATURES)
    guards.register_last(application, Groups.FALLBACK)
    application.add_error_handler(on_error)
    return application


async def _open_resources(application: Application) -> None:
    settings: Settings = application.bot_data["settings"]
    await upgrade_to_head_async(settings.database_url)
    engine = create_engine(settings.database_url)
    application.bot_data[RUNTIME_KEY] = Runtime(
        settings=settings,
        packs=application.bot_data["packs"],
        engine=engine,
        sessions=session_factory(engine),
        bot_username=application.bot.username,
    )
    await application.bot.set_my_commands(
        [BotCommand(name, description) for name, description in onboarding.PRIVATE_COMMANDS],
        scope=BotCommandScopeAllPrivateChats(),
    )
    if application.job_queue is not None:
        application.job_queue.run_daily(
            guards.forget_old_updates, time(3, 0), name="forget-old-updates",
            job_kwargs={"id": "forget-old-updates", "replace_existing": True,
                        "misfire_grace_time": 3600},
        )
    log.info("bot @%s ready", application.bot.username)


async def _close_resources(application: Application) -> None:
    runtime: Runtime | None = application.bot_data.get(RUNTIME_KEY)
    if runtime is not None:
        await runtime.engine.dispose()
