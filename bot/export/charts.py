"""Charts for the report, drawn as PNG bytes with matplotlib's Agg backend (no display).

Figures are built with the object API (Figure + FigureCanvasAgg), never pyplot: pyplot keeps
global state that worker threads would share. Matplotlib is still not thread-safe inside
(font cache, text layout), so drawing is serialised with a lock; a chart takes milliseconds.
Labels are in the reader's language: asyncio.to_thread carries the caller's language along.
"""

from __future__ import annotations

import io
import textwrap
import threading
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.core.i18n import _
from bot.export.stats import LEVEL_IDS, AreaSummary, AreaTrend, rating_label

# Lowest maturity to highest, from warm to cool, readable when printed in grey too.
LEVEL_COLOURS = ("#d7301f", "#fc8d59", "#91bfdb", "#4575b4")
BEFORE_COLOUR, NOW_COLOUR = "#bdbdbd", "#4575b4"
LABEL_WIDTH = 28  # characters per line of an area's name on the axis
DPI = 150
LEGEND_INCHES = 0.55
_drawing = threading.Lock()


def ratings_chart(summaries: Sequence[AreaSummary]) -> bytes:
    """A horizontal stacked bar per area: how many answers gave each maturity level."""
    with _drawing:
        figure = Figure(figsize=(7.5, 1.5 + 0.36 * len(summaries)), dpi=DPI)
        axes = figure.add_subplot()
        labels = [_wrapped(area.title) for area in summaries]
        positions = range(len(summaries))
        left = [0] * len(summaries)
        for level, colour in zip(LEVEL_IDS, LEVEL_COLOURS, strict=True):
            counts = [area.rating_counts.get(level, 0) for area in summaries]
            axes.barh(positions, counts, left=left, color=colour, label=rating_label(level))
            left = [a + b for a, b in zip(left, counts, strict=True)]
        axes.set_yticks(list(positions), labels)
        axes.invert_yaxis()  # first area at the top, as in the report
        axes.set_xlabel(_("Ratings given"))
        axes.set_title(_("Maturity ratings by area"))
        if not any(left):
            axes.text(0.5, 0.5, _("No ratings yet"), transform=axes.transAxes, ha="center")
        axes.xaxis.get_major_locator().set_params(integer=True)
        figure.legend(loc="lower center", ncol=2, frameon=False, fontsize="small")
        return _png(figure)


def trend_chart(trends: Sequence[AreaTrend], before: str, now: str) -> bytes:
    """Two panels per area, previous round against this one: completion and average rating."""
    with _drawing:
        figure = Figure(figsize=(7.5, 1.6 + 0.4 * len(trends)), dpi=DPI)
        completion, rating = figure.subplots(1, 2, sharey=True)
        labels = [_wrapped(trend.title, 22) for trend in trends]
        positions = list(range(len(trends)))
        height = 0.38
        above = [p - height / 2 for p in positions]
        below = [p + height / 2 for p in positions]

        completion.barh(
            above, [100 * t.share_before for t in trends], height, label=before, color=BEFORE_COLOUR
        )
        completion.barh(
            below, [100 * t.share_now for t in trends], height, label=now, color=NOW_COLOUR
        )
        completion.set_xlim(0, 100)
        completion.set_xlabel(_("Completion (%)"))

        # A round without ratings in an area draws no bar there rather than a misleading zero.
        rating.barh(above, [t.rating_before or 0 for t in trends], height, color=BEFORE_COLOUR)
        rating.barh(below, [t.rating_now or 0 for t in trends], height, color=NOW_COLOUR)
        rating.set_xlim(0, len(LEVEL_IDS))
        rating.set_xlabel(_("Average rating (1–4)"))

        completion.set_yticks(positions, labels)
        completion.invert_yaxis()
        figure.suptitle(_("What changed since the previous round"))
        figure.legend(loc="lower center", ncol=2, frameon=False, fontsize="small")
        return _png(figure)


def gap_chart(titles: Sequence[str], members: Sequence[float], managers: Sequence[float]) -> bytes:
    """The perception gap: members' and managers' median score per area, side by side."""
    with _drawing:
        figure = Figure(figsize=(7.5, 1.6 + 0.4 * len(titles)), dpi=DPI)
        axes = figure.add_subplot()
        positions = list(range(len(titles)))
        height = 0.38
        axes.barh(
            [p - height / 2 for p in positions], members, height, label=_("Members"),
            color=BEFORE_COLOUR,
        )  # fmt: skip
        axes.barh(
            [p + height / 2 for p in positions], managers, height, label=_("Managers"),
            color=NOW_COLOUR,
        )  # fmt: skip
        axes.set_xlim(0, 100)
        axes.set_xlabel(_("Median score (%)"))
        axes.set_yticks(positions, [_wrapped(t, 22) for t in titles])
        axes.invert_yaxis()
        axes.set_title(_("How members and managers score each area"))
        figure.legend(loc="lower center", ncol=2, frameon=False, fontsize="small")
        return _png(figure)


def _wrapped(title: str, width: int = LABEL_WIDTH) -> str:
    return "\n".join(textwrap.wrap(title, width)[:3]) or title


def _png(figure: Figure) -> bytes:
    canvas = FigureCanvasAgg(figure)
    # Room at the bottom for the figure legend, which tight_layout does not know about.
    height = figure.get_figheight()
    figure.tight_layout(rect=(0, LEGEND_INCHES / height, 1, 1))
    buffer = io.BytesIO()
    canvas.print_png(buffer)
    return buffer.getvalue()


def heatmap_png(
    rows: Sequence[str],
    columns: Sequence[str],
    shares: Sequence[Sequence[float]],
    title: str | None = None,
    note: str = "",
) -> bytes:
    """A grid of shares (0..1), one row per label in `rows`, one column per `columns` label.

    Used by the weekly digest for members × areas; cells carry their percentage so the picture
    reads without the colour scale, and the colours stay apart in grey print (light = little).
    """
    with _drawing:
        width = 3.2 + 1.15 * len(columns)
        figure = Figure(figsize=(min(width, 14), 1.9 + 0.3 * len(rows)), dpi=DPI)
        axes = figure.add_subplot()
        image = axes.imshow(
            [list(row) for row in shares], cmap="YlGnBu", vmin=0, vmax=1, aspect="auto"
        )
        axes.set_xticks(range(len(columns)), [_wrapped(c, 16) for c in columns], fontsize="small")
        axes.set_yticks(range(len(rows)), [_wrapped(r, 24) for r in rows], fontsize="small")
        axes.xaxis.tick_top()
        for y, row in enumerate(shares):
            for x, share in enumerate(row):
                colour = "white" if share > 0.6 else "black"
                axes.text(x, y, f"{share:.0%}", ha="center", va="center", color=colour, size=7)
        figure.colorbar(image, ax=axes, format="{x:.0%}", fraction=0.04, pad=0.02)
        axes.set_title(title or _("Share of questions answered"), pad=12)
        if note:
            # _png keeps a strip at the bottom for a legend; the note goes there.
            figure.text(0.5, 0.02, note, ha="center", va="bottom", fontsize="small")
        return _png(figure)
