"""The weekly digest run: one team's digest to its managers (and its group, if chosen), each
recipient at most once, through the delivery log like reminders.

Contents come from bot/domain/digest.py, messages from bot/scheduled/digest_message.py. The
numbers each scheduled digest reported are kept with its run in the log, which is what next
week's "change since last week" compares with.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot

from bot.core import i18n
from bot.core.runtime import Runtime
from bot.domain.digest import Digest
from bot.scheduled.broadcast import Outgoing, RunOutcome, RunRequest
from bot.scheduled.digest_message import digest_parts
from bot.scheduled.runs import Composed, RunKind, StartedRun, perform_run
from bot.services.deliveries import DeliveryKind
from bot.services.digests import compose_digest
from bot.services.people import people_by_telegram_ids
from bot.services.schedules import team_zone
from criteria.model import Pack
from storage.models import Team

DIGEST = RunKind("digest", DeliveryKind.DIGEST_RUN, DeliveryKind.DIGEST)


async def run_digest(rt: Runtime, bot: Bot, request: RunRequest) -> RunOutcome:
    """Send one team's digest for one week (e.g. '2026-W48'), each recipient at most once.

    Outside the team's quiet hours only: `outcome.deferred_until` says when to go on.
    """

    async def read(session: AsyncSession, started: StartedRun) -> DigestToSend:
        team = started.team
        zone = ZoneInfo(team_zone(team, rt.settings.default_timezone))
        today = request.now.astimezone(zone).date()
        digest, recipients = await compose_digest(
            session, started.pack, team, started.round, today, request.period
        )
        languages = await _manager_languages(session, team, recipients.managers)
        return DigestToSend(digest, languages, tuple(recipients.groups))

    return await perform_run(rt, bot, DIGEST, request, read, _messages)


@dataclass(frozen=True)
class DigestToSend:
    digest: Digest
    manager_languages: dict[int, str]  # each manager's chat -> the language they read
    groups: tuple[int, ...]  # the team's group chats that get the digest


async def _messages(started: StartedRun, found: DigestToSend) -> Composed:
    digest, pack, team = found.digest, started.pack, started.team
    languages = found.manager_languages
    outgoing = []
    # Each manager reads it in their own language; the group in the team's default language.
    for language in sorted(set(languages.values())):
        with i18n.use_language(language):
            parts = await digest_parts(in_language(digest, pack, language), for_group=False)
        outgoing += [Outgoing(chat, parts) for chat, lang in languages.items() if lang == language]
    if found.groups:
        language = i18n.resolve_language(None, team.language, None)
        with i18n.use_language(language):
            group_parts = await digest_parts(in_language(digest, pack, language), for_group=True)
        outgoing += [Outgoing(chat, group_parts, person_chat=False) for chat in found.groups]
    # These numbers are what next week's digest compares with.
    return outgoing, lambda _outcome: digest.numbers.to_json()


async def _manager_languages(session, team: Team, chat_ids) -> dict[int, str]:
    """Each manager's chat -> the language they read (their choice, the team's, Telegram's)."""
    if not chat_ids:
        return {}
    people = await people_by_telegram_ids(session, list(chat_ids))
    known = {person.telegram_user_id: i18n.language_for(person, team) for person in people}
    fallback = i18n.resolve_language(None, team.language, None)
    return {chat: known.get(chat, fallback) for chat in chat_ids}


def in_language(digest: Digest, pack: Pack, language: str) -> Digest:
    """The digest (built from the untranslated pack) with its area titles in `language`."""
    translated = pack.translated(language)
    return replace(
        digest,
        areas=tuple(
            replace(line, title=translated.area(line.area_id).title) for line in digest.areas
        ),
        # The heatmap has a column for every area, in the pack's order.
        heatmap=replace(digest.heatmap, areas=tuple(area.title for area in translated.areas())),
    )
