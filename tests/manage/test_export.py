"""Exports: every file is generated from a real database, then opened and read back."""

from __future__ import annotations

import csv
import io
import json
import random
import re
import threading
import zipfile
from dataclasses import dataclass
from datetime import timedelta

import pypdf
import pytest
from openpyxl import load_workbook
from sqlmodel import select

from bot.core import i18n
from bot.core.runtime import RUNTIME_KEY
from bot.export.bundle import build_exports
from bot.export.csv_export import build_csv
from bot.export.data import RoundReport, gather_round_report
from bot.export.limits import ExportFile, fit_upload_limit
from bot.export.markdown import build_markdown, escape_markdown
from bot.export.pdf import build_pdf, wrap_to_width
from bot.export.rows import ANSWER_COLUMNS
from bot.export.xlsx import SHEET_TITLE_MAX, build_xlsx, sheet_title
from criteria.loader import DEFAULT_PACK_ID, load_packs
from storage.models import (
    Answer,
    AnswerAttachment,
    AnswerStatus,
    AssessmentRound,
    Consensus,
    Membership,
    Person,
    Role,
    Team,
)
from storage.types import utcnow
from tests.support import botrunner

PACK = load_packs().get(DEFAULT_PACK_ID)
QUESTIONS = PACK.questions()
FIRST_AREA = PACK.areas()[0]
NAMES = ("Alice", "Борис", "Carmen")
FORMULA = '=HYPERLINK("http://example.com","click")'
NON_LATIN = "Привет, ñandú"
HTML_LIKE = "<b>&amp;"
MULTI_LINE = "First line\nВторая строка"
STRENGTHS = "Clear offer — ясное предложение"
IMPROVEMENTS = "Measure churn every month"
OUTSIDER_TEXT = "SECRET from another team"


@dataclass(frozen=True)
class SeededTeam:
    team_id: int
    round_id: int
    names: tuple[str, ...]
    answers: int  # answers by members in the current round


async def seed_team(
    db, members: int, *, anonymous: bool = False, rounds: int = 2, seed: int = 1
) -> SeededTeam:
    """A team with named members, tricky answers, a consensus row and an earlier round.

    Also a former member and another team, whose answers must never appear in the export.
    """
    names = tuple(NAMES[i] if i < len(NAMES) else f"P{i:03d}" for i in range(members))
    async with db.sessions() as session:
        team = Team(name="Front desk / Nord", pack_id=PACK.id, anonymous_compare=anonymous)
        other_team = Team(name="Other team", pack_id=PACK.id)
        session.add_all([team, other_team])
        await session.flush()
        start = utcnow() - timedelta(days=120)
        earlier = [
            AssessmentRound(
                team_id=team.id,
                name=f"Round {n}",
                pack_id=PACK.id,
                pack_version=PACK.version,
                started_at=start + timedelta(days=30 * n),
                closed_at=start + timedelta(days=30 * n + 20),
            )
            for n in range(1, rounds)
        ]
        current = AssessmentRound(
            team_id=team.id,
            name=f"Round {rounds}",
            pack_id=PACK.id,
            pack_version=PACK.version,
            started_at=start + timedelta(days=30 * rounds),
        )
        other_round = AssessmentRound(
            team_id=other_team.id, name="Theirs", pack_id=PACK.id, pack_version=PACK.version
        )
        people = [
            Person(telegram_user_id=seed * 100_000 + i, first_name=n) for i, n in enumerate(names)
        ]
        former = Person(telegram_user_id=seed * 100_000 + 99_999, first_name="Zed Former")
        stranger = Person(telegram_user_id=seed * 100_000 + 99_998, first_name="Olga Other")
        session.add_all([*earlier, current, other_round, *people, former, stranger])
        await session.flush()
        session.add_all(
            Membership(
                team_id=team.id,
                person_id=p.id,
                role=Role.MANAGER if i == 0 else Role.MEMBER,
            )
            for i, p in enumerate(people)
        )
        session.add(Membership(team_id=other_team.id, person_id=stranger.id))

        answers = []
        for index, person in enumerate(people):
            for number, question in enumerate(QUESTIONS):
                answers.append(_answer(current.id, person.id, index, number, question.id))
            if earlier:  # the previous round: the first area answered, all rated "reacting"
                answers += [
                    Answer(
                        round_id=earlier[-1].id,
                        person_id=person.id,
                        question_id=q.id,
                        text="earlier",
                        rating="reacting",
                    )
                    for q in FIRST_AREA.questions
                ]
        answers.append(
            Answer(
                round_id=current.id,
                person_id=former.id,
                question_id=QUESTIONS[0].id,
                text="Zed Former's words",
            )
        )
        answers.append(
            Answer(
                round_id=other_round.id,
                person_id=stranger.id,
                question_id=QUESTIONS[0].id,
                text=OUTSIDER_TEXT,
            )
        )
        session.add_all(answers)
        session.add(
            Consensus(
                round_id=current.id,
                area_id=FIRST_AREA.id,
                agreed_rating="aligned",
                vote_counts=json.dumps({"aligned": 2, "integrated": 1}),
                strengths=STRENGTHS,
                improvements=IMPROVEMENTS,
            )
        )
        await session.commit()
    return SeededTeam(team.id, current.id, names, members * len(QUESTIONS))


