"""The scoring bands in words: each band's one line and its full ADLI text, the dimensions'
names, and a score written as a percentage. Shared by /score, /scores and /gap."""

from __future__ import annotations

from bot.core.i18n import N_, _
from bot.domain.scoring import ADLI_DIMENSIONS, BANDS, OVERALL, Band

# One line per band, lowest first, for the band buttons.
BAND_LINES = (
    N_("No systematic approach yet"),
    N_("A systematic approach is beginning"),
    N_("Effective on the basics, partly deployed"),
    N_("Effective overall, well deployed"),
    N_("Refined by learning, no big gaps"),
    N_("Fully deployed, integrated, a model"),
)
# What a band takes along Approach, Deployment, Learning and Integration (❓), in our own words.
BAND_TEXTS = (
    N_(
        "Approach: none that is systematic; what happens depends on who is there.\n"
        "Deployment: little or none.\n"
        "Learning: problems are fixed, nothing is improved on purpose.\n"
        "Integration: none; each part works on its own."
    ),
    N_(
        "Approach: the first steps of a systematic approach to the basics.\n"
        "Deployment: early; many parts do not use it yet.\n"
        "Learning: moving from fixing problems to improving.\n"
        "Integration: parts line up mainly by solving problems together."
    ),
    N_(
        "Approach: effective and systematic for the basic requirements.\n"
        "Deployment: used in most parts, some still early.\n"
        "Learning: key processes start to be evaluated and improved.\n"
        "Integration: early alignment with the organisation's basic needs."
    ),
    N_(
        "Approach: effective and systematic for the overall requirements.\n"
        "Deployment: well deployed, though it varies in places.\n"
        "Learning: evaluation based on facts; some shared learning and innovation.\n"
        "Integration: aligned with needs identified in other areas."
    ),
    N_(
        "Approach: effective, systematic, meets many requirements.\n"
        "Deployment: well deployed, no significant gaps.\n"
        "Learning: evaluation, learning and innovation are how work is managed.\n"
        "Integration: integrated with current and future needs."
    ),
    N_(
        "Approach: fully meets many requirements; others learn from it.\n"
        "Deployment: fully deployed, no weak spots.\n"
        "Learning: improvement and innovation everywhere, shared across the organisation.\n"
        "Integration: fully integrated; processes reinforce each other."
    ),
)
DIMENSION_NAMES = {
    OVERALL: N_("Overall"),
    "approach": N_("Approach"),
    "deployment": N_("Deployment"),
    "learning": N_("Learning"),
    "integration": N_("Integration"),
}
SPARK = " ▁▂▃▄▅▆▇█"


def percent(value: float) -> str:
    """45 -> '45 %'; a median between two scores keeps its half: '47.5 %'."""
    return f"{value:g} %"


def band_range(band: Band) -> str:
    return f"{band.low}–{band.high} %"


def band_button(index: int) -> str:
    return f"{band_range(BANDS[index])} · {_(BAND_LINES[index])}"


def band_help(index: int) -> str:
    return f"<b>{band_range(BANDS[index])}</b> — {_(BAND_LINES[index])}\n{_(BAND_TEXTS[index])}"


def dimension_name(dimension: str) -> str:
    return _(DIMENSION_NAMES.get(dimension, dimension))


def bars(counts: tuple[int, ...]) -> str:
    """A small chart: one block per band, as high as its share of the scores."""
    top = max(counts) or 1
    return "".join(SPARK[round(count / top * 8)] if count else "·" for count in counts)


assert len(BAND_LINES) == len(BAND_TEXTS) == len(BANDS)
assert set(ADLI_DIMENSIONS) < set(DIMENSION_NAMES)
