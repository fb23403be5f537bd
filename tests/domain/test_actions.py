"""The improvement-plan rules on their own: OFI items, due states, nudges, typed dates, DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.actions import (
    HIGH,
    LOW,
    MEDIUM,
    ActionFacts,
    DueState,
    PlanItem,
    area_result,
    due_choice,
    due_state,
    is_overdue,
    local_today,
    ofi_items,
    ofi_key,
    overdue_notices_due,
    owners_to_nudge,
    parse_typed_date,
    plan_summary,
    priority_order,
    result_moves,
    week_of,
)
from storage.statuses import ActionStatus


def test_improvements_split_into_items_by_line_and_bullet():
    text = "- Write the steps down\n\n* Train new staff\n2) Review monthly\n• Train new staff\n"
    items = ofi_items(text)
    assert [item.text for item in items] == [
        "Write the steps down",
        "Train new staff",
        "Review monthly",
    ]
    assert ofi_items("") == [] and ofi_items(None) == []


def test_keys_survive_edits_of_other_items_and_spacing():
    before = {item.text: item.key for item in ofi_items("Write it down\nTrain staff")}
    after = {item.text: item.key for item in ofi_items("1. train   STAFF\nSomething new")}
    assert after["train   STAFF"] == before["Train staff"]
    assert ofi_key("- Write it down") == ofi_key("write it down")
    assert len(before["Write it down"]) == 8


def test_due_states_in_the_teams_calendar():
    wednesday = date(2027, 3, 10)
    assert week_of(wednesday) == (date(2027, 3, 8), date(2027, 3, 14))
    assert due_state(ActionStatus.OPEN, date(2027, 3, 9), wednesday) is DueState.OVERDUE
    assert due_state(ActionStatus.STARTED, wednesday, wednesday) is DueState.THIS_WEEK
    assert due_state(ActionStatus.BLOCKED, date(2027, 3, 14), wednesday) is DueState.THIS_WEEK
    assert due_state(ActionStatus.OPEN, date(2027, 3, 15), wednesday) is DueState.LATER
    assert due_state(ActionStatus.DONE, date(2027, 1, 1), wednesday) is DueState.CLOSED
    assert due_state(ActionStatus.OPEN, None, wednesday) is DueState.NO_DATE
    assert not is_overdue(ActionStatus.DROPPED, date(2027, 1, 1), wednesday)


def test_overdue_starts_at_local_midnight_across_a_dst_change():
    # Europe/Madrid moves to summer time on 2027-03-28 at 02:00 (UTC+1 -> UTC+2).
    due = date(2027, 3, 28)
    before_midnight = datetime(2027, 3, 28, 21, 59, tzinfo=UTC)  # 23:59 summer time
    after_midnight = datetime(2027, 3, 28, 22, 0, tzinfo=UTC)  # 00:00 on the 29th
    assert not is_overdue(ActionStatus.OPEN, due, local_today(before_midnight, "Europe/Madrid"))
    assert is_overdue(ActionStatus.OPEN, due, local_today(after_midnight, "Europe/Madrid"))
    # The day before the change midnight was an hour later in UTC.
    assert local_today(datetime(2027, 3, 27, 22, 30, tzinfo=UTC), "Europe/Madrid") == date(
        2027, 3, 27
    )
    assert local_today(datetime(2027, 3, 27, 23, 0, tzinfo=UTC), "Europe/Madrid") == due


def test_owners_with_open_actions_are_nudged_unless_away():
    actions = [
        ActionFacts(1, 10, ActionStatus.OPEN, date(2027, 3, 20)),
        ActionFacts(2, 10, ActionStatus.BLOCKED, None),
        ActionFacts(3, 11, ActionStatus.DONE, date(2027, 3, 1)),
        ActionFacts(4, None, ActionStatus.OPEN, date(2027, 3, 1)),  # needs an owner
        ActionFacts(5, 12, ActionStatus.STARTED, date(2027, 3, 1)),
        ActionFacts(6, 13, ActionStatus.OPEN, date(2027, 3, 1)),
    ]
    now = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
    away = {12: now + timedelta(days=1), 13: now - timedelta(minutes=1)}  # 13 came back
    assert owners_to_nudge(actions, now, away) == {10: [1, 2], 13: [6]}
    assert owners_to_nudge(actions, now, away, unreachable={10}) == {13: [6]}


def test_an_overdue_notice_is_due_once_per_owner_and_action_while_open_and_past_due():
    today = date(2027, 3, 10)
    now = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
    actions = [
        ActionFacts(1, 10, ActionStatus.OPEN, date(2027, 3, 9)),  # overdue since today
        ActionFacts(2, 10, ActionStatus.BLOCKED, date(2027, 3, 1)),  # blocked still counts
        ActionFacts(3, 10, ActionStatus.OPEN, today),  # due today: not yet
        ActionFacts(4, 10, ActionStatus.DONE, date(2027, 3, 1)),
        ActionFacts(5, 10, ActionStatus.DROPPED, date(2027, 3, 1)),
        ActionFacts(6, None, ActionStatus.OPEN, date(2027, 3, 1)),  # needs an owner
        ActionFacts(7, 11, ActionStatus.STARTED, date(2027, 3, 1)),  # away
        ActionFacts(8, 12, ActionStatus.OPEN, None),  # no date: never overdue
        ActionFacts(9, 13, ActionStatus.OPEN, date(2027, 3, 2)),
    ]
    away = {11: now + timedelta(days=1), 13: now - timedelta(days=1)}  # 13 is back
    assert overdue_notices_due(actions, today, away, now) == {10: [1, 2], 13: [9]}
    assert overdue_notices_due(actions, today, away, now, noticed={(10, 2), (13, 9)}) == {10: [1]}
    # A new owner of a noticed action hears of it too; someone who blocked the bot does not.
    assert overdue_notices_due(actions, today, away, now, {13}, {(12, 9)}) == {10: [1, 2]}
    # Away until yesterday: told now.
    assert overdue_notices_due(actions, today, {}, now)[11] == [7]


def test_due_choices_and_typed_dates_in_the_persons_locale():
    today = date(2027, 3, 10)
    assert due_choice(7, today) == date(2027, 3, 17)
    with pytest.raises(ValueError):
        due_choice(8, today)
    assert parse_typed_date("2027-04-02", "ru", today) == date(2027, 4, 2)
    assert parse_typed_date("4/2/2027", "en", today) == date(2027, 4, 2)
    assert parse_typed_date("2/4/2027", "es", today) == date(2027, 4, 2)
    assert parse_typed_date("02.04.27", "ru", today) == date(2027, 4, 2)
    assert parse_typed_date("2027-03-09", "en", today) is None  # in the past
    assert parse_typed_date("31/02/2027", "es", today) is None
    assert parse_typed_date("soon", "en", today) is None


def test_the_digest_sorts_actions_into_done_due_overdue_and_blocked():
    today = date(2027, 3, 10)  # a Wednesday
    items = [
        PlanItem("Done lately", "Sam", ActionStatus.DONE, date(2027, 3, 1), date(2027, 3, 8)),
        PlanItem("Done long ago", "Sam", ActionStatus.DONE, None, date(2027, 3, 3)),
        PlanItem("Friday", None, ActionStatus.OPEN, date(2027, 3, 12)),
        PlanItem("Late", "Ana", ActionStatus.STARTED, date(2027, 3, 9)),
        PlanItem("Stuck", "Ana", ActionStatus.BLOCKED, date(2027, 3, 1)),
        PlanItem("Next week", "Ana", ActionStatus.OPEN, date(2027, 3, 15)),
        PlanItem("Dropped", "Ana", ActionStatus.DROPPED, date(2027, 3, 1)),
    ]
    summary = plan_summary(items, today)
    assert [i.title for i in summary.done] == ["Done lately"]
    assert [i.title for i in summary.due_this_week] == ["Friday"]
    assert [i.title for i in summary.overdue] == ["Late"]
    assert [i.title for i in summary.blocked] == ["Stuck"]
    assert plan_summary([], today).empty


def test_results_move_per_area_in_the_packs_order():
    assert area_result("defined") == "defined"  # the agreed rating until agreed scores exist
    assert area_result("defined", 40) == 40  # an agreed score on the bands comes first
    moves = result_moves({"b": "reacting", "c": None}, {"a": "defined", "b": "systematic"}, "abc")
    assert moves == [("a", None, "defined"), ("b", "reacting", "systematic")]


def test_priorities_order_by_impact_then_effort_then_the_managers_rank():
    themes = {
        "picked first, unrated": (1, None, None),
        "high impact, high effort": (2, HIGH, HIGH),
        "high impact, low effort": (3, HIGH, LOW),
        "medium impact, unrated effort": (4, MEDIUM, None),
        "medium impact, medium effort": (5, MEDIUM, MEDIUM),
        "picked last, unrated": (6, None, None),
        "low effort only": (7, None, LOW),
    }
    ordered = sorted(themes, key=lambda name: priority_order(*themes[name]))
    assert ordered == [
        "high impact, low effort",
        "high impact, high effort",
        "medium impact, medium effort",
        "medium impact, unrated effort",
        "low effort only",
        "picked first, unrated",
        "picked last, unrated",
    ]
