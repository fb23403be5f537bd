"""Comparing answers to one question: spread, disagreement and the anonymity rule."""

from __future__ import annotations

from bot.domain.compare import (
    AREA_SPLIT,
    LEVEL_IDS,
    RATINGS_APART,
    Disagreement,
    MemberAnswer,
    NoteAdded,
    add_note,
    agreed_level,
    anonymous_numbers,
    breakdown_visible,
    compare_question,
    disagreement,
    rating_spread,
)

REACTING, EARLY, ALIGNED, INTEGRATED = LEVEL_IDS


def answered(person_id: int, name: str, rating: str | None, text: str = "we do") -> MemberAnswer:
    return MemberAnswer(person_id, name, "answered", text, rating)


def test_spread_counts_every_level_lowest_first_and_ignores_unknown_ids():
    spread = rating_spread([EARLY, EARLY, INTEGRATED, None, "bogus"])
    assert list(spread) == list(LEVEL_IDS)
    assert spread == {REACTING: 0, EARLY: 2, ALIGNED: 0, INTEGRATED: 1}


def test_neighbouring_levels_are_no_disagreement_two_apart_are():
    assert disagreement([answered(1, "A", EARLY), answered(2, "B", ALIGNED)]) is None
    reason = disagreement([answered(1, "A", REACTING), answered(2, "B", ALIGNED)])
    assert reason == Disagreement(RATINGS_APART, levels=3)


def test_answered_against_not_my_area_is_a_disagreement():
    answers = [answered(1, "A", None), MemberAnswer(2, "B", "not_my_area")]
    assert disagreement(answers) == Disagreement(AREA_SPLIT)
    # Everyone saying "not my area" is agreement.
    assert disagreement([MemberAnswer(1, "A", "not_my_area")] * 2) is None


def test_named_comparison_keeps_member_order_and_counts_who_is_waiting():
    answers = [
        answered(1, "Maria", INTEGRATED, "We plan yearly"),
        MemberAnswer(2, "Sam"),  # not answered yet
        MemberAnswer(3, "Ana", "skipped"),
        answered(4, "Ben", REACTING, "We react"),
    ]
    comparison = compare_question(answers, anonymous=False, threshold=3, salt="1:q")
    assert [entry.name for entry in comparison.entries] == ["Maria", "Ben"]
    assert comparison.entries[0].text == "We plan yearly"
    assert (comparison.answered, comparison.not_my_area, comparison.waiting) == (2, 0, 2)
    assert comparison.spread[INTEGRATED] == 1 and comparison.spread[REACTING] == 1
    assert comparison.disagreement == Disagreement(RATINGS_APART, levels=4)
    assert not comparison.hidden


def test_anonymous_comparison_hides_everything_below_the_threshold():
    answers = [answered(1, "Maria", REACTING), answered(2, "Sam", INTEGRATED)]
    comparison = compare_question(answers, anonymous=True, threshold=3, salt="1:q")
    assert comparison.hidden
    assert comparison.entries == () and comparison.spread == {}
    assert comparison.disagreement is None  # even that would say something about two people
    assert comparison.answered == 2


def test_anonymous_comparison_at_the_threshold_shows_members_without_names():
    answers = [
        answered(10, "Maria", EARLY, "alpha"),
        answered(20, "Sam", EARLY, "beta"),
        answered(30, "Ana", ALIGNED, "gamma"),
    ]
    comparison = compare_question(answers, anonymous=True, threshold=3, salt="7:q1")
    assert [entry.number for entry in comparison.entries] == [1, 2, 3]
    assert {entry.name for entry in comparison.entries} == {""}  # no name leaves the domain
    assert {entry.text for entry in comparison.entries} == {"alpha", "beta", "gamma"}
    assert comparison.spread[EARLY] == 2


def test_anonymous_numbering_is_stable_but_differs_between_questions():
    people = range(1, 9)
    first = anonymous_numbers(people, "1:q1")
    assert first == anonymous_numbers(reversed(people), "1:q1")  # input order says nothing
    assert sorted(first.values()) == list(range(1, 9))
    assert first != anonymous_numbers(people, "1:q2")


def test_breakdown_visible_rule():
    assert breakdown_visible(1, anonymous=False, threshold=5)
    assert not breakdown_visible(2, anonymous=True, threshold=3)
    assert breakdown_visible(3, anonymous=True, threshold=3)


def test_agreed_level_is_the_most_voted_and_a_tie_goes_to_the_lower_level():
    assert agreed_level([ALIGNED, ALIGNED, EARLY])[0] == ALIGNED
    level, counts = agreed_level([INTEGRATED, EARLY])
    assert level == EARLY
    assert counts == {REACTING: 0, EARLY: 1, ALIGNED: 0, INTEGRATED: 1}
    assert agreed_level([])[0] is None


def test_a_note_is_added_whole_while_there_is_room_and_what_does_not_fit_is_counted():
    first = add_note("", "  We listen  ", limit=20)
    assert first == NoteAdded("We listen", kept=9, dropped=0)
    second = add_note(first.text, "We follow up & act", limit=20)
    assert second.text == "We listen\nWe follow "  # 9 + newline + 10 characters
    assert (second.kept, second.dropped) == (10, 8)
    full = add_note(second.text, "More", limit=20)
    assert full == NoteAdded(second.text, kept=0, dropped=4)
    assert add_note("", "x" * 5000, limit=8000) == NoteAdded("x" * 5000, 5000, 0)
