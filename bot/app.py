"""The composition root: builds the Application and registers every feature in one place."""

from __future__ import annotations

import asyncio
import logging
from datetime import time

from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    LinkPreviewOptions,
)
from telegram.constants import ParseMode
from telegram.ext import Application, Defaults

from bot.core import access, commands, guards, i18n
from bot.core.clock import Clock, system_clock
from bot.core.commands import Chat
from bot.core.config import Settings
from bot.core.errors import on_error
from bot.core.http import AiohttpRequest
from bot.core.ordering import PerChatUpdateProcessor
from bot.core.rate_limit import ReplyAwareRateLimiter
from bot.core.runtime import RUNTIME_KEY, Runtime
from bot.core.update_log import instrument_handlers
from bot.export.worker import pictures
from bot.group import charts as group_charts
from bot.group import compare, consensus
from bot.group import linking as groups
from bot.group import scores as group_scores  # issue 13: scoring
from bot.group import themes as group_themes
from bot.manage import action_notes, digest, rounds, schedule, team_admin, themes
from bot.manage import actions as improvement_actions
from bot.manage import exports as exporting
from bot.manage import gap as manage_gap
from bot.manage import packs as manage_packs
from bot.ops.leadership import start_leadership, stop_leadership
from bot.private import answering, away, language, onboarding, privacy, review, scoring
from bot.scheduled import reminders
from bot.scheduled.jobs import start_schedules
from criteria.loader import PackRegistry, load_packs
from storage.db import create_engine, session_factory, unpinged_engine
from storage.migrate import upgrade_if_behind
from storage.statement_count import count_statements

log = logging.getLogger(__name__)


class Groups:
    """Handler groups, run in this order; a lower group sees an update first.

    Within a group only the first matching handler runs, so the fallbacks (unknown commands and
    buttons) are registered last in FEATURES: they answer only what no feature took.
    """

    DEDUPLICATE = -10  # drop an update delivered twice before anything acts on it
    LANGUAGE = -9  # speak the sender's Telegram language until open_turn knows better
    ACCESS = -5  # someone removed from their team is told so before any feature acts
    TYPED = -1  # a text an action waits for (a note, a reason); any other goes on to answers
    FEATURES = 0  # every feature, then the fallbacks


def build_application(
    settings: Settings, packs: PackRegistry | None = None, clock: Clock = system_clock
) -> Application:
    """Everything the bot runs, wired from settings; nothing registers at import time.

    `clock` is what every decision about time reads (bot/core/clock.py): the system's, or a test's.
    """
    packs = packs or load_packs(settings.criteria_dir)
    for problem in packs.errors:
        log.error("criteria pack not loaded:\n%s", problem)
    application = (
        Application.builder()
        .token(settings.token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.file_base_url)
        # Bot API calls over aiohttp rather than PTB's httpx: less CPU per call (bot/core/http.py).
        .request(AiohttpRequest())
        .get_updates_request(AiohttpRequest(connections=1))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
            )
        )
        # Telegram's flood limits, with retries after a 429 instead of dropping the message.
        # Broadcasts go out evenly at 29/s (one at a time, no burst of 30 first): a burst
        # overruns Telegram's per-second window, and each 429 pauses every send (bench/broadcast).
        .rate_limiter(
            ReplyAwareRateLimiter(max_retries=3, overall_max_rate=1, overall_time_period=1 / 29)
        )
        .concurrent_updates(PerChatUpdateProcessor())
        .post_init(_open_resources)
        .post_shutdown(_close_resources)
        .build()
    )
    application.bot_data["settings"] = settings
    application.bot_data["packs"] = packs
    application.bot_data["clock"] = clock

    guards.register_first(application, Groups.DEDUPLICATE)
    language.register_first(application, Groups.LANGUAGE)
    language.register(application, Groups.FEATURES)
    onboarding.register(application, Groups.FEATURES)
    # Before answering: a manager's .yaml file is a framework, not an answer's attachment.
    manage_packs.register(application, Groups.FEATURES)
    answering.register(application, Groups.FEATURES)
    review.register(application, Groups.FEATURES)
    reminders.register(application, Groups.FEATURES)
    digest.register(application, Groups.FEATURES)
    schedule.register(application, Groups.FEATURES)
    away.register(application, Groups.FEATURES)
    # The team's group chat: linking, joining, progress, comparisons, consensus, pictures.
    groups.register(application, Groups.FEATURES)
    compare.register(application, Groups.FEATURES)
    consensus.register(application, Groups.FEATURES)
    group_charts.register(application, Groups.FEATURES)
    scoring.register(application, Groups.FEATURES)
    group_scores.register(application, Groups.FEATURES)
    manage_gap.register(application, Groups.FEATURES)
    # Managers run their teams and rounds; everyone sees or deletes their own data.
    access.register(application, Groups.ACCESS)
    team_admin.register(application, Groups.FEATURES)
    rounds.register(application, Groups.FEATURES)
    privacy.register(application, Groups.FEATURES)
    exporting.register(application, Groups.FEATURES)
    # Improvement plans: key themes, actions with owners and due dates.
    themes.register(application, Groups.FEATURES)
    group_themes.register(application, Groups.FEATURES)
    improvement_actions.register(application, Groups.FEATURES)
    action_notes.register(application, Groups.TYPED)
    guards.register_last(application, Groups.FEATURES)  # keep last: see Groups
    application.add_error_handler(on_error)
    instrument_handlers(application, first_feature_group=Groups.FEATURES)  # after every handler
    return application


