"""The perception gap beyond scores: how managers and members rate an area's maturity and how
much of it they answered, side by side, in the group's /gap and the managers' private /gap; each
side hidden below the anonymity threshold; statements bounded for 3 people and for 30.

Through the fake Bot API on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import update

from storage.models import Answer, AssessmentRound, Membership, Person, Score, Team
from tests.support.groups import (
    AREAS,
    answer_first,
    linked_group,
    person_id,
    stored,
    team_with_members,
)


async def test_gap_shows_maturity_and_completion_per_side(fake, bot, db):
    maria, _token, (ana, ben, dan) = await team_with_members(fake, "Ana", "Ben", "Dan")
    group = await linked_group(fake, maria)
    for someone in (ana, ben, dan):
        group.join_silently(someone)
    await maria.command("/anonymous", "threshold 2", chat=group)
    await group.wait_for_message(contains="Comparisons show names")
    async with db.sessions() as session:
        await session.execute(
            update(Membership)
            .where(Membership.person_id == await person_id(db, dan))
            .values(role="manager")
        )
        await session.commit()

    # Only members have rated so far: the managers' side says how many more it needs.
    await answer_first(ana, "We react", 0)
    await ben.command("/gap", chat=group)
    early = await group.wait_for_message(contains="How managers and members")
    assert "Maturity: members 🔒 1 more rater needed · managers 🔒 2 more raters needed" in (
        early.text
    )

    await answer_first(ben, "Some routine", 1)
    await answer_first(maria, "A plan", 2, manager=True)
    await answer_first(dan, "Reviewed monthly", 3)
    await ben.command("/gap", chat=group)
    gap = await group.wait_for_message(contains="How managers and members")
    first = gap.text[gap.text.index(AREAS[0].title) :].split("\n\n")[0]
    # Members: Reacting and Early systematic (the lower middle); managers: Aligned, Integrated.
    assert (
        "Maturity: members Reacting to problems · managers Aligned approaches · gap +2 steps"
        in first
    )
    share = round(100 / len(AREAS[0].questions))
    assert f"Answered: members {share} % · managers {share} % · gap +0 points" in first
    assert "2 more members need to score it" in first  # nobody scored yet

    # The managers' private /gap says the same; members are refused it.
    await maria.command("/gap")
    private = await maria.wait_for_message(contains="How managers and members")
    assert "managers Aligned approaches · gap +2 steps" in private.text
    await ben.command("/gap")
    await ben.wait_for_message(contains="Only the team's managers")

    # In Spanish too.
    await maria.command("/language", "team es")
    await maria.wait_for_message(contains="es")
    await ben.command("/gap", chat=group)
    spanish = await group.wait_for_message(contains="Cómo puntúan")
    assert "brecha de +2 pasos" in spanish.text


async def test_gap_statements_do_not_grow_with_the_team(fake, bot, db):
    maria, _token, (ana, _ben) = await team_with_members(fake, "Ana", "Ben")
    group = await linked_group(fake, maria)
    await answer_first(ana, "We react", 0)

    async def gap_statements():
        with db.statements.measure() as cost:
            await maria.command("/gap", chat=group)
            await group.wait_for_message(contains="How managers and members")
        await maria.command("/gap")
        shown = await maria.wait_for_message(contains="How managers and members")
        return cost.count, shown

    small, _shown = await gap_statements()
    # 27 more people, each with answers and a score of the first area.
    (team,) = await stored(db, Team)
    (round_,) = await stored(db, AssessmentRound)
    area = AREAS[0]
    async with db.sessions() as session:
        for index in range(27):
            person = Person(telegram_user_id=900_000 + index, first_name=f"P{index}")
            session.add(person)
            await session.flush()
            role = "manager" if index % 3 == 0 else "member"
            session.add(Membership(team_id=team.id, person_id=person.id, role=role))
            for question in area.questions:
                session.add(
                    Answer(
                        round_id=round_.id,
                        person_id=person.id,
                        question_id=question.id,
                        text="x",
                        rating="aligned",
                    )
                )
            session.add(
                Score(
                    round_id=round_.id,
                    person_id=person.id,
                    area_id=area.id,
                    dimension="overall",
                    value=50,
                    as_manager=role == "manager",
                )
            )
        await session.commit()
    large, shown_large = await gap_statements()
    assert "managers 50 %" in shown_large.text and "Aligned approaches" in shown_large.text
    assert large == small