def _answer(round_id: int, person_id: int, index: int, number: int, question_id: str) -> Answer:
    """The first question carries the tricky texts; the second the other statuses."""
    if number == 0:
        text = {0: FORMULA, 1: NON_LATIN, 2: HTML_LIKE}.get(index, f"Answer {index}")
        return Answer(
            round_id=round_id,
            person_id=person_id,
            question_id=question_id,
            text=text,
            rating=("aligned", "integrated")[index % 2],
        )
    if number == 1 and index in (0, 1):
        status = AnswerStatus.SKIPPED if index == 0 else AnswerStatus.NOT_MY_AREA
        return Answer(
            round_id=round_id, person_id=person_id, question_id=question_id, status=status
        )
    if number == 1 and index == 2:
        return Answer(
            round_id=round_id,
            person_id=person_id,
            question_id=question_id,
            text=MULTI_LINE,
            attachments=[
                AnswerAttachment(kind="photo", file_id="photo-1", name=None),
                AnswerAttachment(kind="document", file_id="doc-1", name="board.pdf"),
            ],
        )
    return Answer(
        round_id=round_id,
        person_id=person_id,
        question_id=question_id,
        text=f"Answer {index}/{number}",
        rating="early_systematic",
    )


async def report_of(db, seeded: SeededTeam) -> RoundReport:
    async with db.sessions() as session:
        return await gather_round_report(session, PACK, seeded.team_id, seeded.round_id)


