"""The weekly digest for managers (and the team's group, if chosen), and /digest to get it now.

Contents come from bot/domain/digest.py; this module renders them as escaped HTML split within
Telegram's limit, draws the members × areas heatmap, and sends through the delivery log like
reminders do. The numbers each scheduled digest reported are kept with its run in the log, which
is what next week's "change since last week" compares with.

The group version leaves out names (who has not finished, who cannot be reached) and the
heatmap: a team chat is not the place to single people out; managers get the full picture.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from zoneinfo import ZoneInfo

from sqlmodel import select
from telegram import Bot, Update
from telegram.ext import Application, ContextTypes

from bot.core import i18n
from bot.core.commands import Chat, Need, command_handler
from bot.core.i18n import N_, _, day_and_date, ngettext, number
from bot.core.private_gate import refused
from bot.core.render import esc, progress_bar, split_message
from bot.core.runtime import Runtime, runtime
from bot.core.turns import open_turn
from bot.domain.digest import Digest
from bot.scheduled.broadcast import Outgoing, Part, RunOutcome, RunRequest, broadcast
from bot.services import deliveries
from bot.services.deliveries import DeliveryKind, DeliveryStatus, RunStart
from bot.services.digests import compose_digest
from bot.services.schedules import team_sending_window, team_zone
from criteria.model import Pack
from storage.models import Person, Team
from storage.queries import current_round

log = logging.getLogger(__name__)

MANAGERS_ONLY_TEXT = N_("The digest is for a team's managers. /progress shows your own progress.")
NAMES_PER_AREA = 25  # beyond this an area lists "and N more": a digest is read on a phone


def register(app: Application, group: int) -> None:
    app.add_handler(command_handler(Chat.PRIVATE, "digest", digest_command), group)


async def digest_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/digest: this week's digest now, to the manager asking; not logged, so the scheduled
    one still goes out."""
    rt = runtime(context)
    message = update.effective_message
    async with open_turn(rt, update.effective_user) as turn:
        if await refused(turn, message, Need.MANAGER, MANAGERS_ONLY_TEXT):
            return
        team, round_ = turn.assessment.team, turn.assessment.round
        today = turn.now.astimezone(ZoneInfo(team_zone(team, rt.settings.default_timezone)))
        digest, _recipients = await compose_digest(
            turn.session, turn.pack, team, round_, today.date()
        )
    for part in await digest_parts(digest, for_group=False):
        await part(context.bot, message.chat_id)


async def run_digest(rt: Runtime, bot: Bot, request: RunRequest) -> RunOutcome:
    """Send one team's digest for one week (e.g. '2026-W48'), each recipient at most once.

    Outside the team's quiet hours only: `outcome.deferred_until` says when to go on.
    """
    team_id, period, now = request.team_id, request.period, request.now
    async with rt.sessions() as session:
        team = await session.get(Team, team_id)
        if team is None:
            return RunOutcome(team_id, period, None)
        window = team_sending_window(team, rt.settings.default_timezone, now)
        if held_back := request.held_back(window):
            return held_back
        start, run_id = await deliveries.start_run(
            session, DeliveryKind.DIGEST_RUN, team_id, period
        )
        outcome = RunOutcome(team_id, period, start)
        if start == RunStart.DONE:
            return outcome
        round_ = await current_round(session, team_id)
        if round_ is None:
            await deliveries.finish(session, run_id, DeliveryStatus.SENT)
            return outcome
        zone = ZoneInfo(team_zone(team, rt.settings.default_timezone))
        pack = rt.packs.get(round_.pack_id)
        digest, recipients = await compose_digest(
            session, pack, team, round_, now.astimezone(zone).date(), period
        )
        logged = await deliveries.logged_deliveries(session, DeliveryKind.DIGEST, team_id, period)
        languages = await _manager_languages(session, team, recipients.managers)

    outgoing = []
    # Each manager reads it in their own language; the group in the team's default language.
    for language in sorted(set(languages.values())):
        with i18n.use_language(language):
            parts = await digest_parts(in_language(digest, pack, language), for_group=False)
        outgoing += [Outgoing(chat, parts) for chat, lang in languages.items() if lang == language]
    if recipients.groups:
        language = i18n.resolve_language(None, team.language, None)
        with i18n.use_language(language):
            group_parts = await digest_parts(in_language(digest, pack, language), for_group=True)
        outgoing += [Outgoing(chat, group_parts, person_chat=False) for chat in recipients.groups]
    run = request.run(DeliveryKind.DIGEST, logged, window)
    outcome.report = await broadcast(bot, rt.sessions, run, outgoing)

    if outcome.report.deferred:
        outcome.deferred_until = window.reopens
    if not outcome.report.complete:
        log.warning("digest cut short, resumed by the next sweep: %s", outcome.summary())
        return outcome
    async with rt.sessions() as session:
        # These numbers are what next week's digest compares with.
        await deliveries.finish(session, run_id, DeliveryStatus.SENT, digest.numbers.to_json())
    log.info("digest: %s", outcome.summary())
    return outcome


