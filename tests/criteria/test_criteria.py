"""Tests for the criteria package: shipped packs, the Pack helpers, the loader's problem reports
and the `python -m criteria` command line. No database, no Telegram."""

from __future__ import annotations

import pickle
import re
import shutil
import subprocess
import sys
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest
import yaml

from criteria import (
    DEFAULT_PACK_ID,
    MATURITY_LEVELS,
    Area,
    Category,
    Pack,
    PackError,
    Problem,
    Question,
    load_pack,
    load_packs,
)
from criteria.loader import PACKS_DIR

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_PACKS = Path(__file__).resolve().parents[1] / "data" / "packs"
# A verbatim copy of the source document the customer pack was built from
# (/work/shared/seed/baldrige-customer-management-systems.txt).
SEED = TEST_PACKS / "seed-baldrige-customer-management-systems.txt"
CUSTOMER_PACK = PACKS_DIR / "baldrige-customer-management.yaml"
ORGANISATION_PACK = PACKS_DIR / "baldrige-organisation.yaml"


def parse_seed() -> tuple[list[tuple[str, list[str]]], list[str]]:
    """([(area heading, [question, ...]), ...], [note, ...]) in the order of the document."""
    areas: list[tuple[str, list[str]]] = []
    notes: list[str] = []
    for line in SEED.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("Under "):
            areas.append((stripped.removeprefix("Under "), []))
        elif stripped.startswith("- ") and areas:
            areas[-1][1].append(stripped.removeprefix("- "))
        elif note := re.fullmatch(r"\d+\. (.+)", stripped):
            notes.append(note.group(1))
    return areas, notes


def write_pack(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def minimal_pack(**changes: object) -> dict:
    """A small valid pack as plain data; `changes` replace top-level fields (None removes)."""
    pack = {
        "id": "minimal",
        "version": "1.0",
        "title": "Minimal",
        "language": "en",
        "categories": [
            {
                "id": "cat",
                "title": "Category",
                "areas": [
                    {
                        "id": "area",
                        "title": "Area",
                        "questions": [{"id": "q-1", "text": "How do you do it?"}],
                    }
                ],
            }
        ],
    }
    for name, value in changes.items():
        if value is None:
            del pack[name]
        else:
            pack[name] = value
    return pack


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(PackError) as caught:
        load_pack(path)
    return caught.value.problems


def run_cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "criteria", *arguments],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


# --- shipped packs ---------------------------------------------------------------------------


def test_shipped_packs_load_without_errors():
    registry = load_packs()
    assert registry.errors == []
    assert [pack.id for pack in registry.all()] == [DEFAULT_PACK_ID, "baldrige-organisation"]
    assert registry.get(DEFAULT_PACK_ID).id == DEFAULT_PACK_ID
    assert registry.path(DEFAULT_PACK_ID) == CUSTOMER_PACK


@pytest.mark.parametrize("path", [CUSTOMER_PACK, ORGANISATION_PACK], ids=lambda path: path.stem)
def test_every_shipped_question_has_help_and_asks_for_a_rating(path):
    pack = load_pack(path)
    for question in pack.questions():
        assert question.help, question.id
        assert question.asks_rating, question.id
        assert question.original_text != question.text, question.id


def test_customer_pack_has_the_five_areas_23_questions_and_5_notes():
    pack = load_pack(CUSTOMER_PACK)
    assert [category.title for category in pack.categories] == ["Customer Management Systems"]
    assert [area.title for area in pack.areas()] == [
        "Product offering",
        "Customer support",
        "Customer segmentation",
        "Customer relationships",
        "Complaint management",
    ]
    assert len(pack.questions()) == 23
    assert sum(len(area.notes) for area in pack.areas()) == 5
    assert "Baldrige Performance Excellence Program, 2015; Paul Smith, 2017" in pack.source


def test_customer_pack_keeps_every_seed_question_in_order_and_in_its_area():
    seed_areas, _ = parse_seed()
    pack = load_pack(CUSTOMER_PACK)
    assert len(seed_areas) == len(pack.areas())
    for (heading, seed_questions), area in zip(seed_areas, pack.areas(), strict=True):
        assert heading.lower().startswith(area.title.lower())
        source_wording = [question.original_text or question.text for question in area.questions]
        assert source_wording == seed_questions


