"""The team's scores in its group: the reveal (/scores), the agreed score (/agree) and the gap
between how managers and members score each area (/gap, also bot/manage/gap.py in private).

The reveal lists every area's distribution with the widest spread first, so the team talks about
what it disagrees on; an anonymous team sees no names, and no area scored by fewer people than
its anonymity threshold. Every view reads the round's scores in one statement, whatever the
team's size.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, ContextTypes

from bot.core.commands import Chat, command_handler
from bot.core.group_turn import Need, open_group_turn, refused
from bot.core.i18n import _, maturity_label, ngettext
from bot.core.render import esc, preview, split_message
from bot.core.runtime import runtime
from bot.domain.perception import LEVEL_IDS, Perception, Side, area_perceptions
from bot.domain.scoring import (
    Distribution,
    Gap,
    area_gaps,
    area_scores_by_person,
    distribution_visible,
    distributions,
    histogram,
    is_valid_score,
)
from bot.private.score_view import bars, percent
from bot.services import consensus as ballots
from bot.services import scores
from criteria.model import Pack
from storage.models import AgreedScore, Consensus, Team

RATIONALE_MAX = 500
CHART_WIDTH = 10


def register(app: Application, group: int) -> None:
    app.add_handler(command_handler(Chat.GROUP, "scores", scores_command), group)
    app.add_handler(command_handler(Chat.GROUP, "agree", agree_command), group)
    app.add_handler(command_handler(Chat.GROUP, "gap", gap_command), group)


def _numbers(pack: Pack) -> dict[str, int]:
    return {area.id: n for n, area in enumerate(pack.areas(), start=1)}


async def scores_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/scores (managers): reveal every area's scores, the widest spread first."""
    message = update.effective_message
    async with open_group_turn(runtime(context), update.effective_user, message.chat_id) as turn:
        if await refused(turn, update, Need.MANAGER, needs_round=True):
            return
        rows = await scores.team_scores(turn.session, turn.round.id)
        agreed = await scores.agreed_scores(turn.session, turn.round.id)
        notes = await ballots.consensus_rows(turn.session, turn.round.id)
        blocks = reveal_blocks(turn.pack, turn.team, turn.round.name, rows, agreed, notes)
    for part in split_message(blocks):
        await message.reply_text(part)


def reveal_blocks(pack, team: Team, round_name: str, rows, agreed, notes) -> list[str]:
    by_area = area_scores_by_person((r.person_id, r.area_id, r.dimension, r.value) for r in rows)
    names = {r.person_id: r.name for r in rows}
    numbers = _numbers(pack)
    blocks = [
        _("📊 <b>Scores of {team}</b> · {round} — the widest spread first").format(
            team=esc(team.name), round=esc(round_name)
        )
    ]
    for dist in distributions({a: s.values() for a, s in by_area.items() if a in numbers}):
        area = pack.area(dist.area_id)
        head = f"<b>{numbers[area.id]}. {esc(area.title)}</b>"
        count = dist.count
        if not distribution_visible(team.anonymous_compare, count, team.anonymity_threshold):
            blocks.append(
                head
                + "\n🔒 "
                + ngettext(
                    "{count} score so far; shown from {threshold}.",
                    "{count} scores so far; shown from {threshold}.",
                    count,
                ).format(count=count, threshold=team.anonymity_threshold)
            )
            continue
        lines = [head, _distribution_line(dist), f"<code>{bars(histogram(dist.scores))}</code>"]
        if not team.anonymous_compare:
            people = sorted(by_area[area.id].items(), key=lambda item: (item[1], names[item[0]]))
            lines.append(", ".join(f"{esc(names[p])} {percent(value)}" for p, value in people))
        lines += _agreed_lines(agreed.get(area.id), notes.get(area.id))
        blocks.append("\n".join(lines))
    unscored = [str(numbers[a.id]) for a in _scored(pack) if a.id not in by_area]
    if unscored:
        blocks.append(_("Nobody has scored yet: {areas}.").format(areas=", ".join(unscored)))
    blocks.append(_("Managers: <code>/agree N SCORE reason</code> sets area N's agreed score."))
    return blocks


