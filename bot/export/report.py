"""The round's report as a sequence of neutral blocks, rendered to Markdown and to PDF.

What the report says is decided once, here; `markdown` and `pdf` only decide how it looks, so
the two files can never disagree. Block texts are plain, unescaped text: each renderer
escapes for its own format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.core.i18n import N_, _
from bot.export import charts, scorebook
from bot.export.data import AnswerRecord, ConsensusRecord, RoundReport
from bot.export.scorebook import number_text, percent_text
from bot.export.stats import (
    LEVEL_IDS,
    AreaSummary,
    format_average,
    format_change,
    format_share,
    frameworks_note,
    question_rating_counts,
    rating_label,
    round_summaries,
    round_trends,
)
from criteria.model import Area, Question
from storage.statuses import AnswerStatus

DATE = "%Y-%m-%d"
STRENGTHS = N_("Strengths")
IMPROVEMENTS = N_("Opportunities for improvement")


@dataclass(frozen=True)
class Heading:
    level: int  # 1 = the title, 2 = a section, 3 = a category, 4 = an area, 5 = a question
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str
    quiet: bool = False  # the report's own remarks (set in italics), not people's words


@dataclass(frozen=True)
class Facts:
    items: tuple[tuple[str, str], ...]  # (label, value)


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Quote:
    """One member's answer: who, a short note (rating, attachment), and their words."""

    author: str
    note: str
    text: str


@dataclass(frozen=True)
class Chart:
    png: bytes
    caption: str


Block = Heading | Paragraph | Facts | Table | Quote | Chart


def report_blocks(report: RoundReport, with_charts: bool = True) -> list[Block]:
    """The whole report, in the shape of a Baldrige feedback report: the key themes first, the
    scores at a glance, then per area what the team agreed (score, strengths, opportunities for
    improvement and the actions serving them), the action plan, and last the answers."""
    from bot.export import plan  # it builds on this module's blocks

    summaries = round_summaries(report)
    blocks: list[Block] = [Heading(1, _("Self-assessment: {team}").format(team=report.team_name))]
    blocks += _front_matter(report)
    blocks += plan.key_theme_blocks(report)
    blocks += _score_section(report, with_charts)
    blocks += _summary_section(report, summaries, with_charts)
    blocks += _trend_section(report, with_charts)
    blocks += plan.since_previous_blocks(report)
    summary_by_area = {summary.area_id: summary for summary in summaries}
    agreed_scores = {
        a.area_id: a.value for a in report.scoring.agreed if a.round_id == report.round.id
    }
    blocks.append(Heading(2, _("Feedback by area")))
    for category in report.pack.categories:
        blocks.append(Heading(3, category.title))
        for area in category.areas:
            blocks += _area_feedback(
                report, area, summary_by_area[area.id], agreed_scores.get(area.id)
            )
            blocks += plan.area_action_blocks(report, area.id)
    blocks += plan.action_plan_blocks(report)
    blocks.append(Heading(2, _("Answers")))
    by_question = report.answers_by_question()
    for category in report.pack.categories:
        blocks.append(Heading(3, category.title))
        for area in category.areas:
            blocks.append(Heading(4, area.title))
            for number, question in enumerate(area.questions, start=1):
                answers = by_question.get(question.id, [])
                blocks += _question_blocks(report, number, question, answers)
    return blocks


def _perception_table(report: RoundReport) -> list[Block]:
    """How each side rates the areas' maturity and how much of them it answered."""
    titles = {a.id: a.title for a in report.pack.areas()}
    rows = tuple(
        (
            titles[p.area_id],
            scorebook.level_text(p.members.maturity),
            scorebook.level_text(p.managers.maturity),
            scorebook.share_text(p.members.completion),
            scorebook.share_text(p.managers.completion),
        )
        for p in scorebook.perceptions(report)
    )
    header = (
        _("Area"),
        _("Members' maturity"),
        _("Managers' maturity"),
        _("Members answered"),
        _("Managers answered"),
    )
    note = _(
        "Maturity: the middle of a side's ratings of the area's answers (the lower one of two). "
        "Answered: the share of the area's questions its people have done. Each side by the "
        "roles people have today, and shown from {threshold} people."
    ).format(threshold=report.scoring.threshold)
    return [Heading(3, _("Perception gap")), Table(header, rows), Paragraph(note, quiet=True)]