def test_customer_pack_attaches_each_seed_note_to_the_area_it_explains():
    _, seed_notes = parse_seed()
    pack = load_pack(CUSTOMER_PACK)
    area_of_note = {
        note.original_text or note.text: area.id for area in pack.areas() for note in area.notes
    }
    assert [area_of_note[note] for note in seed_notes] == [
        "customer-relationships",
        "product-offering",
        "customer-support",
        "customer-relationships",
        "customer-relationships",
    ]


def test_customer_pack_typo_fixes_are_recorded():
    pack = load_pack(CUSTOMER_PACK)
    fixed = pack.question("support-2")
    assert fixed.text == "How do you enable customers to conduct business with you?"
    assert fixed.original_text == "How do you enable when to conduct business with you?"
    brand = next(note for note in pack.area("customer-relationships").notes if "Brand" in note.text)
    assert "builds customer loyalty" in brand.text
    assert "bills customer loyalty" in brand.original_text


def test_organisation_pack_covers_the_six_process_categories():
    pack = load_pack(ORGANISATION_PACK)
    assert [category.title for category in pack.categories] == [
        "Leadership",
        "Strategy",
        "Customers",
        "Measurement, Analysis and Knowledge Management",
        "Workforce",
        "Operations",
    ]
    for category in pack.categories:
        assert 2 <= len(category.areas) <= 3, category.id
        for area in category.areas:
            assert 2 <= len(area.questions) <= 4, area.id
    assert any(area.notes for area in pack.areas())


def test_shipped_ids_are_short():
    for path in (CUSTOMER_PACK, ORGANISATION_PACK):
        pack = load_pack(path)
        ids = [pack.id, *(area.id for area in pack.areas())]
        ids += [question.id for question in pack.questions()]
        assert all(len(element_id) <= 40 for element_id in ids)


# --- model helpers ---------------------------------------------------------------------------


def test_maturity_levels_are_the_baldrige_scale_in_order():
    assert [level.id for level in MATURITY_LEVELS] == [
        "reacting",
        "early_systematic",
        "aligned",
        "integrated",
    ]
    assert MATURITY_LEVELS[0].label == "Reacting to problems"
    assert all(level.description for level in MATURITY_LEVELS)


def test_lookup_helpers():
    pack = load_pack(CUSTOMER_PACK)
    assert pack.question("support-3").text.startswith("What are your key means")
    assert pack.area_of("support-3").id == "customer-support"
    assert pack.area("customer-support").title == "Customer support"
    assert pack.category_of("customer-support").id == "customer-management-systems"
    assert pack.question_position("support-3") == (3, 5)
    assert pack.question_position("offering-1") == (1, 4)
    assert pack.question_position("complaints-3") == (3, 3)
    assert pack.questions()[0].id == "offering-1"
    assert pack.questions()[-1].id == "complaints-3"
    for lookup in (pack.question, pack.area_of, pack.question_position):
        with pytest.raises(KeyError):
            lookup("no-such-question")
    with pytest.raises(KeyError):
        pack.area("no-such-area")
    with pytest.raises(KeyError):
        pack.category_of("no-such-area")


def test_models_are_frozen_and_packs_built_in_code_reject_duplicate_question_ids():
    question = Question(id="q", text="How?")
    with pytest.raises(FrozenInstanceError):
        question.text = "Changed"  # type: ignore[misc]
    area = Area(id="a", title="A", questions=(question, question))
    with pytest.raises(ValueError, match="duplicate question id 'q'"):
        Pack(
            id="p",
            version="1",
            title="P",
            language="en",
            categories=(Category(id="c", title="C", areas=(area,)),),
        )


def test_packs_survive_pickling():
    # The bot may keep a pack in pickled state (e.g. PTB persistence); indexes must come along.
    pack = load_pack(TEST_PACKS / "translated.yaml")
    russian = pickle.loads(pickle.dumps(pack.translated("ru")))
    assert russian == pack.translated("ru")
    assert russian.question_position("q-2") == (2, 2)
    assert russian.translated("en").question("q-1").text == "How do you do the first thing?"


def test_rating_defaults_come_from_area_then_pack():
    pack = load_pack(TEST_PACKS / "translated.yaml")
    assert pack.question("q-1").asks_rating is True  # area says true
    assert pack.question("q-2").asks_rating is False  # question overrides its area
    assert pack.question("q-3").asks_rating is False  # pack default is false


