"""Scores in every export file: the scorebook and gap sheets, the CSV's area score, and the
report opening with the agreed scores, their spread, the gap and the trend across rounds; in
English and in Spanish, and without names for an anonymous team."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pypdf
from openpyxl import load_workbook

from bot.core import i18n
from bot.export.bundle import build_exports
from bot.export.data import gather_round_report
from criteria.loader import DEFAULT_PACK_ID, load_packs
from storage.models import (
    AgreedScore,
    Answer,
    AssessmentRound,
    Consensus,
    Membership,
    Person,
    Role,
    Score,
    Team,
)
from storage.types import utcnow

PACK = load_packs().get(DEFAULT_PACK_ID)
FIRST, SECOND = PACK.areas()[0], PACK.areas()[1]
# name, manager?, score of the first area
PEOPLE = (("Ana", False, 30), ("Ben", False, 30), ("Cai", False, 35), ("Maria", True, 60))


async def seed(db, anonymous: bool = False) -> tuple[int, int]:
    async with db.sessions() as session:
        team = Team(name="Desk", pack_id=PACK.id, anonymous_compare=anonymous)
        session.add(team)
        await session.flush()
        earlier = AssessmentRound(
            team_id=team.id,
            name="Spring",
            pack_id=PACK.id,
            pack_version=PACK.version,
            started_at=utcnow() - timedelta(days=60),
            closed_at=utcnow() - timedelta(days=30),
        )
        now = AssessmentRound(
            team_id=team.id, name="Autumn", pack_id=PACK.id, pack_version=PACK.version
        )
        session.add_all([earlier, now])
        await session.flush()
        for index, (name, manager, value) in enumerate(PEOPLE):
            person = Person(telegram_user_id=500 + index, first_name=name)
            session.add(person)
            await session.flush()
            role = Role.MANAGER if manager else Role.MEMBER
            session.add(Membership(team_id=team.id, person_id=person.id, role=role))
            session.add(
                Answer(
                    round_id=now.id,
                    person_id=person.id,
                    question_id=FIRST.questions[0].id,
                    text="We plan.",
                    rating=None if manager else "aligned",
                )
            )
            session.add(
                Score(
                    round_id=now.id,
                    person_id=person.id,
                    area_id=FIRST.id,
                    dimension="overall",
                    value=value,
                    as_manager=manager,
                )
            )
        session.add(
            AgreedScore(round_id=earlier.id, area_id=FIRST.id, value=25, rationale="Early days")
        )
        session.add(
            AgreedScore(
                round_id=now.id,
                area_id=FIRST.id,
                value=40,
                rationale="Deployed, not reviewed",
                median_then=32.5,
                spread_then=30,
                scorers_then=4,
            )
        )
        session.add(
            Consensus(
                round_id=now.id, area_id=FIRST.id, strengths="Clear owners", improvements="Reviews"
            )
        )
        await session.commit()
        return team.id, now.id


async def exports(db, team_id: int, round_id: int, language: str = "en") -> dict[str, bytes]:
    with i18n.use_language(language):
        async with db.sessions() as session:
            report = await gather_round_report(
                session, PACK.translated(language), team_id, round_id
            )
        files = build_exports(report)
    return {file.filename.rsplit(".", 1)[1]: file.content for file in files}


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


async def test_every_file_carries_the_scores(db):
    files = await exports(db, *await seed(db))
    workbook = load_workbook(io.BytesIO(files["xlsx"]))
    book = [[c.value for c in row] for row in workbook["Scorebook"].iter_rows()]
    assert book[0][:3] == ["Area", "Scores", "Number of scores"]
    first = next(row for row in book if row[0] == FIRST.title)
    assert first[1] == "Ana 30 %, Ben 30 %, Cai 35 %, Maria 60 %"
    assert first[2:9] == [4, 32.5, 30, 60, 30, 40, "Deployed, not reviewed"]
    assert first[9:] == ["Clear owners", "Reviews"]
    gap = [[c.value for c in row] for row in workbook["Perception gap"].iter_rows()]
    gap_first = next(row for row in gap if row[0] == FIRST.title)
    # Three members; the threshold is three, so the one manager is not shown.
    assert gap_first[:6] == [FIRST.title, 30, None, None, 3, 1]
    # Maturity and completion per side: the three members show, the one manager does not.
    assert gap[0][6:] == [
        "Members' maturity",
        "Managers' maturity",
        "Maturity gap (steps)",
        "Members' completion (%)",
        "Managers' completion (%)",
        "Completion gap (points)",
    ]
    share = round(100 / len(FIRST.questions), 1)
    assert gap_first[6:] == ["Aligned approaches", None, None, share, None, None]

    rows = list(csv.reader(io.StringIO(files["csv"].decode("utf-8-sig"))))
    assert rows[0][-1] == "Area score"
    assert {(row[5], row[-1]) for row in rows[1:]} >= {("Ana", "30"), ("Maria", "60")}

    markdown = files["md"].decode()
    assert markdown.index("## Scores") < markdown.index("## Summary")
    assert "Agreed scores across rounds" in markdown
    assert "| Spring | Autumn |" in markdown and "25 % | 40 % |" in markdown
    assert "Agreed scores across rounds" in pdf_text(files["pdf"])
    assert "### Perception gap" in markdown
    assert f"| {FIRST.title} | Aligned approaches |  | {round(share):g} % |  |" in markdown
    assert "Members' maturity" in pdf_text(files["pdf"])


async def test_the_scores_in_spanish_and_without_names(db):
    files = await exports(db, *await seed(db, anonymous=True), language="es")
    workbook = load_workbook(io.BytesIO(files["xlsx"]))
    assert "Libro de puntuaciones" in workbook.sheetnames
    book = [[c.value for c in row] for row in workbook["Libro de puntuaciones"].iter_rows()]
    first = next(row for row in book if row[0] == PACK.translated("es").areas()[0].title)
    assert "Ana" not in first[1] and "Miembro" in first[1]
    markdown = files["md"].decode()
    assert "## Puntuaciones" in markdown and "Puntuaciones acordadas por ronda" in markdown
    assert "Ana" not in markdown and "Maria" not in markdown
    assert "Enfoques alineados" in markdown  # the members' maturity, in Spanish