async def _open_resources(application: Application) -> None:
    settings: Settings = application.bot_data["settings"]
    engine = create_engine(settings.database_url)
    await upgrade_if_behind(engine, settings.database_url)
    if settings.count_sql_statements:
        count_statements(engine)  # from here on: the start-up's migration check is left out
    sessions = session_factory(engine)
    inbox_engine = unpinged_engine(engine)  # SQLite: the same engine
    application.bot_data[RUNTIME_KEY] = Runtime(
        settings=settings,
        packs=application.bot_data["packs"],
        engine=engine,
        sessions=sessions,
        inbox_engine=inbox_engine,
        inbox_sessions=sessions if inbox_engine is engine else session_factory(inbox_engine),
        bot_username=application.bot.username,
        clock=application.bot_data["clock"],
    )
    # The menus in every interface language; Telegram shows the one matching the app's
    # language, and the English one (set without a language code) to everyone else.
    for code in i18n.SUPPORTED_LANGUAGES:
        language_code = None if code == i18n.SOURCE_LANGUAGE else code
        with i18n.use_language(code):
            await application.bot.set_my_commands(
                [BotCommand(name, text) for name, text in commands.menu(Chat.PRIVATE)],
                scope=BotCommandScopeAllPrivateChats(),
                language_code=language_code,
            )
            await application.bot.set_my_commands(
                [BotCommand(name, text) for name, text in commands.menu(Chat.GROUP)],
                scope=BotCommandScopeAllGroupChats(),
                language_code=language_code,
            )
    if application.job_queue is not None:
        application.job_queue.run_daily(
            guards.forget_old_updates,
            time(3, 0),
            name="forget-old-updates",
            job_kwargs={
                "id": "forget-old-updates",
                "replace_existing": True,
                "misfire_grace_time": 3600,
            },
        )
    # Scheduled work runs on one instance only, when several share the database.
    await start_leadership(application, application.bot_data[RUNTIME_KEY].sessions)
    # Reminder and digest jobs from the teams' schedules, and the catch-up sweep.
    await start_schedules(application)
    log.info("bot @%s ready", application.bot.username)


async def _close_resources(application: Application) -> None:
    runtime: Runtime | None = application.bot_data.get(RUNTIME_KEY)
    await stop_leadership(application)
    await asyncio.to_thread(pictures.shutdown)  # the worker process, if one is running
    if runtime is not None:
        if runtime.inbox_engine not in (None, runtime.engine):
            await runtime.inbox_engine.dispose()
        await runtime.engine.dispose()
