"""Digest contents, reminder decisions and digest rendering on their own: no bot, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.core.render import MESSAGE_LIMIT, split_message
from bot.domain.digest import DigestNumbers, build_digest
from bot.domain.reminders import MemberState, NoReminder, ReminderPlan, plan_reminder
from bot.scheduled.digest_message import digest_blocks
from criteria.loader import DEFAULT_PACK_ID, load_packs

PACK = load_packs().get(DEFAULT_PACK_ID)
QUESTIONS = PACK.questions()
FIRST_AREA = PACK.areas()[0]
NOW = datetime(2030, 11, 25, 10, tzinfo=UTC)
TODAY = date(2030, 11, 29)


def answered(count: int) -> dict[str, str]:
    return {question.id: "answered" for question in QUESTIONS[:count]}


def digest(members, statuses, previous=None, round_id=1, **extra):
    return build_digest(
        PACK,
        "Front desk",
        round_id,
        "Round 1",
        members,
        statuses,
        previous,
        extra.pop("due_date", None),
        TODAY,
        **extra,
    )


class TestDigest:
    members = ((1, "Alice"), (2, "Bob"), (3, "Carol"))

    def test_completion_incomplete_areas_and_who(self):
        result = digest(self.members, {1: answered(len(QUESTIONS)), 2: answered(2)})
        assert (result.done, result.total) == (len(QUESTIONS) + 2, 3 * len(QUESTIONS))
        assert result.finished_members == 1
        first = result.areas[0]
        assert first.behind == ("Bob", "Carol") and first.done == len(FIRST_AREA.questions) + 2
        assert all(area.behind for area in result.incomplete_areas)
        assert result.change_points is None and result.compared_with is None

    def test_change_since_last_week_is_in_percentage_points(self):
        before = digest(self.members, {1: answered(len(QUESTIONS))}).numbers
        after = digest(
            self.members,
            {1: answered(len(QUESTIONS)), 2: answered(len(QUESTIONS))},
            previous=DigestNumbers.from_json(before.to_json()),
            previous_on=date(2030, 11, 22),
        )
        assert after.change_points == 67 - 33
        assert after.areas[0].change_points == 67 - 33
        assert after.compared_with == date(2030, 11, 22)

    def test_a_new_round_is_not_compared_with_the_old_one(self):
        old = digest(self.members, {1: answered(5)}, round_id=1).numbers
        result = digest(self.members, {}, previous=old, round_id=2, previous_on=TODAY)
        assert result.change_points is None and result.compared_with is None

    def test_unreadable_stored_numbers_mean_no_comparison(self):
        for stored in (
            None,
            "",
            "not json",
            '{"round_id": 1}',
            '{"round_id": 1, "done": 1, "total": 2, "areas": {"x": [1]}}',
        ):
            assert DigestNumbers.from_json(stored) is None

    def test_due_date(self):
        assert digest(self.members, {}, due_date=date(2030, 12, 6)).days_left == 7
        assert digest(self.members, {}, due_date=date(2030, 11, 27)).days_left == -2

    def test_heatmap_shows_the_least_complete_first_and_is_capped(self):
        members = [(n, f"P{n:03}") for n in range(60)]
        statuses = {n: answered(n % len(QUESTIONS)) for n in range(60)}
        heatmap = digest(members, statuses).heatmap
        assert len(heatmap.people) == 40 and heatmap.hidden_people == 20
        assert heatmap.people[0] == "P000" and len(heatmap.shares[0]) == len(PACK.areas())
        totals = [sum(row) for row in heatmap.shares]
        assert totals == sorted(totals)
        assert all(0 <= share <= 1 for row in heatmap.shares for share in row)


class TestDigestRendering:
    def test_names_are_escaped_and_groups_see_no_names(self):
        members = [(1, "<Ali & Co>"), (2, "Bob")]
        result = digest(members, {}, unreachable=["Bob"])
        manager = "\n\n".join(digest_blocks(result, for_group=False))
        assert "&lt;Ali &amp; Co&gt;" in manager and "<Ali" not in manager
        assert "Cannot be reached" in manager
        group = "\n\n".join(digest_blocks(result, for_group=True))
        assert "Ali" not in group and "Bob" not in group and "2 people to finish" in group

    def test_a_huge_team_fits_in_few_messages(self):
        members = [(n, f"Person number {n} with a long name") for n in range(3000)]
        messages = split_message(digest_blocks(digest(members, {}), for_group=False))
        assert all(len(message) <= MESSAGE_LIMIT for message in messages)
        assert len(messages) <= 2
        assert "and 2,975 more" in messages[0]

    def test_everything_complete(self):
        members = [(1, "Alice")]
        blocks = digest_blocks(digest(members, {1: answered(len(QUESTIONS))}), for_group=False)
        assert any("Every area is complete" in block for block in blocks)


class TestReminderDecision:
    def member(self, **fields) -> MemberState:
        return MemberState(
            **{"person_id": 1, "chat_id": 11, "name": "Alice", "statuses": {}, **fields}
        )

    def test_what_is_left_and_where_to_resume(self):
        plan = plan_reminder(PACK, self.member(statuses=answered(2)), NOW, weekly_cap=2)
        assert isinstance(plan, ReminderPlan)
        assert plan.questions_left == len(QUESTIONS) - 2
        assert plan.areas_left[0].title == FIRST_AREA.title
        assert plan.areas_left[0].questions == len(FIRST_AREA.questions) - 2
        assert plan.resume_question_id == QUESTIONS[2].id

    def test_resumes_at_the_open_question_of_their_conversation(self):
        member = self.member(statuses=answered(2), current_question_id=QUESTIONS[1].id)
        assert plan_reminder(PACK, member, NOW, 2).resume_question_id == QUESTIONS[1].id
        stale = self.member(current_question_id="gone-from-the-pack")
        assert plan_reminder(PACK, stale, NOW, 2).resume_question_id == QUESTIONS[0].id

    def test_skipped_questions_still_count_as_left(self):
        statuses = {**answered(len(QUESTIONS)), QUESTIONS[4].id: "skipped"}
        plan = plan_reminder(PACK, self.member(statuses=statuses), NOW, 2)
        assert plan.questions_left == 1 and plan.resume_question_id == QUESTIONS[4].id

    def test_reasons_for_no_reminder(self):
        done = {**answered(len(QUESTIONS)), QUESTIONS[0].id: "not_my_area"}
        assert plan_reminder(PACK, self.member(statuses=done), NOW, 2) == NoReminder.FINISHED
        away = self.member(paused_until=NOW + timedelta(hours=1))
        assert plan_reminder(PACK, away, NOW, 2) == NoReminder.AWAY
        back = self.member(paused_until=NOW)
        assert isinstance(plan_reminder(PACK, back, NOW, 2), ReminderPlan)
        blocked = self.member(unreachable_since=NOW - timedelta(days=1))
        assert plan_reminder(PACK, blocked, NOW, 2) == NoReminder.UNREACHABLE
        capped = self.member(reminders_this_week=2)
        assert plan_reminder(PACK, capped, NOW, 2) == NoReminder.WEEKLY_CAP

    def test_the_strictest_cap_of_a_persons_teams_wins(self):
        # One reminder this week already (from any team); this team allows 3, another only 1.
        in_a_strict_team = self.member(reminders_this_week=1, weekly_cap=1)
        assert plan_reminder(PACK, in_a_strict_team, NOW, 3) == NoReminder.WEEKLY_CAP
        in_a_lenient_team = self.member(reminders_this_week=1, weekly_cap=5)
        assert isinstance(plan_reminder(PACK, in_a_lenient_team, NOW, 3), ReminderPlan)
        assert plan_reminder(PACK, in_a_lenient_team, NOW, 1) == NoReminder.WEEKLY_CAP