def files_by_suffix(files: list[ExportFile]) -> dict[str, bytes]:
    return {file.filename.rsplit(".", 1)[1]: file.content for file in files}


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    # Lines wrap anywhere in a PDF: compare with all whitespace collapsed.
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def workbook_texts(content: bytes) -> str:
    workbook = load_workbook(io.BytesIO(content))
    return "\n".join(
        str(cell.value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    )


def one_line(text: str) -> str:
    return " ".join(text.split())


# --- gathering ------------------------------------------------------------------------------


async def test_gathering_costs_the_same_for_3_and_50_members(db):
    small = await seed_team(db, 3, seed=1)
    big = await seed_team(db, 50, seed=2)
    async with db.sessions() as session:
        with db.statements.measure() as small_cost:
            small_report = await gather_round_report(session, PACK, small.team_id, small.round_id)
        small_count = small_cost.count
        with db.statements.measure() as big_cost:
            big_report = await gather_round_report(session, PACK, big.team_id, big.round_id)
        big_count = big_cost.count
    # team, rounds, members, answers, consensus, the previous round's answers, the scores and
    # the agreed scores, the improvement plan's themes and actions, and the previous round's
    # results and done actions
    assert small_count == big_count == 13
    assert len(small_report.members) == 3 and len(big_report.members) == 50
    assert len(big_report.answers) == big.answers  # the former member's answer is left out
    assert len(big_report.previous_answers) == 50 * len(FIRST_AREA.questions)


async def test_a_round_of_another_team_is_refused(db):
    seeded = await seed_team(db, 3)
    other = await seed_team(db, 3, seed=3)
    async with db.sessions() as session:
        with pytest.raises(LookupError):
            await gather_round_report(session, PACK, seeded.team_id, other.round_id)


# --- the files ------------------------------------------------------------------------------


async def test_spreadsheet_has_summary_area_and_raw_sheets_with_text_kept_as_text(db):
    seeded = await seed_team(db, 3)
    content = build_xlsx(await report_of(db, seeded))
    workbook = load_workbook(io.BytesIO(content))

    area_titles = [area.title for area in PACK.areas()]
    assert workbook.sheetnames == [
        "Summary",
        "Trends",
        "Scorebook",
        "Perception gap",
        *area_titles,
        "Raw answers",
    ]
    for title in workbook.sheetnames:
        assert len(title) <= SHEET_TITLE_MAX and not re.search(r"[\[\]:*?/\\]", title)

    area = workbook[FIRST_AREA.title]
    # Managers first, then by name.
    assert [c.value for c in area[1]] == ["#", "Question", "Alice", "Carmen", "Борис", "Ratings"]
    assert area.freeze_panes == "C2"
    assert area["B2"].value == QUESTIONS[0].text
    formula_cell = area["C2"]
    assert formula_cell.value.startswith(FORMULA) and formula_cell.data_type == "s"
    assert formula_cell.quotePrefix
    assert area["D2"].value.startswith(HTML_LIKE)
    assert area["E2"].value.startswith(NON_LATIN)
    assert "Rating: Integrated approaches" in area["E2"].value
    assert area["C3"].value == "(skipped)" and area["E3"].value == "(not my area)"
    assert area["D3"].value == f"{MULTI_LINE}\n\nAttachment: photo; document: board.pdf"
    assert area["C2"].alignment.wrap_text
    assert area.column_dimensions["B"].width >= 40
    texts = workbook_texts(content)
    assert STRENGTHS in texts and IMPROVEMENTS in texts

    summary = workbook["Summary"]
    rows = [[cell.value for cell in row] for row in summary.iter_rows()]
    first_area_row = next(row for row in rows if row[1] == FIRST_AREA.title)
    assert "Aligned approaches" in first_area_row  # the agreed rating
    assert summary.freeze_panes is not None

    raw = workbook["Raw answers"]
    assert [c.value for c in raw[1]][:10] == list(ANSWER_COLUMNS[:10])
    assert raw.max_row == 1 + seeded.answers
    raw_formula = next(r for r in raw.iter_rows(min_row=2) if r[7].value == FORMULA)[7]
    assert raw_formula.data_type == "s"
    assert "Zed Former" not in texts and OUTSIDER_TEXT not in texts


async def test_csv_is_one_row_per_answer_with_a_bom_and_exact_text(db):
    seeded = await seed_team(db, 3)
    content = build_csv(await report_of(db, seeded))
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == (*ANSWER_COLUMNS, "Area score")
    assert len(rows) == 1 + seeded.answers
    by_member = {row[5]: row for row in rows[1:] if row[3] == QUESTIONS[0].id}
    assert by_member["Борис"][7] == NON_LATIN
    assert by_member["Carmen"][7] == HTML_LIKE
    # A formula-like answer is defused with the apostrophe spreadsheets read as "text".
    assert by_member["Alice"][7] == "'" + FORMULA
    assert by_member["Alice"][8] == "Aligned approaches"
    second = {row[5]: row for row in rows[1:] if row[3] == QUESTIONS[1].id}
    assert second["Alice"][6] == "Skipped" and second["Борис"][6] == "Not my area"
    assert second["Carmen"][7] == MULTI_LINE and second["Carmen"][9] == "photo; document: board.pdf"
    assert rows[1][0] == "Round 2" and rows[1][4] == QUESTIONS[0].text
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d[+-]\d\d:\d\d", rows[1][10])
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert "Zed Former" not in content.decode("utf-8-sig")


async def test_pdf_report_has_questions_answers_consensus_trends_and_charts(db):
    seeded = await seed_team(db, 3)
    content = build_pdf(await report_of(db, seeded))
    text = pdf_text(content)

    assert one_line(QUESTIONS[0].text) in text
    for answer in (FORMULA, NON_LATIN, HTML_LIKE, "Вторая строка"):
        assert answer in text
    assert "Agreed rating: Aligned approaches" in text
    assert STRENGTHS in text and IMPROVEMENTS in text
    assert "Opportunities for improvement" in text
    assert "Trends" in text and "What changed from Round 1 to Round 2" in text
    assert "Борис" in text and "Member 1" not in text
    assert OUTSIDER_TEXT not in text and "Zed Former" not in text
    images = [image for page in pypdf.PdfReader(io.BytesIO(content)).pages for image in page.images]
    assert len(images) == 2  # ratings by area, and the trend chart


async def test_markdown_report_escapes_markup_and_keeps_the_content(db):
    seeded = await seed_team(db, 3)
    markdown = build_markdown(await report_of(db, seeded))
    assert markdown.startswith("# Self-assessment: Front desk / Nord")
    assert "## Trends" in markdown and "## Summary" in markdown
    assert f"### {FIRST_AREA.title}" in markdown
    assert escape_markdown(HTML_LIKE) == r"\<b\>\&amp;" and r"> \<b\>\&amp;" in markdown
    assert f"> {NON_LATIN}" in markdown
    assert "> First line\\\n> Вторая строка" in markdown  # a hard line break is kept
    assert STRENGTHS in markdown and "**Agreed rating:** Aligned approaches" in markdown


async def test_anonymous_team_exports_hide_every_name(db):
    seeded = await seed_team(db, 3, anonymous=True)
    report = await report_of(db, seeded)
    files = files_by_suffix(build_exports(report))
    texts = {
        "xlsx": workbook_texts(files["xlsx"]),
        "csv": files["csv"].decode("utf-8-sig"),
        "pdf": pdf_text(files["pdf"]),
        "md": files["md"].decode(),
    }
    for kind, text in texts.items():
        for name in NAMES:
            assert name not in text, f"{name} shown in the {kind} export"
        assert "Member 1" in text and "Member 3" in text, kind
    assert NON_LATIN in texts["pdf"]  # the words stay, only who said them goes


async def test_a_first_round_says_trends_come_later(db):
    seeded = await seed_team(db, 3, rounds=1)
    report = await report_of(db, seeded)
    assert report.previous_round is None and report.previous_answers == ()
    assert "Trends" not in load_workbook(io.BytesIO(build_xlsx(report))).sheetnames
    assert "trends appear once there are two" in build_markdown(report)


async def test_trends_compare_completion_and_ratings_with_the_previous_round(db):
    seeded = await seed_team(db, 3)
    report = await report_of(db, seeded)
    workbook = load_workbook(io.BytesIO(build_xlsx(report)))
    rows = workbook["Trends"].iter_rows(min_row=2, values_only=True)
    trends = {row[0]: row for row in rows}
    # Earlier: only the first area, all "reacting" (1); now: every question answered or
    # declared not-my-area except one skip, rated mostly "early systematic" (2).
    first = trends[FIRST_AREA.title]
    assert first[1] == 1.0 and first[4] == 1.0 and first[5] > 1.0
    last = trends[PACK.areas()[-1].title]
    assert last[1] == 0.0 and last[2] == 1.0 and last[4] is None and last[5] == 2.0


# --- pieces ---------------------------------------------------------------------------------


def test_sheet_titles_are_valid_and_unique():
    taken = {"history"}
    titles = [
        sheet_title("Governance and responsibility to society", taken),
        sheet_title("Governance and responsibility to society!", taken),
        sheet_title("Plans: [draft] a/b\\c*?", taken),
        sheet_title("'quoted'", taken),
        sheet_title("History", taken),
        sheet_title("   ", taken),
    ]
    assert titles[0] == "Governance and responsibility t"
    assert titles[1] == "Governance and responsibili (2)"
    assert titles[2] == "Plans- -draft- a-b-c--"
    assert titles[3] == "quoted"
    assert titles[4] == "History (2)"
    assert titles[5] == "Sheet"
    assert all(len(title) <= SHEET_TITLE_MAX for title in titles)


def test_markdown_escaping_keeps_text_literal():
    assert escape_markdown("# not a heading") == r"\# not a heading"
    assert escape_markdown("- item\n1. step\n> quote") == "\\- item\n1\\. step\n\\> quote"
    assert escape_markdown("3.5 is -2 or +1, a_b *c* [d](e) | f") == (
        r"3.5 is -2 or +1, a\_b \*c\* \[d\](e) \| f"
    )


def test_a_file_over_the_limit_is_zipped_and_then_split():
    big = ExportFile("answers.csv", "Привет, ñandú;".encode() * 20_000, "Answers (CSV)")
    assert fit_upload_limit(big, big.size) == [big]

    zipped = fit_upload_limit(big, big.size - 1)
    assert [f.filename for f in zipped] == ["answers.csv.zip"]
    assert "zip" in zipped[0].note and zipped[0].size < big.size
    assert zipfile.ZipFile(io.BytesIO(zipped[0].content)).read("answers.csv") == big.content

    noise = random.Random(6).randbytes(100_000)  # random bytes do not compress
    incompressible = ExportFile("report.pdf", noise, "Report (PDF)")
    parts = fit_upload_limit(incompressible, 30_000)
    assert [p.filename for p in parts] == [f"report.pdf.zip.{n:03d}" for n in range(1, 5)]
    assert all(p.size <= 30_000 for p in parts)
    assert "4 parts" in parts[0].note and "part 1" in parts[0].note
    joined = b"".join(p.content for p in parts)
    assert zipfile.ZipFile(io.BytesIO(joined)).read("report.pdf") == incompressible.content


async def test_every_export_file_respects_a_small_limit(db):
    seeded = await seed_team(db, 3)
    files = build_exports(await report_of(db, seeded), upload_limit=40_000)
    assert all(file.size <= 40_000 for file in files)
    assert any(file.note for file in files)


# --- through Telegram -----------------------------------------------------------------------


async def test_export_command_sends_the_files_to_a_manager_and_refuses_a_member(fake, db):
    invite = re.compile(r"\?start=([A-Za-z0-9_-]+)")
    async with botrunner.running_bot(fake, db.url):
        manager = fake.person("Maria")
        await manager.command("/newteam", "Desk <North> & Co baldrige-customer-management")
        created = await manager.wait_for_message(contains="is ready")
        token = invite.search(created.text).group(1)

        member = fake.person("Борис")
        await member.command("/start", token)
        await member.wait_for_message(contains=QUESTIONS[0].text)
        await member.send(NON_LATIN)
        await member.wait_for_message(contains="Saved")

        await member.command("/export")
        refusal = await member.wait_for_message(contains="Only managers")
        assert "Desk <North> & Co" in refusal.text
        assert not any(message.document for message in member.messages)

        await manager.command("/export")
        documents = [
            await manager.wait_for_message(lambda m: m.document is not None, timeout=30)
            for _ in range(4)
        ]
    names = [document.document.filename for document in documents]
    assert [name.rsplit(".", 1)[1] for name in names] == ["xlsx", "csv", "pdf", "md"]
    assert all(name.startswith("Desk-North-Co-Round-1-") for name in names)
    assert "Desk <North> & Co · Round 1" in documents[0].text  # the caption, shown as typed
    rows = list(csv.reader(io.StringIO(documents[1].document.data.decode("utf-8-sig"))))
    assert [(row[5], row[7]) for row in rows[1:]] == [("Борис", NON_LATIN)]
    assert NON_LATIN in pdf_text(documents[2].document.data)


async def test_building_an_export_does_not_hold_up_other_people(fake, db):
    release = threading.Event()

    def build_when_released(*args):
        # Blocks its thread until the test has seen someone else answered meanwhile; on the
        # event loop it would block everyone, and the newcomer below would wait in vain.
        assert release.wait(10), "the export was never released"
        return build_exports(*args)

    try:
        async with botrunner.running_bot(fake, db.url) as app:
            app.bot_data[RUNTIME_KEY].build_export_files = build_when_released
            manager = fake.person("Maria")
            await manager.command("/newteam", "Desk baldrige-customer-management")
            await manager.wait_for_message(contains="is ready")
            await manager.command("/export")
            await manager.wait_for_message(contains="Preparing")

            newcomer = fake.person("Nina")
            await newcomer.command("/start")
            await newcomer.wait_for_message(contains="invite link")
            release.set()
            await manager.wait_for_message(lambda m: m.document is not None, timeout=30)
    finally:
        release.set()


def test_pdf_text_wraps_on_words_and_cuts_only_words_longer_than_a_line():
    def one_unit(char: str) -> float:
        return 1.0

    text = "a bb ccc\n\nhttps://example.com/very/long end"
    lines = wrap_to_width(text, 6, one_unit)
    assert lines == ["a bb", "ccc", "", "https:", "//exam", "ple.co", "m/very", "/long", "end"]
    assert all(len(line) <= 6 for line in lines)
    assert wrap_to_width("keep  two spaces", 100, one_unit) == ["keep  two spaces"]


# --- the reader's language ------------------------------------------------------------------


async def test_export_speaks_the_managers_language_and_keeps_answers_as_typed(fake, db):
    invite = re.compile(r"\?start=([A-Za-z0-9_-]+)")
    async with botrunner.running_bot(fake, db.url):
        manager = fake.person("Мария", language_code="ru")
        await manager.command("/newteam", "Касса baldrige-customer-management")
        created = await manager.wait_for_message(contains="?start=")
        member = fake.person("Ben", language_code="en")
        await member.command("/start", invite.search(created.text).group(1))
        await member.wait_for_message(contains=QUESTIONS[0].text)
        await member.send(HTML_LIKE)
        await member.wait_for_message(contains="Saved")

        await manager.command("/export")
        documents = [
            await manager.wait_for_message(lambda m: m.document is not None, timeout=30)
            for _ in range(4)
        ]
    russian = PACK.translated("ru")
    question = russian.questions()[0]
    assert documents[0].text.startswith("Таблица (XLSX)")  # the caption

    rows = list(csv.reader(io.StringIO(documents[1].document.data.decode("utf-8-sig"))))
    assert rows[0][:8] == [
        "Раунд",
        "Категория",
        "Область",
        "ID вопроса",
        "Вопрос",
        "Участник",
        "Статус",
        "Ответ",
    ]
    assert [(row[4], row[5], row[6], row[7]) for row in rows[1:]] == [
        (question.text, "Ben", "Отвечено", HTML_LIKE)
    ]

    workbook = load_workbook(io.BytesIO(documents[0].document.data))
    assert workbook.sheetnames[0] == "Итоги" and workbook.sheetnames[-1] == "Все ответы"
    assert sheet_title(russian.areas()[0].title, set()) in workbook.sheetnames

    text = pdf_text(documents[2].document.data)
    assert "Самооценка: Касса" in text and "Сильные стороны" in text
    assert one_line(question.text) in text and HTML_LIKE in text
    markdown = documents[3].document.data.decode()
    assert "## Итоги" in markdown and "## Динамика" in markdown
    assert "Self-assessment" not in markdown and "Summary" not in markdown


async def test_anonymous_export_names_members_in_the_readers_language(db):
    seeded = await seed_team(db, 3, anonymous=True)
    with i18n.use_language("es"):
        async with db.sessions() as session:
            report = await gather_round_report(
                session, PACK.translated("es"), seeded.team_id, seeded.round_id
            )
        files = files_by_suffix(build_exports(report))
    rows = list(csv.reader(io.StringIO(files["csv"].decode("utf-8-sig"))))
    assert rows[0][5] == "Miembro"
    assert {row[5] for row in rows[1:]} == {"Miembro 1", "Miembro 2", "Miembro 3"}
    assert "Respondida" in {row[6] for row in rows[1:]}
    markdown = files["md"].decode()
    assert markdown.startswith("# Autoevaluación: Front desk / Nord")
    assert "Miembro 1, 2…" in markdown and "Member" not in markdown


# --- earlier rounds -------------------------------------------------------------------------


async def test_a_manager_chooses_an_earlier_round_and_nobody_else_can(fake, bot, db):
    invite = re.compile(r"\?start=([A-Za-z0-9_-]+)")
    manager = fake.person("Maria")
    await manager.command("/newteam", "Desk baldrige-customer-management")
    created = await manager.wait_for_message(contains="is ready")
    member = fake.person("Ben")
    await member.command("/start", invite.search(created.text).group(1))
    await member.wait_for_message(contains=QUESTIONS[0].text)
    await member.send("Words of the first round")
    await member.wait_for_message(contains="Saved")
    await manager.command("/round", "new Spring <2027>")
    await manager.wait_for_message(contains="is open for")

    await manager.command("/export")
    choice = await manager.wait_for_message(contains="Which round of Desk")
    labels = choice.button_texts
    assert labels[0] == "Spring <2027> · open" and labels[1].startswith("Round 1 · closed ")
    forged = choice.buttons[1][0][1]
    await manager.press(choice, labels[1])
    documents = [
        await manager.wait_for_message(lambda m: m.document is not None, timeout=30)
        for _ in range(4)
    ]
    assert "Desk · Round 1" in documents[0].text
    rows = list(csv.reader(io.StringIO(documents[1].document.data.decode("utf-8-sig"))))
    assert [(row[0], row[5], row[7]) for row in rows[1:]] == [
        ("Round 1", "Ben", "Words of the first round")
    ]

    assert choice.buttons == []  # the choice is used up
    # The same button, forged by the member or by a manager of another team: refused.
    await member.press_data(member.messages[-1], forged)
    other = fake.person("Olga")
    await other.command("/newteam", "Other baldrige-customer-management")
    ready = await other.wait_for_message(contains="is ready")
    await other.press_data(ready, forged)
    await fake.wait_until(lambda: len([a for a in fake.callback_answers if a.show_alert]) == 2)
    refusals = [a.text for a in fake.callback_answers if a.show_alert]
    assert refusals == ["Only the team's managers can export this round."] * 2
    assert not any(m.document for m in member.messages + other.messages)


async def test_characters_the_pdf_font_lacks_are_marked_and_kept_elsewhere(db):
    seeded = await seed_team(db, 3)
    chinese, emoji = "我们每周开会", "Great 👍 team"
    async with db.sessions() as session:
        rows = await session.execute(select(Answer).where(Answer.round_id == seeded.round_id))
        answers = [a for a in rows.scalars() if a.question_id == QUESTIONS[2].id][:2]
        answers[0].text, answers[1].text = chinese, emoji
        await session.commit()
    files = files_by_suffix(build_exports(await report_of(db, seeded)))
    text = pdf_text(files["pdf"])
    assert "□□□□□□" in text and "Great □ team" in text
    assert "they appear as □ here" in text  # the reader is told, once, near the top
    assert text.count("they appear as □ here") == 1
    for kind in ("csv", "md"):
        content = files[kind].decode("utf-8-sig")
        assert chinese in content and emoji in content
    assert chinese in workbook_texts(files["xlsx"])


async def test_a_report_the_font_covers_has_no_remark_about_characters(db):
    seeded = await seed_team(db, 3)
    assert "□" not in pdf_text(build_pdf(await report_of(db, seeded)))
