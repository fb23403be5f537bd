"""Which areas of a pack are scored on the process scoring bands, and how (the `scoring:` field).

Kept apart from the rest of the pack format so a pack without `scoring:` reads exactly as before.
A pack's `scoring:` is a mapping:

    scoring:
      mode: overall        # one score per area; `adli`: one per Approach, Deployment,
                           # Learning and Integration
      areas: all           # or a list of area ids

The bands themselves (0-5 %, 10-25 %, ... 90-100 %) are the same for every pack: they live in
bot/domain/scoring.py with the rest of the scoring rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from criteria.problems import N_, UNKNOWN_FIELD, Text, text

OVERALL, ADLI = "overall", "adli"
MODES = (OVERALL, ADLI)
SCORING_FIELDS = ("mode", "areas")


@dataclass(frozen=True)
class Scoring:
    mode: str = OVERALL
    # None: every area of the pack is scored.
    areas: tuple[str, ...] | None = None

    def scores(self, area_id: str) -> bool:
        return self.areas is None or area_id in self.areas

    @property
    def per_dimension(self) -> bool:
        return self.mode == ADLI


def read_scoring(raw: object, area_ids: list[str]) -> tuple[Scoring | None, list[tuple[str, Text]]]:
    """The pack's scoring (None when absent) and its problems as (path, text) pairs."""
    if raw is None:
        return None, []
    if not isinstance(raw, dict):
        return None, [("scoring", text(N_("expected a mapping with mode and areas")))]
    problems = [
        (
            f"scoring.{name}",
            text(UNKNOWN_FIELD, name=name, suggestion="", known="mode, areas"),
        )
        for name in raw
        if name not in SCORING_FIELDS
    ]
    mode = raw.get("mode", OVERALL)
    if mode not in MODES:
        problems.append(
            (
                "scoring.mode",
                text(
                    N_("expected one of {choices}, got {value!r}"),
                    choices=", ".join(MODES),
                    value=mode,
                ),
            )
        )
    areas = raw.get("areas", "all")
    chosen: tuple[str, ...] | None = None
    if areas != "all":
        if not isinstance(areas, list) or not areas:
            problems.append(("scoring.areas", text(N_("expected 'all' or a list of area ids"))))
        else:
            known = set(area_ids)
            for index, area_id in enumerate(areas):
                if area_id not in known:
                    problems.append(
                        (
                            f"scoring.areas[{index}]",
                            text(N_("no area has the id {id!r}"), id=area_id),
                        )
                    )
            chosen = tuple(str(a) for a in areas)
    if problems:
        return None, problems
    return Scoring(mode=mode, areas=chosen), []
