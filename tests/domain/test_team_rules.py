"""The team rules on their own: who may manage, remove, promote, leave; invite and round input."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.team_rules import (
    InviteArgumentError,
    Refusal,
    RoundArgumentError,
    TeamFacts,
    invite_admits_removed,
    may_invite,
    may_manage,
    may_promote,
    may_remove,
    must_hand_over,
    offer_previous_answer,
    parse_due_date,
    parse_invite_options,
    parse_new_round,
)

TODAY = date(2030, 5, 10)


def test_only_managers_manage_and_invite():
    assert may_manage(TeamFacts(actor_role=None)) == Refusal.NOT_A_MEMBER
    assert may_manage(TeamFacts(actor_role="member")) == Refusal.NOT_A_MANAGER
    assert may_manage(TeamFacts(actor_role="manager")) is None
    assert may_invite("member") == Refusal.NOT_A_MANAGER
    assert may_invite(None) == Refusal.NOT_A_MEMBER
    assert may_invite("manager") is None


def test_a_team_never_loses_its_last_manager():
    assert may_remove(TeamFacts("manager", "member", managers=1)) is None
    assert may_remove(TeamFacts("manager", "manager", managers=1)) == Refusal.LAST_MANAGER
    assert may_remove(TeamFacts("manager", "manager", managers=2)) is None
    assert may_remove(TeamFacts("manager", None, managers=1)) == Refusal.TARGET_GONE
    assert may_remove(TeamFacts("member", "member", managers=1)) == Refusal.NOT_A_MANAGER


def test_promotion():
    assert may_promote(TeamFacts("manager", "member", managers=1)) is None
    assert may_promote(TeamFacts("manager", "manager", managers=2)) == Refusal.ALREADY_MANAGER
    assert may_promote(TeamFacts(None, "member", managers=1)) == Refusal.NOT_A_MEMBER


def test_who_must_hand_over_before_leaving():
    assert must_hand_over("manager", managers=1, members=2)
    assert not must_hand_over("manager", managers=1, members=1)  # alone: the team goes too
    assert not must_hand_over("manager", managers=2, members=3)
    assert not must_hand_over("member", managers=1, members=3)


def test_invite_options_in_any_order_with_defaults():
    default = parse_invite_options([])
    assert (default.role, default.lifetime, default.max_uses) == ("member", timedelta(30), None)
    options = parse_invite_options(["once", "MANAGER", "7d"])
    assert (options.role, options.lifetime, options.max_uses) == ("manager", timedelta(7), 1)
    assert parse_invite_options(["never"]).lifetime is None
    assert parse_invite_options(["1d"]).lifetime == timedelta(1)
    with pytest.raises(InviteArgumentError):
        parse_invite_options(["admin"])


def test_round_arguments():
    assert parse_new_round([], TODAY, "Round 3") == ("Round 3", None)
    assert parse_new_round(["Spring", "2030-06-01"], TODAY, "x") == ("Spring", date(2030, 6, 1))
    assert parse_due_date("2030-05-10", TODAY) == TODAY
    for bad in ("2030-05-09", "10/06/2030", "2030-02-30"):
        with pytest.raises(RoundArgumentError):
            parse_due_date(bad, TODAY)
    with pytest.raises(RoundArgumentError):
        parse_new_round(["x" * 101], TODAY, "x")


def test_last_answer_is_offered_only_while_this_round_has_none():
    assert offer_previous_answer(None, previous_has_content=True)
    assert offer_previous_answer("skipped", previous_has_content=True)
    assert not offer_previous_answer("answered", previous_has_content=True)
    assert not offer_previous_answer(None, previous_has_content=False)


def test_only_an_invite_a_person_made_after_a_removal_brings_the_removed_back():
    removed_at = datetime(2030, 5, 10, 12, 0, tzinfo=UTC)
    before, after = removed_at - timedelta(seconds=1), removed_at + timedelta(seconds=1)
    assert invite_admits_removed(after, made_by_a_person=True, removed_at=removed_at)
    assert not invite_admits_removed(before, made_by_a_person=True, removed_at=removed_at)
    assert not invite_admits_removed(removed_at, made_by_a_person=True, removed_at=removed_at)
    # The group's Join link is the bot's, open to everyone in the group: never.
    assert not invite_admits_removed(after, made_by_a_person=False, removed_at=removed_at)
