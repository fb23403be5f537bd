"""An export of a team larger than one statement's parameters: 1,500 people, 34,500 answers.

PostgreSQL takes at most 32,767 parameters in a statement; the export once looked up the
answers' attachments with one parameter per answer and failed for such a team on PostgreSQL
(bench/scale.py found it with 2,000 people).
"""

from __future__ import annotations

from sqlalchemy import insert, select

from bot.export.data import gather_round_report
from criteria.loader import DEFAULT_PACK_ID, load_packs
from storage.models import Answer, AnswerAttachment, AssessmentRound, Membership, Person, Team

PACK = load_packs().get(DEFAULT_PACK_ID)
QUESTIONS = PACK.questions()
PEOPLE = 1_500
BATCH = 5_000


async def test_a_team_with_more_answers_than_a_statement_takes_parameters_exports(db):
    async with db.engine.begin() as connection:
        team_id = (
            await connection.execute(
                insert(Team).values(name="Whole plant", pack_id=PACK.id).returning(Team.id)
            )
        ).scalar_one()
        round_id = (
            await connection.execute(
                insert(AssessmentRound)
                .values(team_id=team_id, name="R1", pack_id=PACK.id, pack_version=PACK.version)
                .returning(AssessmentRound.id)
            )
        ).scalar_one()
        await connection.execute(
            insert(Person),
            [
                {"telegram_user_id": 9_000_000 + n, "first_name": f"Worker {n}"}
                for n in range(PEOPLE)
            ],
        )
        person_ids = (
            (await connection.execute(select(Person.id).order_by(Person.id))).scalars().all()
        )
        await connection.execute(
            insert(Membership), [{"team_id": team_id, "person_id": p} for p in person_ids]
        )
        answers = [
            {"round_id": round_id, "person_id": p, "question_id": q.id, "text": "Weekly."}
            for p in person_ids
            for q in QUESTIONS
        ]
        for start in range(0, len(answers), BATCH):
            await connection.execute(insert(Answer), answers[start : start + BATCH])
        last_answer = (
            await connection.execute(select(Answer.id).order_by(Answer.id.desc()).limit(1))
        ).scalar_one()
        await connection.execute(
            insert(AnswerAttachment).values(
                answer_id=last_answer, kind="document", file_id="f1", name="plan.pdf"
            )
        )

    async with db.sessions() as session:
        report = await gather_round_report(session, PACK, team_id, round_id)

    assert len(report.answers) == PEOPLE * len(QUESTIONS) > 32_767
    attached = [a for a in report.answers if a.attachment]
    assert [a.attachment for a in attached] == ["document: plan.pdf"]
