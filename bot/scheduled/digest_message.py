"""A digest as the messages that carry it: escaped HTML blocks split within Telegram's limit,
and for managers the members × areas heatmap. Used by the weekly run and by /digest.

The group version leaves out names (who has not finished, who cannot be reached) and the
heatmap: a team chat is not the place to single people out; managers get the full picture.
"""

from __future__ import annotations

import asyncio

from telegram import Bot

from bot.core.i18n import _, day_and_date, ngettext, number
from bot.core.render import esc, preview, progress_bar, split_message
from bot.domain.actions import PlanSummary
from bot.domain.digest import Digest
from bot.export.worker import pictures
from bot.scheduled.broadcast import Part

NAMES_PER_AREA = 25  # beyond this an area lists "and N more": a digest is read on a phone


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
    """Drawn in the worker process (bot/export/worker.py): matplotlib never loads here."""
    heatmap = digest.heatmap
    note = ""
    if heatmap.hidden_people:
        note = _("The {shown} least complete of {total} members").format(
            shown=len(heatmap.people), total=len(heatmap.people) + heatmap.hidden_people
        )
    return pictures.run(
        "bot.export.charts:heatmap_png", heatmap.people, heatmap.areas, heatmap.shares, note=note
    )


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
    if digest.widest_gap is not None:
        title, members, managers, gap = digest.widest_gap
        blocks.append(
            _(
                "⚖️ Widest gap between managers and members: <b>{area}</b> — members "
                "{members:g} %, managers {managers:g} % ({gap:+g} points). See /gap."
            ).format(area=esc(title), members=members, managers=managers, gap=gap)
        )
    if digest.plan is not None and not digest.plan.empty and not for_group:
        blocks.append(plan_block(digest.plan))
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


PLAN_LINES_PER_LIST = 15  # a digest is read on a phone: each list says "and N more" beyond


def plan_block(plan: PlanSummary) -> str:
    """The improvement actions section: done since last week, due this week, overdue, blocked,
    each action with its owner (or that it needs one)."""
    lists = (
        (_("✅ Done since last week"), plan.done),
        (_("📅 Due this week"), plan.due_this_week),
        (_("⏰ Overdue"), plan.overdue),
        (_("⛔ Blocked"), plan.blocked),
    )
    lines = [_("<b>Improvement actions</b>")]
    for heading, items in lists:
        if not items:
            continue
        lines.append(f"{heading} ({len(items)})")
        for item in items[:PLAN_LINES_PER_LIST]:
            owner = esc(item.owner) if item.owner else _("⚠️ needs an owner")
            due = f" · {item.due:%Y-%m-%d}" if item.due else ""
            lines.append(f"• {esc(preview(item.title, 120))} — {owner}{due}")
        if len(items) > PLAN_LINES_PER_LIST:
            hidden = len(items) - PLAN_LINES_PER_LIST
            lines.append(
                ngettext("…and {count} more", "…and {count} more", hidden).format(count=hidden)
            )
    return "\n".join(lines)
