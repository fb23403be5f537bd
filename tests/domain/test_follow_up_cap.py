"""The weekly cap of follow-ups on its own: one count for reminders, nudges and overdue notices."""

from __future__ import annotations

from bot.domain.reminders import room_this_week, within_cap


def test_room_is_the_strictest_cap_less_what_was_sent_of_any_kind():
    assert room_this_week(0, 2) == 2
    assert room_this_week(1, 2) == 1
    assert room_this_week(2, 2) == 0
    assert room_this_week(5, 2) == 0  # never negative (a cap lowered mid-week)
    assert room_this_week(0, 3, own_cap=1) == 1  # their strictest team's cap wins
    assert room_this_week(0, 1, own_cap=4) == 1


def test_within_cap_keeps_the_first_items_that_fit_and_counts_the_rest():
    wanted = {10: ["a", "b", "c"], 11: ["d"], 12: ["e", "f"], 13: ["g"]}
    sent = {10: 1, 11: 3, 13: 0}
    allowed, held_back = within_cap(wanted, sent, 3, {13: 1, 12: 1})
    assert allowed == {10: ["a", "b"], 12: ["e"], 13: ["g"]}
    assert held_back == 1 + 1 + 1  # c, d, f
    assert within_cap({}, {}, 2, {}) == ({}, 0)