def _score_section(report: RoundReport, with_charts: bool = True) -> list[Block]:
    """The report's opening section: agreed score, spread and gap per area, then the trend."""
    if report.pack.scoring is None:
        return []
    gap_by_area = {gap.area_id: gap for gap in scorebook.gaps(report)}
    rows = tuple(
        (
            row.title,
            percent_text(row.agreed),
            percent_text(row.median),
            number_text(row.spread),
            str(row.count),
            percent_text(gap_by_area[row.area_id].members),
            percent_text(gap_by_area[row.area_id].managers),
            number_text(gap_by_area[row.area_id].gap),
        )
        for row in scorebook.scorebook_rows(report)
    )
    header = (
        _("Area"),
        _("Agreed score"),
        _("Median"),
        _("Spread"),
        _("Scores"),
        _("Members"),
        _("Managers"),
        _("Gap"),
    )
    blocks: list[Block] = [Heading(2, _("Scores")), Table(header, rows)]
    blocks.append(
        Paragraph(
            _(
                "Scores on the process scoring bands (0–100 %, in steps of 5). The gap is the "
                "managers' median minus the members'; a side shows from {threshold} people."
            ).format(threshold=report.scoring.threshold),
            quiet=True,
        )
    )
    blocks += _perception_table(report)
    shown = [gap for gap in gap_by_area.values() if gap.shown]
    if with_charts and shown:
        titles = {a.id: a.title for a in report.pack.areas()}
        chart = charts.gap_chart(
            [titles[g.area_id] for g in shown],
            [g.members for g in shown],
            [g.managers for g in shown],
        )
        blocks.append(Chart(chart, _("Members' and managers' median scores by area")))
    names, trend = scorebook.agreed_trend(report)
    if len(names) > 1:
        blocks.append(Heading(3, _("Agreed scores across rounds")))
        blocks.append(
            Table(
                (_("Area"), *names),
                tuple((title, *(percent_text(v) for v in values)) for title, values in trend),
            )
        )
    return blocks


def _front_matter(report: RoundReport) -> list[Block]:
    zone = report.zone
    round_ = report.round
    items = [
        (_("Round"), round_.name),
        (_("Framework"), framework_line(report)),
        (_("Started"), round_.started_at.astimezone(zone).strftime(DATE)),
    ]
    if round_.closed_at is not None:
        items.append((_("Closed"), round_.closed_at.astimezone(zone).strftime(DATE)))
    elif round_.due_date is not None:
        items.append((_("Due"), round_.due_date.strftime(DATE)))
    items += [
        (_("Members"), str(len(report.members))),
        (_("Generated"), report.generated_at.astimezone(zone).strftime(f"{DATE} %H:%M %Z")),
    ]
    blocks: list[Block] = [Facts(tuple(items))]
    if report.anonymous:
        blocks.append(
            Paragraph(
                _(
                    "Answers are shown as Member 1, 2… because this team compares answers "
                    "anonymously."
                ),
                quiet=True,
            )
        )
    return blocks


def framework_line(report: RoundReport) -> str:
    return _("{framework} (version {version})").format(
        framework=report.pack.title, version=report.pack.version
    )


def _summary_section(
    report: RoundReport, summaries: tuple[AreaSummary, ...], with_charts: bool
) -> list[Block]:
    rows = tuple(
        (
            area.title,
            f"{format_share(area.share)} ({area.done}/{area.total})",
            str(area.ratings),
            format_average(area.average_rating),
            _agreed(report.consensus.get(area.area_id)),
        )
        for area in summaries
    )
    blocks: list[Block] = [
        Heading(2, _("Summary")),
        Table(
            (_("Area"), _("Completion"), _("Ratings"), _("Average (1–4)"), _("Agreed rating")),
            rows,
        ),
        Paragraph(_scale_legend(), quiet=True),
    ]
    if with_charts:
        blocks.append(Chart(charts.ratings_chart(summaries), _("Maturity ratings by area")))
    return blocks