def _scored(pack: Pack):
    return [a for a in pack.areas() if pack.scoring is not None and pack.scoring.scores(a.id)]


def _distribution_line(dist: Distribution) -> str:
    return ngettext(
        "median {median} · {low}–{high} · spread {spread} · {count} score",
        "median {median} · {low}–{high} · spread {spread} · {count} scores",
        dist.count,
    ).format(
        median=percent(dist.median),
        low=percent(dist.low),
        high=percent(dist.high),
        spread=dist.spread,
        count=dist.count,
    )


def _agreed_lines(agreed: AgreedScore | None, notes: Consensus | None) -> list[str]:
    lines = []
    if agreed is not None:
        lines.append(
            _("🤝 Agreed: <b>{score}</b> — {rationale}").format(
                score=percent(agreed.value), rationale=esc(agreed.rationale)
            )
        )
    if notes is not None and notes.strengths:
        lines.append(f"💪 {esc(preview(notes.strengths, 600))}")
    if notes is not None and notes.improvements:
        lines.append(f"🎯 {esc(preview(notes.improvements, 600))}")
    return lines


async def agree_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/agree N SCORE reason (managers): the team's agreed score for area N, with its reason."""
    message = update.effective_message
    async with open_group_turn(runtime(context), update.effective_user, message.chat_id) as turn:
        if await refused(turn, update, Need.MANAGER, needs_round=True):
            return
        scored = {n: a for n, a in enumerate(turn.pack.areas(), start=1) if a in _scored(turn.pack)}
        args = context.args or []
        if len(args) < 3 or not args[0].isdigit() or int(args[0]) not in scored:
            await message.reply_text(
                _("Give a scored area's number, the score and the reason: {example}").format(
                    example="<code>/agree 2 45 Deployed everywhere, not yet reviewed</code>"
                )
            )
            return
        if not args[1].isdigit() or not is_valid_score(int(args[1])):
            await message.reply_text(_("A score is 0 to 100 in steps of 5, for example 45."))
            return
        area, value = scored[int(args[0])], int(args[1])
        rationale = preview(" ".join(args[2:]), RATIONALE_MAX)
        rows = await scores.team_scores(turn.session, turn.round.id)
        now = area_scores_by_person(
            (r.person_id, r.area_id, r.dimension, r.value) for r in rows if r.area_id == area.id
        ).get(area.id, {})
        dist = distributions({area.id: now.values()})
        median = dist[0].median if dist else None
        spread = dist[0].spread if dist else None
        await scores.set_agreed(
            turn.session,
            turn.round.id,
            area.id,
            value,
            rationale,
            median,
            spread,
            len(now),
            turn.person.id,
        )
        notes = (await ballots.consensus_rows(turn.session, turn.round.id)).get(area.id)
        await turn.session.commit()
        lines = [
            _("🤝 Agreed score for <b>{area}</b>: {score}").format(
                area=esc(area.title), score=percent(value)
            ),
            f"<i>{esc(rationale)}</i>",
        ]
        # An anonymous team below its threshold would learn someone's score from these.
        visible = distribution_visible(
            turn.team.anonymous_compare, len(now), turn.team.anonymity_threshold
        )
        if median is not None and visible:
            lines.append(
                _("Individual scores then: median {median}, spread {spread}.").format(
                    median=percent(median), spread=spread
                )
            )
        lines += _agreed_lines(None, notes)
    await message.reply_text("\n".join(lines))


