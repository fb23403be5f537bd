"""The perception gap's maturity and completion per side, and the anonymity rule behind them."""

from __future__ import annotations

from bot.domain.perception import area_perceptions, side_view
from bot.domain.scoring import perception_gap

QUESTIONS = {"plan": ("q1", "q2"), "other": ("q3",)}


def test_a_side_shows_the_lower_middle_step_and_its_share_of_answers():
    answers = [
        (1, "answered", "reacting"),
        (2, "answered", "early_systematic"),
        (2, "skipped", None),
    ]
    side = side_view({1, 2}, answers, questions=2, threshold=2)
    assert side.maturity == 0  # of steps 0 and 1, the lower middle
    assert side.completion == 0.5  # two done (a skip is not) of 2 people x 2 questions
    assert (side.raters_needed, side.people_needed) == (0, 0)


def test_below_the_threshold_a_side_says_how_many_more_it_needs():
    side = side_view({1, 2}, [(1, "answered", "aligned")], questions=2, threshold=3)
    assert side.maturity is None and side.completion is None
    assert (side.raters_needed, side.people_needed) == (2, 1)


def test_not_my_area_counts_as_done_but_not_as_a_rating():
    side = side_view({1}, [(1, "not_my_area", None), (1, "answered", None)], 2, threshold=1)
    assert side.completion == 1.0 and side.maturity is None and side.raters_needed == 1


def test_area_perceptions_split_by_role_and_keep_the_gaps_order():
    rows = [
        (1, False, "q1", "answered", "reacting"),
        (2, False, "q1", "answered", "reacting"),
        (3, True, "q1", "answered", "integrated"),
        (3, True, "q2", "answered", "aligned"),
        (4, True, None, None, None),  # a manager with no answer yet
        (1, False, "q3", "answered", "aligned"),
    ]
    gaps = [perception_gap("other", [], [], 1), perception_gap("plan", [30], [60], 1)]
    other, plan = area_perceptions(gaps, rows, QUESTIONS, threshold=1)
    assert (other.area_id, plan.area_id) == ("other", "plan")
    assert plan.members.maturity == 0 and plan.managers.maturity == 2
    assert plan.maturity_gap == 2
    assert plan.members.completion == 0.5 and plan.managers.completion == 0.5
    assert plan.completion_gap == 0.0
    assert other.managers.completion == 0.0 and other.completion_gap == -50.0
    assert plan.score.gap == 30


def test_no_gap_while_a_side_is_hidden():
    rows = [(1, False, "q1", "answered", "aligned"), (2, True, "q1", "answered", "aligned")]
    (plan,) = area_perceptions([perception_gap("plan", [], [], 2)], rows, QUESTIONS, 2)
    assert plan.maturity_gap is None and plan.completion_gap is None
    assert plan.members.people_needed == 1 and plan.managers.raters_needed == 1
