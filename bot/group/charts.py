"""/heatmap and /ratings in a team's group: pictures of the round, sent as PNG photos.

The drawing is bot.export.charts (matplotlib, Agg backend, no display), shared with the report
and the weekly digest; it runs in a worker thread so the bot keeps answering meanwhile.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace

from telegram import Update
from telegram.ext import Application, ContextTypes

from bot.core.commands import Chat, command_handler
from bot.core.group_turn import Need, open_group_turn, refused
from bot.core.i18n import _, member_label
from bot.core.render import esc
from bot.core.runtime import runtime
from bot.domain.compare import anonymous_numbers, breakdown_visible
from bot.domain.digest import Heatmap, build_heatmap
from bot.domain.progress import Statuses
from bot.export.worker import pictures
from bot.services.groups import round_ratings
from criteria.model import Pack
from storage.queries import display_name, team_members, team_statuses

# Drawn in the worker process (bot/export/worker.py): matplotlib never loads into the bot's.
HEATMAP = "bot.export.charts:heatmap_png"
RATINGS_CHART = "bot.export.charts:ratings_chart"


@dataclass(frozen=True)
class _Rated:
    """An answer as bot.export.stats.area_summaries reads it."""

    person_id: int
    question_id: str
    status: str
    rating: str | None


def register(app: Application, group: int) -> None:
    app.add_handler(command_handler(Chat.GROUP, "heatmap", heatmap_command), group)
    app.add_handler(command_handler(Chat.GROUP, "ratings", ratings_command), group)


async def heatmap_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/heatmap: members × areas, each cell the share of the area the member has answered."""
    message = update.effective_message
    async with open_group_turn(runtime(context), update.effective_user, message.chat_id) as turn:
        if await refused(turn, update, Need.MEMBER, needs_round=True):
            return
        members = await team_members(turn.session, turn.team.id)
        statuses = await team_statuses(turn.session, turn.round.id)
        heatmap = team_heatmap(
            turn.pack,
            [(p.id, display_name(p)) for p, _ in members],
            statuses,
            anonymous=turn.team.anonymous_compare,
            salt=f"{turn.round.id}:heatmap",
        )
        caption = _("{team}: share of each area answered, by member").format(
            team=esc(turn.team.name)
        )
        if turn.team.anonymous_compare:
            caption += " " + _("(anonymous: “Member 1”, “Member 2”… instead of names)")
    note = ""
    if heatmap.hidden_people:
        note = _("The {count} least complete members").format(count=len(heatmap.people))
    png = await asyncio.to_thread(
        pictures.run, HEATMAP, heatmap.people, heatmap.areas, heatmap.shares, note=note
    )
    await message.reply_photo(png, caption=caption)


def team_heatmap(
    pack: Pack,
    members: list[tuple[int, str]],
    statuses: Mapping[int, Statuses],
    *,
    anonymous: bool,
    salt: str,
) -> Heatmap:
    """The heatmap as drawn: in an anonymous team its rows say "Member N", never a name."""
    if anonymous:
        numbers = anonymous_numbers((person_id for person_id, _name in members), salt)
        members = [(person_id, member_label(numbers[person_id])) for person_id, _name in members]
    return build_heatmap(pack, members, statuses)


async def ratings_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ratings: how many answers gave each maturity level, per area."""
    message = update.effective_message
    async with open_group_turn(runtime(context), update.effective_user, message.chat_id) as turn:
        if await refused(turn, update, Need.MEMBER, needs_round=True):
            return
        members = await team_members(turn.session, turn.team.id)
        answers = [_Rated(*row) for row in await round_ratings(turn.session, turn.round.id)]
        team, pack = turn.team, turn.pack
    from bot.export.stats import area_summaries

    summaries = area_summaries(pack, (p.id for p, _ in members), answers)
    caption = _("{team}: maturity ratings per area").format(team=esc(team.name))
    if team.anonymous_compare:
        # An area rated by fewer people than the threshold would show whose rating is whose.
        known = {q.id for q in pack.questions()}
        raters: dict[str, set[int]] = defaultdict(set)
        for answer in answers:
            if answer.rating and answer.question_id in known:
                raters[pack.area_of(answer.question_id).id].add(answer.person_id)
        summaries = tuple(
            summary
            if breakdown_visible(len(raters[summary.area_id]), True, team.anonymity_threshold)
            else replace(summary, rating_counts={})
            for summary in summaries
        )
        caption += " " + _("(areas rated by fewer than {count} people are left out)").format(
            count=team.anonymity_threshold
        )
    png = await asyncio.to_thread(pictures.run, RATINGS_CHART, summaries)
    await message.reply_photo(png, caption=caption)
