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
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import Bot, Update
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from bot.broadcast import Outgoing, Part, Run, RunOutcome, broadcast
from bot.domain.digest import Digest
from bot.render import esc, progress_bar, split_message
from bot.runtime import Runtime, runtime
from bot.services import deliveries
from bot.services.deliveries import DeliveryKind, DeliveryStatus, RunStart
from bot.services.digests import compose_digest
from bot.services.schedules import team_zone
from bot.turns import open_turn
from storage.models import Role, Team
from storage.queries import current_round
from storage.types import utcnow

log = logging.getLogger(__name__)

PRIVATE = filters.ChatType.PRIVATE
NAMES_PER_AREA = 25  # beyond this an area lists "and N more": a digest is read on a phone


def register(app: Application, group: int) -> None:
    app.add_handler(CommandHandler("digest", digest_command, filters=PRIVATE), group)


async def digest_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/digest: this week's digest now, to the manager asking; not logged, so the scheduled
    one still goes out."""
    rt = runtime(context)
    message = update.effective_message
    async with open_turn(rt, update.effective_user) as turn:
        if turn.assessment is None or turn.assessment.role != Role.MANAGER:
            await message.reply_text(
                "The digest is for a team's managers. /progress shows your own progress."
            )
            return
        team, round_ = turn.assessment.team, turn.assessment.round
        today = utcnow().astimezone(ZoneInfo(team_zone(team, rt.settings.default_timezone)))
        digest, _ = await compose_digest(turn.session, turn.pack, team, round_, today.date())
    for part in await digest_parts(digest, for_group=False):
        await part(context.bot, message.chat_id)


async def run_digest(
    rt: Runtime, bot: Bot, team_id: int, period: str, now: datetime, claimed_before: datetime
) -> RunOutcome:
    """Send one team's digest for one week (e.g. '2026-W48'), each recipient at most once."""
    async with rt.sessions() as session:
        team = await session.get(Team, team_id)
        if team is None:
            return RunOutcome(team_id, period, None)
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
        digest, recipients = await compose_digest(
            session, rt.packs.get(round_.pack_id), team, round_, now.astimezone(zone).date(), period
        )
        logged = await deliveries.logged_deliveries(session, DeliveryKind.DIGEST, team_id, period)

    outgoing = []
    if recipients.managers:
        manager_parts = await digest_parts(digest, for_group=False)
        outgoing += [Outgoing(chat, manager_parts) for chat in recipients.managers]
    if recipients.groups:
        group_parts = await digest_parts(digest, for_group=True)
        outgoing += [Outgoing(chat, group_parts, person_chat=False) for chat in recipients.groups]
    run = Run(DeliveryKind.DIGEST, team_id, period, logged, claimed_before)
    outcome.report = await broadcast(bot, rt.sessions, run, outgoing)

    if not outcome.report.complete:
        log.warning("digest cut short, resumed by the next sweep: %s", outcome.summary())
        return outcome
    async with rt.sessions() as session:
        # These numbers are what next week's digest compares with.
        await deliveries.finish(session, run_id, DeliveryStatus.SENT, digest.numbers.to_json())
    log.info("digest: %s", outcome.summary())
    return outcome


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
    note = (
        f"The {len(heatmap.people)} least complete of {len(heatmap.people) + heatmap.hidden_people}"
        " members"
        if heatmap.hidden_people
        else ""
    )
    return heatmap_png(heatmap.people, heatmap.areas, heatmap.shares, note=note)


def _heatmap_caption(digest: Digest) -> str:
    return f"{esc(digest.team_name)}: share of each area answered, by member"


def digest_blocks(digest: Digest, for_group: bool) -> list[str]:
    """The digest as balanced HTML blocks, for split_message."""
    blocks = [_headline(digest)]
    blocks.append(
        "<b>By area</b>\n"
        + "\n".join(
            f"{esc(area.title)} — {area.percent}%{_change(area.change_points)}"
            for area in digest.areas
        )
    )
    incomplete = digest.incomplete_areas
    if incomplete:
        lines = ["<b>Not finished yet</b>"]
        for area in incomplete:
            people = len(area.behind)
            if for_group:
                lines.append(f"• {esc(area.title)}: {people} {_people(people)} to finish")
            else:
                lines.append(f"• <b>{esc(area.title)}</b> ({people}): {_names(area.behind)}")
        blocks.append("\n".join(lines))
    elif digest.members:
        blocks.append("🎉 Every area is complete. Time to agree on the results together.")
    if digest.unreachable and not for_group:
        blocks.append(
            f"⚠️ <b>Cannot be reached</b> (they blocked the bot): {_names(digest.unreachable)}. "
            "Ask them to open the chat with the bot and send /start."
        )
    return blocks


def _headline(digest: Digest) -> str:
    lines = [f"📊 <b>Weekly digest: {esc(digest.team_name)}</b>", esc(digest.round_name)]
    if digest.due_date is not None:
        lines[-1] += f" · due {digest.due_date:%a %d %b} ({_days_left(digest.days_left)})"
    since = ""
    if digest.compared_with is not None:
        since = _change(digest.change_points, f" since {digest.compared_with:%a %d %b}")
    lines += [
        "",
        f"{progress_bar(digest.done, digest.total)} <b>{digest.percent}%</b> answered{since}",
        f"{digest.finished_members} of {digest.members} {_people(digest.members)} finished",
    ]
    return "\n".join(lines)


def _change(points: int | None, since: str = "") -> str:
    """' (▲ 12 pts)': percentage points gained or lost since the last digest."""
    if points is None:
        return ""
    if points == 0:
        return f" (no change{since})"
    return f" ({'▲' if points > 0 else '▼'} {abs(points)} pts{since})"


def _days_left(days: int | None) -> str:
    if days is None:
        return ""
    if days > 1:
        return f"{days} days left"
    if days == 1:
        return "tomorrow"
    if days == 0:
        return "today"
    return f"{-days} {'day' if days == -1 else 'days'} overdue"


def _people(count: int) -> str:
    return "person" if count == 1 else "people"


def _names(names: tuple[str, ...]) -> str:
    shown = ", ".join(esc(name) for name in names[:NAMES_PER_AREA])
    hidden = len(names) - NAMES_PER_AREA
    return f"{shown} and {hidden:,} more" if hidden > 0 else shown