async def _manager_languages(session, team: Team, chat_ids) -> dict[int, str]:
    """Each manager's chat -> the language they read (their choice, the team's, Telegram's)."""
    if not chat_ids:
        return {}
    people = (
        await session.execute(select(Person).where(Person.telegram_user_id.in_(list(chat_ids))))
    ).scalars()
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


async def digest_parts(digest: Digest, for_group: bool) -> list[Part]:
    """The API calls that make up one digest: its text in as many messages as it needs, and
    for managers the heatmap."""
    parts: list[Part] = [
        _text_part(text) for text in split_message(digest_blocks(digest, for_group))
    ]
    if not for_group and digest.heatmap.people:
        png = await asyncio.to_thread(_heatmap, digest)  # drawing takes a moment: off the loop
        parts.append(_photo_part(png, _heatmap_caption(digest)))
    return parts


def _text_part(text: str) -> Part:
    async def send(bot: Bot, chat_id: int) -> object:
        return await bot.send_message(chat_id, text)

    return send


def _photo_part(png: bytes, caption: str) -> Part:
    async def send(bot: Bot, chat_id: int) -> object:
        return await bot.send_photo(chat_id, png, caption=caption)

    return send


def _heatmap(digest: Digest) -> bytes:
    from bot.export.charts import heatmap_png  # matplotlib loads on the first chart, not at start

    heatmap = digest.heatmap
    note = ""
    if heatmap.hidden_people:
        note = _("The {shown} least complete of {total} members").format(
            shown=len(heatmap.people), total=len(heatmap.people) + heatmap.hidden_people
        )
    return heatmap_png(heatmap.people, heatmap.areas, heatmap.shares, note=note)


def _heatmap_caption(digest: Digest) -> str:
    return _("{team}: share of each area answered, by member").format(team=esc(digest.team_name))


def digest_blocks(digest: Digest, for_group: bool) -> list[str]:
    """The digest as balanced HTML blocks, for split_message."""
    blocks = [_headline(digest)]
    blocks.append(
        _("<b>By area</b>")
        + "\n"
        + "\n".join(
            f"{esc(area.title)} — {area.percent}%{_change(area.change_points)}"
            for area in digest.areas
        )
    )
    incomplete = digest.incomplete_areas
    if incomplete:
        lines = [_("<b>Not finished yet</b>")]
        for area in incomplete:
            people = len(area.behind)
            if for_group:
                lines.append(
                    ngettext(
                        "• {area}: {count} person to finish",
                        "• {area}: {count} people to finish",
                        people,
                    ).format(area=esc(area.title), count=people)
                )
            else:
                lines.append(f"• <b>{esc(area.title)}</b> ({people}): {_names(area.behind)}")
        blocks.append("\n".join(lines))
    elif digest.members:
        blocks.append(_("🎉 Every area is complete. Time to agree on the results together."))
    if digest.unreachable and not for_group:
        blocks.append(
            _(
                "⚠️ <b>Cannot be reached</b> (they blocked the bot): {names}. "
                "Ask them to open the chat with the bot and send /start."
            ).format(names=_names(digest.unreachable))
        )
    return blocks


def _headline(digest: Digest) -> str:
    lines = [
        _("📊 <b>Weekly digest: {team}</b>").format(team=esc(digest.team_name)),
        esc(digest.round_name),
    ]
    if digest.due_date is not None:
        lines[-1] += " · " + _("due {date} ({days_left})").format(
            date=day_and_date(digest.due_date), days_left=_days_left(digest.days_left)
        )
    since = ""
    if digest.compared_with is not None:
        since = _change(
            digest.change_points, _("since {date}").format(date=day_and_date(digest.compared_with))
        )
    lines += [
        "",
        _("{bar} <b>{percent}%</b> answered{since}").format(
            bar=progress_bar(digest.done, digest.total), percent=digest.percent, since=since
        ),
        ngettext(
            "{finished} of {count} person finished",
            "{finished} of {count} people finished",
            digest.members,
        ).format(finished=digest.finished_members, count=digest.members),
    ]
    return "\n".join(lines)


def _change(points: int | None, since: str = "") -> str:
    """' (▲ 12 pts)': percentage points gained or lost since the last digest."""
    if points is None:
        return ""
    if points == 0:
        change = _("no change")
    else:
        change = _("{arrow} {points} pts").format(
            arrow="▲" if points > 0 else "▼", points=abs(points)
        )
    return f" ({change} {since})" if since else f" ({change})"


def _days_left(days: int | None) -> str:
    if days is None:
        return ""
    if days > 1:
        return ngettext("{count} day left", "{count} days left", days).format(count=days)
    if days == 1:
        return _("tomorrow")
    if days == 0:
        return _("today")
    return ngettext("{count} day overdue", "{count} days overdue", -days).format(count=-days)


def _names(names: tuple[str, ...]) -> str:
    shown = ", ".join(esc(name) for name in names[:NAMES_PER_AREA])
    hidden = len(names) - NAMES_PER_AREA
    if hidden <= 0:
        return shown
    return _("{names} and {count} more").format(names=shown, count=number(hidden))