def test_translated_replaces_each_string_that_has_a_translation_and_keeps_the_rest():
    pack = load_pack(TEST_PACKS / "translated.yaml")
    russian = pack.translated("ru")
    assert pack.languages() == ("en", "ru")
    assert russian.language == "ru"
    assert russian.title == "Пример"
    assert russian.description == "A pack for tests."
    assert russian.area("first-area").title == "Первая область"
    assert russian.category_of("first-area").title == "Sample category"
    note = russian.area("first-area").notes[0]
    assert (note.title, note.text) == ("A note", "Что значит первая область.")
    assert russian.question("q-1").text == "Как вы делаете первое?"
    assert russian.question("q-1").help == "Describe the first thing."
    assert russian.question("q-2").text == "How do you do the second thing?"
    assert russian.question("q-2").help == "Опишите второе."
    assert russian.question("q-3").help is None
    assert [question.id for question in russian.questions()] == ["q-1", "q-2", "q-3"]
    assert russian.question_position("q-2") == (2, 2)
    # Original untouched, regional tags fall back, unknown languages give the original.
    assert pack.question("q-1").text == "How do you do the first thing?"
    assert pack.translated("ru-RU") is russian
    assert pack.translated("ru_RU") is russian
    assert pack.translated("de") is pack
    assert pack.translated("en") is pack
    assert russian.translated("en") is pack
    assert russian.languages() == ("en", "ru")


# --- problem reports -------------------------------------------------------------------------


def test_every_problem_in_a_file_is_reported_with_file_path_and_message():
    path = TEST_PACKS / "many-problems.yaml"
    file = str(path)
    questions = "categories[0].areas[0].questions"
    assert problems_of(path) == [
        Problem(
            file,
            "id",
            "'Many Problems' is not a valid id: use lowercase letters, digits, '-', '_' and '.', "
            "starting with a letter or digit",
        ),
        Problem(
            file, "version", "expected text, got the number 1.0; put it in quotes to make it text"
        ),
        Problem(file, "title", "must not be empty"),
        Problem(file, f"{questions}[0].rating", "expected true or false, got the text 'yes'"),
        Problem(
            file,
            f"{questions}[1].txt",
            "unknown field 'txt'; did you mean 'text'? "
            "(known fields: id, text, help, original_text, rating)",
        ),
        Problem(file, f"{questions}[1].text", "required field is missing"),
        Problem(
            file,
            f"{questions}[1].id",
            f"duplicate id 'q-1' (first used at {questions}[0].id)",
        ),
        Problem(
            file, "categories[0].areas[1].questions", "must not be empty: an area needs a question"
        ),
        Problem(
            file,
            "categories[0].areas[2].titel",
            "unknown field 'titel'; did you mean 'title'? "
            "(known fields: id, title, description, rating, notes, questions)",
        ),
        Problem(file, "categories[0].areas[2].title", "required field is missing"),
        Problem(
            file,
            "categories[0].areas[2].id",
            "duplicate id 'first-area' (first used at categories[0].areas[0].id)",
        ),
    ]


def test_pack_error_lists_one_problem_per_line():
    path = TEST_PACKS / "many-problems.yaml"
    with pytest.raises(PackError) as caught:
        load_pack(path)
    lines = str(caught.value).splitlines()
    assert len(lines) == len(caught.value.problems) == 11
    assert lines[2] == f"{path}: title: must not be empty"
    assert caught.value.file == str(path)


def test_yaml_syntax_error_gives_line_and_column():
    path = TEST_PACKS / "syntax-error.yaml"
    assert problems_of(path) == [
        Problem(
            str(path),
            "line 9, column 1",
            "YAML syntax error: expected ',' or ']', but got '<stream end>' "
            "(while parsing a flow sequence started at line 8, column 12)",
        )
    ]


def test_translation_mistakes_are_all_reported():
    path = TEST_PACKS / "bad-translations.yaml"
    assert [(problem.path, problem.message) for problem in problems_of(path)] == [
        (
            "translations.english",
            "unknown language 'english': use an ISO 639-1 code such as 'en' or 'ru', optionally "
            "with a region such as 'pt-br'",
        ),
        (
            "translations.en",
            "the pack itself is written in 'en'; translations are for other languages",
        ),
        ("translations.ru.q-01", "unknown id 'q-01'; did you mean 'q-1'?"),
        (
            "translations.ru.q-1.title",
            "unknown field 'title' (a question translation can have: text, help)",
        ),
        ("translations.ru.q-1.help", "the question has no help to translate"),
        ("translations.ru.only-area.title", "must not be empty"),
    ]


