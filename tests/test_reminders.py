"""Reminders, digests, /schedule and /away end to end: real PTB, the fake Bot API, real databases.

Time is controlled, never waited for: runs are started by calling the job functions with a
chosen `now` (bot.scheduled.jobs.run_slot, bot.scheduled.jobs.sweep) or by running a scheduled
job's callback as PTB
does when its time comes (`fire`), and the bot is built with a clock standing at the test's
chosen moment (`running_bot(..., clock=Clock(...))`), so its start-up sweep, /away and /schedule
see that moment too; nothing depends on when the suite runs.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, update
from sqlmodel import select

from bot.ops import cli
from bot.ops.leadership import LEADERSHIP_KEY, Leadership
from bot.scheduled import broadcast, jobs
from bot.scheduled.reminder_run import CONTINUE_LABEL, PAUSE_FOR_A_WEEK_LABEL
from bot.services import deliveries
from bot.services.deliveries import RUN_RECIPIENT, DeliveryKind, team_period
from storage.models import (
    Answer,
    AssessmentRound,
    Delivery,
    GroupLink,
    Membership,
    Person,
    Team,
)
from storage.types import utcnow
from tests.support.botrunner import running_bot, settings_for
from tests.support.schedules import (
    DIGEST,
    FRIDAY_DIGEST,
    MONDAY,
    PACK,
    QUESTIONS,
    REMINDER,
    WEDNESDAY_NOON,
    Clock,
    answer,
    deliveries_of,
    digests_to,
    fire,
    job_named,
    next_run,
    reminders_to,
    seed_team,
)

# --- reminders ---------------------------------------------------------------------------------


async def test_reminder_says_what_is_left_and_resumes_in_one_tap(fake, db):
    seeded = await seed_team(db, fake)
    await answer(db, seeded, "Alice", count=3)
    alice = seeded.people["Alice"]
    async with running_bot(fake, db.url) as app:
        outcome = await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W48-mon", MONDAY)
        assert outcome.report.sent == 3  # the manager has questions left too

        reminder = await alice.wait_for_message(contains="self-assessment still has")
        left = len(QUESTIONS) - 3
        assert f"Hi Alice! Front desk <North>'s self-assessment still has {left} questions" in (
            reminder.text
        )
        first_area = PACK.area_of(QUESTIONS[3].id)
        first_area_left = sum(1 for q in QUESTIONS[3:] if PACK.area_of(q.id) is first_area)
        assert f"• {first_area.title} — {first_area_left}" in reminder.text
        for area in PACK.areas()[1:]:
            assert f"• {area.title} — {len(area.questions)}" in reminder.text

        await alice.press(reminder, CONTINUE_LABEL)
        question = await alice.wait_for_message(contains=QUESTIONS[3].text)
        assert question.button_texts  # the question with its answering buttons


async def test_resume_from_another_teams_reminder_switches_to_that_team(fake, db):
    first = await seed_team(db, fake, manager="Maria", members=("Alice",))
    second = await seed_team(db, fake, manager="Omar", members=())
    async with db.sessions() as session:  # Alice is in both; she answers for the first team
        session.add(
            Membership(team_id=second.team_id, person_id=first.person_ids["Alice"], role="member")
        )
        await session.commit()
    alice = first.people["Alice"]
    async with running_bot(fake, db.url) as app:
        await jobs.run_slot(app, second.team_id, REMINDER, "2030-W48-mon", MONDAY)
        reminder = await alice.wait_for_message(contains="self-assessment still has")
        await alice.press(reminder, CONTINUE_LABEL)
        await alice.wait_for_message(contains=QUESTIONS[0].text)
    async with db.sessions() as session:
        person = await session.get(Person, first.person_ids["Alice"])
        assert person.active_team_id == second.team_id


async def test_finished_away_left_and_blocked_people_get_no_reminder(fake, db):
    seeded = await seed_team(db, fake, members=("Alice", "Bob", "Carol", "Dave", "Erin"))
    await answer(db, seeded, "Maria")
    await answer(db, seeded, "Bob")  # finished
    async with db.sessions() as session:
        await session.execute(  # Erin left the team
            delete(Membership).where(Membership.person_id == seeded.person_ids["Erin"])
        )
        await session.commit()
    alice, carol, dave, erin = (seeded.people[n] for n in ("Alice", "Carol", "Dave", "Erin"))
    clock = Clock(WEDNESDAY_NOON)  # outside quiet hours: the run sends what it may
    async with running_bot(fake, db.url, clock=clock) as app:
        await carol.command("/away")
        choice = await carol.wait_for_message(contains="reminders are on")
        await carol.press(choice, "🔕 1 week")
        await carol.wait_for_message(contains="No reminders until")
        dave.block_bot()

        outcome = await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W48-mon", clock())
        assert outcome.report.sent == 1 and outcome.report.unreachable == 1
        assert outcome.skipped == {"finished": 2, "away": 1}
        assert len(reminders_to(alice)) == 1
        assert not reminders_to(seeded.people["Bob"]) and not reminders_to(carol)
        assert not reminders_to(erin) and not reminders_to(seeded.people["Maria"])
        assert [c.error_code for c in fake.clear_rejected_calls()] == [403]

        # Dave is now known to be unreachable: the next run does not even try him.
        outcome = await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W48-thu", clock())
        assert outcome.skipped["unreachable"] == 1
        assert not fake.rejected_calls

        # Writing to the bot again makes him reachable; nothing of his was deleted.
        dave.unblock_bot()
        await dave.command("/progress")
        await dave.wait_for_message()
    async with db.sessions() as session:
        assert (await session.get(Person, seeded.person_ids["Dave"])).unreachable_since is None


async def test_weekly_cap_counts_reminders_from_all_of_a_persons_teams(fake, db):
    lenient = await seed_team(db, fake, members=("Alice", "Bob"), weekly_reminder_cap=3)
    strict = await seed_team(db, fake, manager="Omar", members=(), weekly_reminder_cap=1)
    async with db.sessions() as session:  # Alice is in both teams
        session.add(
            Membership(team_id=strict.team_id, person_id=lenient.person_ids["Alice"], role="member")
        )
        await session.commit()
    alice, bob = lenient.people["Alice"], lenient.people["Bob"]
    async with running_bot(fake, db.url) as app:
        await jobs.run_slot(app, lenient.team_id, REMINDER, "2030-W48-mon", MONDAY)
        outcome = await jobs.run_slot(app, strict.team_id, REMINDER, "2030-W48-mon", MONDAY)
        assert outcome.skipped == {"weekly_cap": 1}
        outcome = await jobs.run_slot(app, lenient.team_id, REMINDER, "2030-W48-thu", MONDAY)
        assert outcome.skipped == {"weekly_cap": 1}
        # The strict team's one reminder a week is hers in all her teams; Bob's team allows 3.
        assert len(reminders_to(alice)) == 1 and len(reminders_to(bob)) == 2
        await jobs.run_slot(app, strict.team_id, REMINDER, "2030-W49-mon", MONDAY)
        assert len(reminders_to(alice)) == 2  # a new week


async def test_weekly_cap(fake, db):
    seeded = await seed_team(db, fake, members=("Alice",), weekly_reminder_cap=2)
    alice = seeded.people["Alice"]
    async with running_bot(fake, db.url) as app:
        for period in ("2030-W48-mon", "2030-W48-thu", "2030-W48-sat"):
            await jobs.run_slot(app, seeded.team_id, REMINDER, period, MONDAY)
        assert len(reminders_to(alice)) == 2
        outcome = await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W49-mon", MONDAY)
        assert outcome.report.sent == 2  # a new week: Alice and the manager again
        assert len(reminders_to(alice)) == 3


async def test_away_until_a_date_and_back(fake, db):
    seeded = await seed_team(db, fake, members=("Alice",))
    alice = seeded.people["Alice"]
    clock = Clock(WEDNESDAY_NOON)  # outside quiet hours: the run sends what it may
    async with running_bot(fake, db.url, clock=clock) as app:
        await alice.command("/away", "2026-02-30")
        await alice.wait_for_message(contains="not a date on the calendar")
        await alice.command("/away", "2020-01-01")
        await alice.wait_for_message(contains="not in the future")
        until = (clock() + timedelta(days=10)).date()
        await alice.command("/away", until.isoformat())
        await alice.wait_for_message(contains=f"No reminders until {until:%a %d %b}")

        outcome = await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W48-mon", clock())
        assert outcome.skipped == {"away": 1} and not reminders_to(alice)
        later = clock() + timedelta(days=11)
        await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W48-thu", later)
        assert len(reminders_to(alice)) == 1

        await alice.command("/away", (clock() + timedelta(days=400)).date().isoformat())
        await alice.wait_for_message(contains="up to a year")
        await alice.command("/away", "off")
        await alice.wait_for_message(contains="Reminders are back on")
    async with db.sessions() as session:
        assert (
            await session.get(Person, seeded.person_ids["Alice"])
        ).reminders_paused_until is None


async def test_reminder_button_pauses_for_a_week(fake, db):
    seeded = await seed_team(db, fake, members=("Alice",))
    alice = seeded.people["Alice"]
    clock = Clock(WEDNESDAY_NOON)  # outside quiet hours: the reminder goes out
    async with running_bot(fake, db.url, clock=clock) as app:
        await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W48-mon", clock())
        reminder = await alice.wait_for_message(contains="self-assessment still has")
        await alice.press(reminder, PAUSE_FOR_A_WEEK_LABEL)
        await alice.wait_for_message(contains="No reminders until")
    async with db.sessions() as session:
        paused = (await session.get(Person, seeded.person_ids["Alice"])).reminders_paused_until
        assert timedelta(days=6) < paused - clock() <= timedelta(days=7)


# --- digests -----------------------------------------------------------------------------------


async def test_digest_to_managers_and_the_group_with_change_since_last_week(fake, db):
    seeded = await seed_team(db, fake, members=("Alice", "Bob"), digest_to_group=True)
    maria, alice = seeded.people["Maria"], seeded.people["Alice"]
    group = fake.group("Front desk chat", members=[maria, alice])
    await group.add_bot(by=maria)
    async with db.sessions() as session:
        session.add(GroupLink(chat_id=group.chat_id, team_id=seeded.team_id, title="chat"))
        await session.execute(update(AssessmentRound).values(due_date=date(2030, 12, 6)))
        await session.commit()
    await answer(db, seeded, "Maria")
    await answer(db, seeded, "Alice", count=2)
    async with running_bot(fake, db.url) as app:
        await jobs.run_slot(app, seeded.team_id, DIGEST, "2030-W48", FRIDAY_DIGEST)
        digest = await maria.wait_for_message(contains="Weekly digest")
        assert "Front desk <North>" in digest.text and "due Fri 06 Dec (7 days left)" in digest.text
        assert "1 of 3 people finished" in digest.text
        assert "since" not in digest.text  # nothing to compare with yet
        first_area = PACK.areas()[0]
        assert f"{first_area.title} (2): Alice, Bob" in digest.text
        heatmap = await maria.wait_for_message(lambda m: m.photo is not None)
        assert heatmap.photo.data.startswith(b"\x89PNG")
        assert "share of each area answered" in heatmap.text

        in_group = await group.wait_for_message(contains="Weekly digest")
        assert "Alice" not in in_group.text and "Bob" not in in_group.text
        assert f"{first_area.title}: 2 people to finish" in in_group.text
        assert not any(m.photo for m in group.messages)
        assert not reminders_to(alice) and not digests_to(alice)

        await answer(db, seeded, "Bob")  # a week of work: Bob finishes everything
        await jobs.run_slot(app, seeded.team_id, DIGEST, "2030-W49", FRIDAY_DIGEST + timedelta(7))
        second = await maria.wait_for_message(contains="Weekly digest")
    week1 = round(100 * (len(QUESTIONS) + 2) / (3 * len(QUESTIONS)))
    week2 = round(100 * (2 * len(QUESTIONS) + 2) / (3 * len(QUESTIONS)))
    assert f"{week2}%</b>" not in second.text  # the text is plain: check the visible numbers
    assert f"{week2}% answered (▲ {week2 - week1} pts since" in second.text
    assert "2 of 3 people finished" in second.text
    runs = await deliveries_of(db, DeliveryKind.DIGEST_RUN)
    assert {json.loads(r.detail)["done"] for r in runs} == {
        len(QUESTIONS) + 2,
        2 * len(QUESTIONS) + 2,
    }


async def test_digest_lists_unreachable_members(fake, db):
    seeded = await seed_team(db, fake, members=("Alice", "Dave"))
    async with db.sessions() as session:
        await session.execute(
            update(Person)
            .where(Person.id == seeded.person_ids["Dave"])
            .values(unreachable_since=utcnow())
        )
        await session.commit()
    async with running_bot(fake, db.url) as app:
        await jobs.run_slot(app, seeded.team_id, DIGEST, "2030-W48", FRIDAY_DIGEST)
        digest = await seeded.people["Maria"].wait_for_message(contains="Weekly digest")
        assert "Cannot be reached (they blocked the bot): Dave" in digest.text


async def test_digest_command_is_for_managers(fake, db):
    seeded = await seed_team(db, fake, members=("Alice",))
    maria, alice = seeded.people["Maria"], seeded.people["Alice"]
    async with running_bot(fake, db.url):
        await maria.command("/digest")
        await maria.wait_for_message(contains="Weekly digest")
        await maria.wait_for_message(lambda m: m.photo is not None)
        await alice.command("/digest")
        await alice.wait_for_message(contains="for a team's managers")
    assert not await deliveries_of(db, DeliveryKind.DIGEST)  # the scheduled one still goes out


# --- exactly once, across restarts -------------------------------------------------------------


async def test_a_restart_catches_up_a_missed_digest_once(fake, db):
    seeded = await seed_team(db, fake, members=("Alice",))
    maria = seeded.people["Maria"]
    # The bot was down at Friday 16:00 and comes back at 16:40, within the grace period.
    clock = Clock(FRIDAY_DIGEST + timedelta(minutes=40))
    async with running_bot(fake, db.url, clock=clock):
        await maria.wait_for_message(contains="Weekly digest")
        await fake.wait_idle()
    async with running_bot(fake, db.url, clock=clock) as app:  # and restarts again
        await fake.wait_idle()
        assert await jobs.sweep(app, FRIDAY_DIGEST + timedelta(minutes=50)) == []
    assert len(digests_to(maria)) == 1
    assert not reminders_to(seeded.people["Alice"])  # Thursday's reminder was too long ago


async def test_a_run_missed_beyond_the_grace_period_is_not_caught_up(fake, db):
    seeded = await seed_team(db, fake, members=("Alice",))
    clock = Clock(FRIDAY_DIGEST + timedelta(hours=4))
    async with running_bot(fake, db.url, clock=clock) as app:
        assert await jobs.sweep(app, clock()) == []
    assert not digests_to(seeded.people["Maria"])


async def test_a_run_killed_midway_sends_the_rest_after_restart(fake, db):
    names = ("Alice", "Bob", "Carol", "Dave", "Erin")
    seeded = await seed_team(db, fake, members=names)
    await answer(db, seeded, "Maria")
    period, slot = "2030-W48-mon", MONDAY
    crashed_at = utcnow() - timedelta(minutes=1)
    async with db.sessions() as session:  # what the killed process left in the log
        session.add(
            Delivery(
                kind=DeliveryKind.REMINDER_RUN,
                recipient_chat_id=RUN_RECIPIENT,
                period=team_period(seeded.team_id, period),
                team_id=seeded.team_id,
                created_at=crashed_at,
            )
        )
        for name, status in (("Alice", "sent"), ("Bob", "sent"), ("Carol", "pending")):
            session.add(
                Delivery(
                    kind=DeliveryKind.REMINDER,
                    period=team_period(seeded.team_id, period),
                    recipient_chat_id=seeded.people[name].user_id,
                    team_id=seeded.team_id,
                    status=status,
                    created_at=crashed_at,
                )
            )
        await session.commit()
    clock = Clock(slot + timedelta(minutes=10))
    async with running_bot(fake, db.url, clock=clock):
        for name in ("Carol", "Dave", "Erin"):
            await seeded.people[name].wait_for_message(contains="self-assessment still has")
        await fake.wait_idle()
    async with running_bot(fake, db.url, clock=clock):
        await fake.wait_idle()
    counts = {name: len(reminders_to(seeded.people[name])) for name in names}
    # Alice and Bob had theirs before the crash; Carol's was in flight and is resent once.
    assert counts == {"Alice": 0, "Bob": 0, "Carol": 1, "Dave": 1, "Erin": 1}
    statuses = {d.recipient_chat_id: d.status for d in await deliveries_of(db, "reminder")}
    assert statuses[seeded.people["Carol"].user_id] == "sent"
    (run,) = await deliveries_of(db, DeliveryKind.REMINDER_RUN)
    assert run.status == "sent"


async def test_a_run_cut_short_by_the_database_is_resumed_by_the_sweep(fake, db, monkeypatch):
    seeded = await seed_team(db, fake, members=("Alice", "Bob"))
    await answer(db, seeded, "Maria")
    alice, bob = seeded.people["Alice"], seeded.people["Bob"]
    real_claim = deliveries.claim

    async def claim_failing_for_alice(session, kind, chat_id, *args):
        if chat_id == alice.user_id:
            raise ConnectionError("database went away")
        return await real_claim(session, kind, chat_id, *args)

    async with running_bot(fake, db.url) as app:
        monkeypatch.setattr(deliveries, "claim", claim_failing_for_alice)
        outcome = await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W48-mon", MONDAY)
        assert (outcome.report.sent, outcome.report.interrupted) == (1, 1)
        (run,) = await deliveries_of(db, DeliveryKind.REMINDER_RUN)
        assert run.status == "pending"  # not complete: the sweep will pick it up

        monkeypatch.setattr(deliveries, "claim", real_claim)
        (resumed,) = await jobs.sweep(app, MONDAY + timedelta(minutes=5))
        assert resumed.start == "resumed" and resumed.report.sent == 1
        assert await jobs.sweep(app, MONDAY + timedelta(minutes=10)) == []
    assert len(reminders_to(alice)) == 1 and len(reminders_to(bob)) == 1


async def test_teams_created_after_the_start_get_their_jobs(fake, db):
    async with running_bot(fake, db.url) as app:
        seeded = await seed_team(db, fake, members=())
        scheduler = app.job_queue.scheduler
        assert scheduler.get_job(f"digest:team:{seeded.team_id}") is None
        await jobs.refresh_jobs(app)
        assert scheduler.get_job(f"digest:team:{seeded.team_id}") is not None
        assert scheduler.get_job(f"reminders:team:{seeded.team_id}") is not None


# --- the jobs themselves, and schedules changed on another instance ----------------------------


async def test_a_slot_job_runs_its_slot_on_the_leader_and_sets_the_next(fake, db):
    clock = Clock(MONDAY - timedelta(hours=1))
    seeded = await seed_team(db, fake, members=("Alice",))
    alice, name = seeded.people["Alice"], f"reminders:team:{seeded.team_id}"
    async with running_bot(fake, db.url, clock=clock) as app:
        assert next_run(app, name) == MONDAY
        clock.now = MONDAY
        await fire(app, name)
        assert len(reminders_to(alice)) == 1
        assert next_run(app, name) == MONDAY + timedelta(days=3)  # Thursday 10:00

        # Another instance holds the lease now: this one's Thursday job sends nothing...
        await app.bot_data[LEADERSHIP_KEY].release()
        assert await Leadership(db.sessions, holder="another instance").claim()
        clock.now = MONDAY + timedelta(days=3)
        await fire(app, name)
        # ...but still sets the next slot, ready for when it leads again.
        assert next_run(app, name) == MONDAY + timedelta(days=7)
    assert len(reminders_to(alice)) == 1
    assert [run.period for run in await deliveries_of(db, DeliveryKind.REMINDER_RUN)] == [
        team_period(seeded.team_id, "2030-W48-mon")
    ]


async def test_a_job_whose_schedule_changed_elsewhere_does_not_fire(fake, db):
    clock = Clock(MONDAY - timedelta(hours=1))
    seeded = await seed_team(db, fake, members=("Alice",))
    name = f"reminders:team:{seeded.team_id}"
    async with running_bot(fake, db.url, clock=clock) as app:
        assert next_run(app, name) == MONDAY
        # /schedule handled by another instance: reminders move to Monday 11:00.
        async with db.sessions() as session:
            await session.execute(update(Team).values(reminder_time=time(11, 0)))
            await session.commit()
        clock.now = MONDAY
        await fire(app, name)  # this instance's job still says 10:00
        assert not reminders_to(seeded.people["Alice"])
        assert next_run(app, name) == MONDAY + timedelta(hours=1)

        # Switched off elsewhere: the job goes away instead of firing.
        async with db.sessions() as session:
            await session.execute(update(Team).values(reminder_days=""))
            await session.commit()
        clock.now = MONDAY + timedelta(hours=1)
        await fire(app, name)
        assert next_run(app, name) is None
    assert not reminders_to(seeded.people["Alice"])
    assert not await deliveries_of(db, DeliveryKind.REMINDER_RUN)


async def test_the_sweep_sets_each_job_to_the_current_schedule(fake, db):
    clock = Clock(WEDNESDAY_NOON)
    changed = await seed_team(db, fake, members=())
    kept = await seed_team(db, fake, manager="Omar", members=())
    gone = await seed_team(db, fake, manager="Ines", members=())
    async with running_bot(fake, db.url, clock=clock) as app:
        kept_job = job_named(app, f"reminders:team:{kept.team_id}")
        async with db.sessions() as session:  # what other instances did meanwhile
            await session.execute(
                update(Team)
                .where(Team.id == changed.team_id)
                .values(reminder_days="2", digest_days="")
            )
            await session.execute(delete(Team).where(Team.id == gone.team_id))
            await session.commit()

        await fire(app, jobs.SWEEP_JOB_ID)

        assert next_run(app, f"reminders:team:{changed.team_id}") == datetime(
            2030, 12, 3, 10, 0, tzinfo=UTC
        )
        assert next_run(app, f"digest:team:{changed.team_id}") is None
        assert next_run(app, f"reminders:team:{gone.team_id}") is None
        assert next_run(app, f"digest:team:{gone.team_id}") is None
        # A job that is still right is left alone, not set again.
        assert job_named(app, f"reminders:team:{kept.team_id}").job is kept_job.job
        assert jobs.planned_for(kept_job) == datetime(2030, 11, 28, 10, 0, tzinfo=UTC)


# --- daylight saving, through the jobs ---------------------------------------------------------


async def test_jobs_keep_local_time_across_daylight_saving(fake, db):
    # Monday 10:00 in London: 10:00 UTC in winter, 09:00 UTC in summer time.
    clock = Clock(datetime(2030, 3, 28, 12, 0, tzinfo=UTC))  # BST starts Sunday 31 March
    seeded = await seed_team(
        db, fake, members=("Alice",), timezone="Europe/London", reminder_days="1"
    )
    name = f"reminders:team:{seeded.team_id}"
    async with running_bot(fake, db.url, clock=clock) as app:
        first_summer_monday = datetime(2030, 4, 1, 9, 0, tzinfo=UTC)
        assert next_run(app, name) == first_summer_monday
        clock.now = first_summer_monday
        await fire(app, name)
        assert next_run(app, name) == datetime(2030, 4, 8, 9, 0, tzinfo=UTC)
    assert len(reminders_to(seeded.people["Alice"])) == 1

    clock.now = datetime(2030, 10, 24, 12, 0, tzinfo=UTC)  # BST ends Sunday 27 October
    async with running_bot(fake, db.url, clock=clock) as app:
        assert next_run(app, name) == datetime(2030, 10, 28, 10, 0, tzinfo=UTC)
    (run,) = await deliveries_of(db, DeliveryKind.REMINDER_RUN)
    assert run.period == team_period(seeded.team_id, "2030-W14-mon")


# --- quiet hours hold when sending -------------------------------------------------------------


EVENING = datetime(2030, 11, 25, 19, 30, tzinfo=UTC)  # Monday, half an hour before quiet hours
NEXT_MORNING = datetime(2030, 11, 26, 8, 0, tzinfo=UTC)  # when the quiet hours end


async def evening_team(db, fake, members=("Alice",), at=time(19, 30)):
    """A team reminded on Mondays at `at` (UTC), with the default quiet hours 20:00-08:00."""
    return await seed_team(db, fake, members=members, reminder_days="1", reminder_time=at)


async def test_a_run_caught_up_in_quiet_hours_waits_until_they_end(fake, db):
    seeded = await evening_team(db, fake)
    alice, waiting = seeded.people["Alice"], f"after-quiet-hours:reminders:team:{seeded.team_id}"
    # The bot was down at 19:30 and comes back at 21:30, inside the quiet hours.
    clock = Clock(EVENING + timedelta(hours=2))
    async with running_bot(fake, db.url, clock=clock) as app:
        await fake.wait_until(lambda: next_run(app, waiting))  # the start-up sweep ran
        await fake.wait_idle()
        assert not reminders_to(alice)
        assert next_run(app, waiting) == NEXT_MORNING

        clock.now = NEXT_MORNING  # not missed: it could send for only 30 minutes of the grace
        await fire(app, waiting)
        assert len(reminders_to(alice)) == 1
        assert await jobs.sweep(app, NEXT_MORNING + timedelta(minutes=5)) == []
    assert len(reminders_to(alice)) == 1


async def test_a_job_started_late_into_quiet_hours_waits_until_they_end(fake, db):
    seeded = await evening_team(db, fake)
    alice, name = seeded.people["Alice"], f"reminders:team:{seeded.team_id}"
    waiting = f"after-quiet-hours:{name}"
    clock = Clock(EVENING - timedelta(hours=1))
    async with running_bot(fake, db.url, clock=clock) as app:
        clock.now = EVENING + timedelta(minutes=35)  # the scheduler was 35 minutes late
        await fire(app, name)
        assert not reminders_to(alice) and next_run(app, waiting) == NEXT_MORNING
        assert next_run(app, name) == EVENING + timedelta(days=7)
        assert not await deliveries_of(db, DeliveryKind.REMINDER_RUN), "not started at all"

        clock.now = NEXT_MORNING
        await fire(app, waiting)
        assert len(reminders_to(alice)) == 1


async def test_a_run_reaching_quiet_hours_stops_and_resumes_when_they_end(fake, db):
    # More people than are sent to at once, so some are claimed only after others were sent.
    names = tuple(f"Member {n}" for n in range(broadcast.SENDS_IN_FLIGHT + 4))
    seeded = await evening_team(db, fake, members=names, at=time(19, 59))
    await answer(db, seeded, "Maria")
    slot = datetime(2030, 11, 25, 19, 59, tzinfo=UTC)
    name = f"reminders:team:{seeded.team_id}"
    clock = Clock(slot - timedelta(hours=1))
    async with running_bot(fake, db.url, clock=clock) as app:

        def two_minutes_pass_with_the_first_message() -> datetime:
            return slot + (timedelta(minutes=2) if fake.calls_to("sendMessage") else timedelta(0))

        clock.follow(two_minutes_pass_with_the_first_message)
        await fire(app, name)
        await fake.wait_idle()
        before_quiet = [n for n in names if reminders_to(seeded.people[n])]
        assert 0 < len(before_quiet) < len(names)
        (run,) = await deliveries_of(db, DeliveryKind.REMINDER_RUN)
        assert run.status == "pending"

        clock.now = NEXT_MORNING
        await fire(app, f"after-quiet-hours:{name}")
    assert all(len(reminders_to(seeded.people[n])) == 1 for n in names)
    (run,) = await deliveries_of(db, DeliveryKind.REMINDER_RUN)
    assert run.status == "sent"


async def test_a_send_waiting_out_a_429_into_quiet_hours_is_given_back(fake, db):
    seeded = await evening_team(db, fake, members=("Alice", "Bob"), at=time(19, 59))
    await answer(db, seeded, "Maria")
    alice, bob = seeded.people["Alice"], seeded.people["Bob"]
    # Half a second before quiet hours, Alice's chat refuses for longer than the rate limiter
    # retries: waiting out the 429 would end inside them.
    half_a_second_before = datetime(2030, 11, 25, 19, 59, 59, 500000, tzinfo=UTC)
    clock = Clock(half_a_second_before)
    fake.fail_next("sendMessage", error_code=429, retry_after=1, times=4, chat_id=alice)
    async with running_bot(fake, db.url, clock=clock) as app:
        outcome = await jobs.run_slot(
            app, seeded.team_id, REMINDER, "2030-W48-mon", half_a_second_before
        )
        assert (outcome.report.sent, outcome.report.deferred) == (1, 1)
        assert outcome.deferred_until == NEXT_MORNING
        assert len(reminders_to(bob)) == 1 and not reminders_to(alice)
        logged = {d.recipient_chat_id for d in await deliveries_of(db, DeliveryKind.REMINDER)}
        assert logged == {bob.user_id}, "Alice's claim was given back, not left pending"

        clock.now = NEXT_MORNING
        await fire(app, f"after-quiet-hours:reminders:team:{seeded.team_id}")
    assert len(reminders_to(alice)) == 1 and len(reminders_to(bob)) == 1
    fake.clear_rejected_calls()


async def test_a_resent_claim_is_never_taken_a_third_time(fake, db):
    seeded = await seed_team(db, fake, members=("Alice",))
    await answer(db, seeded, "Maria")
    async with db.sessions() as session:
        session.add(
            Delivery(
                kind=DeliveryKind.REMINDER,
                period=team_period(seeded.team_id, "2030-W48-mon"),
                recipient_chat_id=seeded.people["Alice"].user_id,
                team_id=seeded.team_id,
                status="resending",
                created_at=utcnow() - timedelta(hours=1),
            )
        )
        await session.commit()
    async with running_bot(fake, db.url) as app:
        outcome = await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W48-mon", MONDAY)
    assert outcome.report.already_logged == 1 and not reminders_to(seeded.people["Alice"])


async def test_operator_run_job_never_double_sends(fake, db, capsys):
    seeded = await seed_team(db, fake, members=("Alice",), timezone="Europe/Madrid")
    settings = settings_for(fake, db.url)
    now = MONDAY + timedelta(hours=2)
    assert await cli.run_job_now(settings, REMINDER, seeded.team_id, now) == 0
    assert await cli.run_job_now(settings, REMINDER, seeded.team_id, now) == 0
    first, second = capsys.readouterr().out.strip().splitlines()
    assert "2030-W48-mon (started): 2 sent" in first
    assert "already done, nothing sent" in second
    assert len(reminders_to(seeded.people["Alice"])) == 1

    assert await cli.list_jobs(settings) == 0
    listing = capsys.readouterr().out
    assert "Europe/Madrid" in listing and "Front desk <North>" in listing


# --- flood limits ------------------------------------------------------------------------------


async def test_a_429_storm_slows_a_run_down_but_loses_nothing(fake, db):
    names = tuple(f"Member {n}" for n in range(35))
    seeded = await seed_team(db, fake, members=names)
    members = [seeded.people[name] for name in names]
    await answer(db, seeded, "Maria")
    fake.flood_limit(per_second_total=30, per_chat_per_second=1)
    # On top of the flood limit, one chat refuses longer than the rate limiter's 3 retries.
    fake.fail_next("sendMessage", error_code=429, retry_after=1, times=4, chat_id=members[7])
    async with running_bot(fake, db.url) as app:
        outcome = await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W48-mon", MONDAY)
    refused = fake.clear_rejected_calls()
    assert sum(1 for call in refused if call.error_code == 429) >= 4
    assert outcome.report.sent == len(members) and outcome.report.failed == 0
    assert outcome.report.retried_after_429 >= 1  # one outlived the limiter and was waited out
    assert all(len(reminders_to(member)) == 1 for member in members)


# --- /schedule ---------------------------------------------------------------------------------


async def test_schedule_shows_and_changes_settings_and_jobs(fake, db):
    clock = Clock(WEDNESDAY_NOON)
    seeded = await seed_team(db, fake, members=("Alice",), timezone="Europe/Madrid")
    maria, alice = seeded.people["Maria"], seeded.people["Alice"]
    async with running_bot(fake, db.url, clock=clock) as app:
        await maria.command("/schedule")
        overview = await maria.wait_for_message(contains="Schedules for")
        assert "Reminders: mon,thu at 10:00" in overview.text
        assert "next: Thu 28 Nov, 10:00" in overview.text
        assert "Digest: fri at 16:00" in overview.text and "next: Fri 29 Nov, 16:00" in (
            overview.text
        )

        await maria.command("/schedule", "reminders tue,fri 21:30")
        changed = await maria.wait_for_message(contains="Reminders: tue,fri at 21:30")
        # 21:30 is in the default quiet hours (20:00-08:00): Friday's run waits until Saturday.
        assert "next: Sat 30 Nov, 08:00" in changed.text
        job = job_named(app, f"reminders:team:{seeded.team_id}")
        assert jobs.planned_for(job) == datetime(2030, 11, 30, 7, 0, tzinfo=UTC)
        assert job.job.misfire_grace_time == 180 * 60

        await maria.command("/schedule", "quiet off")
        changed = await maria.wait_for_message(contains="Quiet hours: off")
        assert "next: Fri 29 Nov, 21:30" in changed.text
        await maria.command("/schedule", "timezone America/New_York")
        await maria.wait_for_message(contains="Time zone: America/New_York")
        await maria.command("/schedule", "digest-to-group on")
        await maria.wait_for_message(contains="(no group linked yet)")
        await maria.command("/schedule", "digest off")
        await maria.wait_for_message(contains="Digest: off")
        assert app.job_queue.scheduler.get_job(f"digest:team:{seeded.team_id}") is None

        for bad, reply in (
            ("reminders funday 10:00", "is not a day"),
            ("reminders mon 25:00", "is not a time"),
            ("timezone Mars/Base", "not a time zone I know"),
            ("cap 0", "from 1 to 14"),
            ("bedtime 22:00", "I don't know"),
        ):
            await maria.command("/schedule", bad)
            await maria.wait_for_message(contains=reply)

        await alice.command("/schedule")
        await alice.wait_for_message(contains="Only a team's managers")
    async with db.sessions() as session:
        team = await session.get(Team, seeded.team_id)
    assert (team.reminder_days, team.reminder_time) == ("2,5", time(21, 30))
    assert team.quiet_start is None and team.timezone == "America/New_York"
    assert team.digest_to_group and team.digest_days == ""


# --- the reader's language ---------------------------------------------------------------------


async def test_reminders_and_digests_come_in_each_readers_language(fake, db):
    seeded = await seed_team(
        db, fake, members=("Alice", "Bob", "Olga"), digest_to_group=True, language="es"
    )
    maria, bob, olga = (seeded.people[name] for name in ("Maria", "Bob", "Olga"))
    group = fake.group("Front desk chat", members=[maria, bob])
    await group.add_bot(by=maria)
    async with db.sessions() as session:
        session.add(GroupLink(chat_id=group.chat_id, team_id=seeded.team_id, title="chat"))
        # Maria chose Russian; Bob's Telegram is in English but he never chose, so the team's
        # Spanish wins; Olga chose English; Alice follows the team.
        for name, chosen, telegram in (
            ("Maria", "ru", "en"),
            ("Bob", None, "en"),
            ("Olga", "en", "ru"),
        ):
            await session.execute(
                update(Person)
                .where(Person.id == seeded.person_ids[name])
                .values(chosen_language=chosen, language_code=telegram)
            )
        await session.commit()
    await answer(db, seeded, "Alice", count=2)
    spanish, russian = PACK.translated("es"), PACK.translated("ru")
    async with running_bot(fake, db.url) as app:
        await jobs.run_slot(app, seeded.team_id, REMINDER, "2030-W48-mon", MONDAY)
        to_bob = await bob.wait_for_message(contains="Front desk <North>")
        assert f"aún te quedan {len(QUESTIONS)} preguntas" in to_bob.text
        assert f"• {spanish.areas()[0].title} — " in to_bob.text
        to_olga = await olga.wait_for_message(contains="Front desk <North>")
        assert "Hi Olga! Front desk <North>'s self-assessment still has" in to_olga.text
        to_maria = await maria.wait_for_message(contains="Front desk <North>")
        assert "для вас осталось" in to_maria.text

        await jobs.run_slot(app, seeded.team_id, DIGEST, "2030-W48", FRIDAY_DIGEST)
        digest = await maria.wait_for_message(contains="Сводка за неделю")
        assert "<b>" not in digest.text  # markup rendered, names shown as typed
        assert f"{russian.areas()[0].title}" in digest.text and "Alice" in digest.text
        in_group = await group.wait_for_message(contains="Resumen semanal")
        assert spanish.areas()[0].title in in_group.text and "Alice" not in in_group.text
    # Answers were never touched by any of this.
    async with db.sessions() as session:
        texts = (await session.execute(select(Answer.text))).scalars().all()
    assert set(texts) == {"We do it weekly."}