async def gap_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/gap: how managers and members score, rate and answer each area, side by side."""
    message = update.effective_message
    async with open_group_turn(runtime(context), update.effective_user, message.chat_id) as turn:
        if await refused(turn, update, Need.MEMBER, needs_round=True):
            return
        rows = await scores.team_scores(turn.session, turn.round.id)
        answers = await scores.perception_rows(turn.session, turn.team.id, turn.round.id)
        blocks = gap_blocks(turn.pack, turn.team, rows, answers)
    for part in split_message(blocks):
        await message.reply_text(part)


def sorted_gaps(pack: Pack, team: Team, rows) -> list[Gap]:
    """Each scored area's gap, the widest first, then the areas still short of people."""
    gaps = area_gaps(
        ((r.person_id, r.area_id, r.dimension, r.value, r.as_manager) for r in rows),
        [area.id for area in _scored(pack)],
        team.anonymity_threshold,
    )
    return sorted(gaps, key=lambda g: (not g.shown, -abs(g.gap or 0)))


def gap_blocks(pack: Pack, team: Team, rows, answers) -> list[str]:
    """The /gap text: per area, the two sides' median scores (with a bar each), then their
    maturity and how much of the area they answered, each with its gap."""
    numbers = _numbers(pack)
    questions = {a.id: [q.id for q in a.questions] for a in _scored(pack)}
    views = area_perceptions(
        sorted_gaps(pack, team, rows), answers, questions, team.anonymity_threshold
    )
    blocks = [
        _("⚖️ <b>How managers and members score {team}</b> — the widest gap first").format(
            team=esc(team.name)
        )
    ]
    for view in views:
        gap = view.score
        lines = [f"<b>{numbers[gap.area_id]}. {esc(pack.area(gap.area_id).title)}</b>"]
        if not gap.shown:
            lines.append(f"🔒 {_needed(gap)}")
        else:
            lines += [
                f"<code>👥 {_bar(gap.members)}</code> "
                + _("members {score}").format(score=percent(gap.members)),
                f"<code>👔 {_bar(gap.managers)}</code> "
                + _("managers {score}").format(score=percent(gap.managers)),
                _("gap {gap:+g} points").format(gap=gap.gap),
            ]
        lines += [_maturity_line(view), _completion_line(view)]
        blocks.append("\n".join(lines))
    return blocks


def _maturity_line(view: Perception) -> str:
    def side(figure: Side) -> str:
        if figure.maturity is not None:
            return esc(maturity_label(LEVEL_IDS[figure.maturity]))
        return "🔒 " + ngettext(
            "{count} more rater needed", "{count} more raters needed", figure.raters_needed
        ).format(count=figure.raters_needed)

    line = _("📶 Maturity: members {members} · managers {managers}").format(
        members=side(view.members), managers=side(view.managers)
    )
    if view.maturity_gap is not None:
        line += " · " + ngettext(
            "gap {gap:+d} step", "gap {gap:+d} steps", abs(view.maturity_gap)
        ).format(gap=view.maturity_gap)
    return line


def _completion_line(view: Perception) -> str:
    def side(figure: Side) -> str:
        if figure.completion is not None:
            return percent(round(figure.completion * 100))
        return "🔒 " + ngettext(
            "{count} more person needed", "{count} more people needed", figure.people_needed
        ).format(count=figure.people_needed)

    line = _("✍️ Answered: members {members} · managers {managers}").format(
        members=side(view.members), managers=side(view.managers)
    )
    if view.completion_gap is not None:
        line += " · " + _("gap {gap:+g} points").format(gap=round(view.completion_gap))
    return line


def _bar(value: float) -> str:
    filled = round(value / 100 * CHART_WIDTH)
    return "█" * filled + "░" * (CHART_WIDTH - filled)


def _needed(gap: Gap) -> str:
    """How many more people each side needs before its median shows."""
    parts = []
    if gap.members_needed:
        parts.append(
            ngettext(
                "{count} more member needs to score it",
                "{count} more members need to score it",
                gap.members_needed,
            ).format(count=gap.members_needed)
        )
    if gap.managers_needed:
        parts.append(
            ngettext(
                "{count} more manager needs to score it",
                "{count} more managers need to score it",
                gap.managers_needed,
            ).format(count=gap.managers_needed)
        )
    return " · ".join(parts)