def test_repeated_yaml_key_is_reported_instead_of_silently_overwritten(tmp_path):
    text = yaml.safe_dump(minimal_pack(), sort_keys=False).replace(
        "title: Minimal\n", "title: Minimal\ntitle: Again\n", 1
    )
    path = write_pack(tmp_path, "repeated.yaml", text)
    assert problems_of(path) == [
        Problem(
            str(path),
            "line 4, column 1",
            "duplicate key 'title' (first given on line 3); only one can be kept",
        )
    ]


@pytest.mark.parametrize(
    ("changes", "path", "message"),
    [
        ({"id": None}, "id", "required field is missing"),
        ({"id": "x" * 41}, "id", f"id '{'x' * 41}' is 41 characters long; the limit is 40"),
        ({"title": ""}, "title", "must not be empty"),
        ({"title": None}, "title", "required field is missing"),
        (
            {"language": False},
            "language",
            "expected a language code such as 'en', got false (a yes/no value); put it in quotes",
        ),
        ({"language": "EN"}, "language", "write language codes in lowercase with '-': 'en'"),
        ({"categories": []}, "categories", "must not be empty: a pack needs a category"),
        ({"categories": {"id": "c"}}, "categories", "expected a list, got a mapping"),
        ({"rating": "yes"}, "rating", "expected true or false, got the text 'yes'"),
        ({"translations": {}}, "translations", "must not be empty (leave it out instead)"),
        (
            {"colour": "red"},
            "colour",
            "unknown field 'colour' (known fields: id, version, title, "
            "language, description, source, rating, categories, translations, scoring)",
        ),
    ],
)
def test_single_problem_is_reported_precisely(tmp_path, changes, path, message):
    file = write_pack(tmp_path, "pack.yaml", yaml.safe_dump(minimal_pack(**changes)))
    assert problems_of(file) == [Problem(str(file), path, message)]


def test_wrongly_shaped_elements_are_reported(tmp_path):
    pack = minimal_pack()
    area = pack["categories"][0]["areas"][0]
    area["notes"] = []
    area["questions"].append("How do you do the second thing?")
    file = write_pack(tmp_path, "pack.yaml", yaml.safe_dump(pack))
    assert problems_of(file) == [
        Problem(
            str(file),
            "categories[0].areas[0].notes",
            "must not be empty: leave the field out if the area has no notes",
        ),
        Problem(
            str(file),
            "categories[0].areas[0].questions[1]",
            "expected a question (a mapping with id, text), got the text "
            "'How do you do the second thing?'",
        ),
    ]


def test_empty_and_unreadable_files_are_reported(tmp_path):
    empty = write_pack(tmp_path, "empty.yaml", "")
    assert [problem.message for problem in problems_of(empty)] == [
        "the file is empty; a pack needs id, version, title, language and categories"
    ]
    missing = tmp_path / "missing.yaml"
    assert problems_of(missing)[0].message.startswith("cannot read the file")