def _trend_section(report: RoundReport, with_charts: bool) -> list[Block]:
    blocks: list[Block] = [Heading(2, _("Trends"))]
    previous = report.previous_round
    if previous is None:
        blocks.append(
            Paragraph(
                _("This is the team's first round: trends appear once there are two."),
                quiet=True,
            )
        )
        return blocks
    trends = round_trends(report)
    blocks.append(
        Paragraph(
            _(
                "What changed from {before} to {now}, counted over the team's current members."
            ).format(before=previous.name, now=report.round.name),
            quiet=True,
        )
    )
    if note := frameworks_note(report):
        blocks.append(Paragraph(note, quiet=True))
    blocks.append(
        Table(
            (
                _("Area"),
                _("Completion {round}").format(round=previous.name),
                _("Completion {round}").format(round=report.round.name),
                _("Change"),
                _("Average {round}").format(round=previous.name),
                _("Average {round}").format(round=report.round.name),
                _("Change"),
            ),
            tuple(
                (
                    trend.title,
                    format_share(trend.share_before),
                    format_share(trend.share_now),
                    format_change(trend.share_change, percent=True),
                    format_average(trend.rating_before),
                    format_average(trend.rating_now),
                    format_change(trend.rating_change),
                )
                for trend in trends
            ),
        )
    )
    if with_charts:
        blocks.append(
            Chart(
                charts.trend_chart(trends, previous.name, report.round.name),
                _("Completion and average rating: {before} and {now}").format(
                    before=previous.name, now=report.round.name
                ),
            )
        )
    return blocks


def _area_feedback(
    report: RoundReport, area: Area, summary: AreaSummary, agreed_score: int | None
) -> list[Block]:
    """An area as the feedback report gives it: what was agreed, its strengths and its
    opportunities for improvement (the actions serving them follow, from plan.py)."""
    blocks: list[Block] = [Heading(4, area.title)]
    consensus = report.consensus.get(area.id)
    completion = _("{share} ({done} of {total})").format(
        share=format_share(summary.share), done=summary.done, total=summary.total
    )
    items = []
    if report.pack.scoring is not None:
        items.append((_("Agreed score"), percent_text(agreed_score) or _("not agreed yet")))
    items += [
        (_("Agreed rating"), _agreed(consensus) or _("not agreed yet")),
        (_("Completion"), completion),
        (_("Ratings"), _rating_counts_text(summary.rating_counts) or _("none yet")),
        (_("Average rating (1–4)"), format_average(summary.average_rating)),
    ]
    if consensus is not None and consensus.vote_counts:
        items.append((_("Votes"), _rating_counts_text(consensus.vote_counts)))
    blocks.append(Facts(tuple(items)))
    for title, text in (
        (STRENGTHS, consensus.strengths if consensus else ""),
        (IMPROVEMENTS, consensus.improvements if consensus else ""),
    ):
        blocks.append(Heading(5, _(title)))
        blocks.append(
            Paragraph(text) if text.strip() else Paragraph(_("None recorded."), quiet=True)
        )
    return blocks


def _question_blocks(
    report: RoundReport, number: int, question: Question, answers: list[AnswerRecord]
) -> list[Block]:
    names = report.member_names()
    blocks: list[Block] = [Heading(5, f"{number}. {question.text}")]
    answered = [a for a in answers if a.status == AnswerStatus.ANSWERED]
    for answer in answered:
        notes = []
        if answer.rating:
            notes.append(_("Rating: {rating}").format(rating=rating_label(answer.rating)))
        if answer.attachment:
            notes.append(_("Attachment: {what}").format(what=answer.attachment))
        blocks.append(Quote(names.get(answer.person_id, ""), " · ".join(notes), answer.text))
    if not answered:
        blocks.append(Paragraph(_("No answers yet."), quiet=True))

    remarks = []
    for status, label in (
        (AnswerStatus.SKIPPED, N_("Skipped by: {who}.")),
        (AnswerStatus.NOT_MY_AREA, N_("Not their area: {who}.")),
    ):
        who = [names.get(a.person_id, "") for a in answers if a.status == status]
        if who:
            remarks.append(_(label).format(who=", ".join(who)))
    ratings = question_rating_counts(answered)
    if ratings:
        remarks.append(_("Ratings: {counts}.").format(counts=_rating_counts_text(ratings)))
    if remarks:
        blocks.append(Paragraph(" ".join(remarks), quiet=True))
    return blocks


def _agreed(consensus: ConsensusRecord | None) -> str:
    return rating_label(consensus.agreed_rating) if consensus else ""


def _rating_counts_text(counts: Mapping[str, int]) -> str:
    ordered = [level for level in LEVEL_IDS if counts.get(level)]
    ordered += [level for level in counts if level not in LEVEL_IDS and counts[level]]
    return ", ".join(f"{rating_label(level)} {counts[level]}" for level in ordered)


def _scale_legend() -> str:
    scale = "; ".join(f"{n} = {rating_label(level)}" for n, level in enumerate(LEVEL_IDS, 1))
    return _("Average rating on the maturity scale: {scale}.").format(scale=scale)
