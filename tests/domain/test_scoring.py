"""The scoring rules on their own: the bands, medians and spreads, the order by disagreement and
the perception gap with its anonymity rule."""

from __future__ import annotations

import pytest

from bot.domain.scoring import (
    BANDS,
    area_score,
    area_scores_by_person,
    band_of,
    distribution_visible,
    distributions,
    histogram,
    is_valid_score,
    perception_gap,
    widest_gap,
)


def test_the_bands_cover_the_scale_once_in_steps_of_five():
    every = [step for band in BANDS for step in band.steps]
    assert every == list(range(0, 101, 5))
    assert [(b.low, b.high) for b in BANDS] == [
        (0, 5), (10, 25), (30, 45), (50, 65), (70, 85), (90, 100)
    ]  # fmt: skip


@pytest.mark.parametrize("score", [0, 5, 45, 100])
def test_scores_on_the_scale(score):
    assert is_valid_score(score)
    assert BANDS[band_of(score)].low <= score <= BANDS[band_of(score)].high


@pytest.mark.parametrize("score", [-5, 7, 101, 105, 999])
def test_scores_off_the_scale(score):
    assert not is_valid_score(score)


def test_an_adli_score_is_the_mean_rounded_to_the_scale():
    assert area_score({"overall": 45}) == 45
    assert area_score({"approach": 40, "deployment": 30, "learning": 30, "integration": 20}) == 30
    assert area_score({"approach": 50, "deployment": 55, "learning": 50, "integration": 50}) == 50


def test_the_widest_spread_comes_first_and_unscored_areas_are_left_out():
    found = distributions({"a": [40, 45, 50], "b": [10, 90], "c": [], "d": [30, 70, 50]})
    assert [d.area_id for d in found] == ["b", "d", "a"]
    b = found[0]
    assert (b.low, b.median, b.high, b.spread, b.count) == (10, 50.0, 90, 80, 2)


def test_equal_spreads_put_the_area_more_people_scored_first():
    found = distributions({"few": [10, 20], "many": [30, 40, 35]})
    assert [d.area_id for d in found] == ["many", "few"]


def test_the_histogram_counts_scores_per_band():
    assert histogram([0, 5, 25, 95, 100]) == (2, 1, 0, 0, 0, 2)


def test_anonymous_teams_see_a_distribution_only_from_the_threshold():
    assert distribution_visible(False, 1, 3)
    assert not distribution_visible(True, 2, 3)
    assert distribution_visible(True, 3, 3)
    assert not distribution_visible(False, 0, 3)


def test_the_gap_shows_when_each_side_reaches_the_threshold():
    gap = perception_gap("a", [30, 30, 35], [60, 65], threshold=2)
    assert gap.shown and gap.members == 30 and gap.managers == 62.5 and gap.gap == 32.5


def test_the_gap_says_how_many_more_each_side_needs():
    gap = perception_gap("a", [30], [], threshold=3)
    assert not gap.shown and gap.gap is None
    assert (gap.members_needed, gap.managers_needed) == (2, 3)


def test_the_widest_gap_is_the_one_furthest_from_zero():
    gaps = [
        perception_gap("up", [30, 30], [50, 50], 2),
        perception_gap("down", [80, 80], [40, 40], 2),
        perception_gap("hidden", [0], [100], 2),
    ]
    assert widest_gap(gaps).area_id == "down"
    assert widest_gap([]) is None


def test_scores_per_person_combine_their_dimensions():
    rows = [(1, "a", "approach", 40), (1, "a", "deployment", 20), (2, "a", "overall", 55)]
    assert area_scores_by_person(rows) == {"a": {1: 30, 2: 55}}