def test_readme_examples_are_valid_packs(tmp_path):
    readme = (REPO_ROOT / "criteria" / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", readme, flags=re.DOTALL)
    minimal = next(block for block in blocks if block.startswith("id: "))
    translations = next(block for block in blocks if block.startswith("translations:"))
    pack = load_pack(write_pack(tmp_path, "readme.yaml", minimal + translations))
    assert pack.languages() == ("en", "ru")
    assert pack.translated("ru").question("planning-1").help == pack.question("planning-1").help


# --- registries of packs ---------------------------------------------------------------------


def test_extra_dir_with_one_good_and_one_broken_pack(tmp_path):
    shutil.copy(TEST_PACKS / "translated.yaml", tmp_path / "good.yml")
    shutil.copy(TEST_PACKS / "many-problems.yaml", tmp_path / "broken.yaml")
    # Editor lock files and other file types are not packs.
    write_pack(tmp_path, ".#good.yaml", "not: a pack")
    write_pack(tmp_path, "notes.txt", "not a pack")

    registry = load_packs(tmp_path)

    assert [pack.id for pack in registry.all()] == [
        DEFAULT_PACK_ID,
        "baldrige-organisation",
        "translated-sample",
    ]
    assert registry.path("translated-sample") == tmp_path / "good.yml"
    assert len(registry.errors) == 1
    assert registry.errors[0].file == str(tmp_path / "broken.yaml")
    assert len(registry.errors[0].problems) == 11


def test_duplicate_pack_id_is_an_error_for_the_second_file(tmp_path):
    shutil.copy(TEST_PACKS / "translated.yaml", tmp_path / "a.yaml")
    shutil.copy(TEST_PACKS / "translated.yaml", tmp_path / "b.yaml")
    write_pack(tmp_path, "c.yaml", yaml.safe_dump(minimal_pack(id="baldrige-organisation")))

    registry = load_packs(tmp_path)

    assert registry.path("translated-sample") == tmp_path / "a.yaml"
    assert registry.get("baldrige-organisation").title != "Minimal"
    assert [error.problems for error in registry.errors] == [
        [
            Problem(
                str(tmp_path / "b.yaml"),
                "id",
                f"pack id 'translated-sample' is already used by {tmp_path / 'a.yaml'}; "
                "choose another id",
            )
        ],
        [
            Problem(
                str(tmp_path / "c.yaml"),
                "id",
                f"pack id 'baldrige-organisation' is already used by {ORGANISATION_PACK}; "
                "choose another id",
            )
        ],
    ]


def test_missing_extra_dir_is_recorded_not_fatal(tmp_path):
    registry = load_packs(tmp_path / "nowhere")
    assert DEFAULT_PACK_ID in registry
    assert [str(error) for error in registry.errors] == [
        f"{tmp_path / 'nowhere'}: directory not found"
    ]


def test_unknown_pack_id_raises_key_error():
    with pytest.raises(KeyError, match="no-such-pack"):
        load_packs().get("no-such-pack")


# --- command line and boundaries -------------------------------------------------------------


def test_cli_validate_good_packs():
    result = run_cli("validate", str(CUSTOMER_PACK), str(ORGANISATION_PACK))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "OK baldrige-customer-management v1.0: 1 categories, 5 areas, 23 questions"
    assert lines[1].startswith("OK baldrige-organisation v1.0: 6 categories, ")


def test_cli_validate_reports_every_problem_and_fails():
    broken = TEST_PACKS / "many-problems.yaml"
    result = run_cli("validate", str(TEST_PACKS / "translated.yaml"), str(broken))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "OK translated-sample v0.1: 1 categories, 2 areas, 3 questions"
    assert len(lines) == 12
    assert f"{broken}: title: must not be empty" in lines


def test_cli_list_shows_packs_and_broken_extra_packs(tmp_path):
    shutil.copy(TEST_PACKS / "translated.yaml", tmp_path / "good.yaml")
    shutil.copy(TEST_PACKS / "syntax-error.yaml", tmp_path / "broken.yaml")
    result = run_cli("list", "--dir", str(tmp_path))
    assert result.returncode == 1
    assert "baldrige-customer-management v1.0 (default) [en, es, ru]" in result.stdout
    assert "translated-sample v0.1 [en, ru] Sample pack" in result.stdout
    assert f"{tmp_path / 'broken.yaml'}: line 9, column 1: YAML syntax error" in result.stdout

    assert run_cli("list").returncode == 0


def test_cli_without_a_command_is_a_usage_error():
    result = run_cli()
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_criteria_does_not_import_telegram_or_storage():
    check = (
        "import sys, criteria, criteria.__main__; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('telegram', 'storage', 'bot')]; "
        "sys.exit(f'imported {bad}' if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", check], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


# --- scoring: (criteria/scoring.py) ----------------------------------------------------------


def test_both_shipped_packs_are_scored():
    from criteria.loader import load_packs

    for pack in load_packs().all():
        assert pack.scoring is not None
        assert all(pack.scoring.scores(area.id) for area in pack.areas())


def test_scoring_problems_are_reported():
    from criteria.scoring import read_scoring

    scoring, problems = read_scoring({"mode": "adli", "areas": ["a"]}, ["a", "b"])
    assert problems == [] and scoring.per_dimension and not scoring.scores("b")
    _none, problems = read_scoring({"mode": "sometimes", "areas": ["x"], "extra": 1}, ["a"])
    assert [path for path, _message in problems] == [
        "scoring.extra",
        "scoring.mode",
        "scoring.areas[0]",
    ]
    assert read_scoring(None, ["a"]) == (None, [])
