"""Reminders: who gets one, what it says, the weekly cap, each reader's language."""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlmodel import select

from bot.scheduled import jobs
from bot.scheduled.reminder_run import CONTINUE_LABEL
from storage.models import (
    Answer,
    GroupLink,
    Membership,
    Person,
)
from tests.support.botrunner import running_bot
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
