"""Speaking the staff's language: catalogs, pack translations, and the flow end to end.

The catalog checks read the .po files as translators edit them; the end-to-end tests drive the
real bot through the fake Bot API with people whose Telegram app is in English, Spanish or
Russian, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from sqlmodel import select

from bot.core import i18n
from bot.core.i18n import _, ngettext
from criteria.loader import load_packs
from criteria.model import MATURITY_LEVELS
from storage.models import Person
from tests.support.flows import PACK, QUESTIONS, start_team
from tests.support.groups import answer_first, linked_group, team_with_members

TRANSLATED = [language for language in i18n.SUPPORTED_LANGUAGES if language != "en"]
REPO = Path(__file__).resolve().parents[2]
# {name}, {name!r} and {0}, %(name)s, %d / %s, and HTML tags: what a translation must carry
# over intact (the validator's templates quote values from the file with !r).
PLACEHOLDER = re.compile(r"\{[a-z_0-9]*(?:![rsa])?\}|%\([a-z_]+\)[sd]|%[sd]")
HTML_TAG = re.compile(r"</?[a-z]+[^>]*>")


def read_catalog(path: Path, language: str | None = None):
    with path.open("rb") as po_file:
        return read_po(po_file, locale=language)


def template_ids() -> set:
    return {message.id for message in read_catalog(i18n.TEMPLATE_PATH) if message.id}


# --- catalogs ---------------------------------------------------------------------------------


def test_template_lists_every_text_in_the_code():
    """A text added to the code without refreshing the template would stay English everywhere."""
    # criteria/ holds the validator's problem templates, which the bot words for the reader.
    in_code = {
        message
        for folder in ("bot", "criteria")
        for _file, _line, message, _comments, _context in extract_from_dir(
            REPO / folder, method_map=[("**.py", "python")]
        )
    }
    assert in_code - template_ids() == set(), "run the pybabel commands in README (Translating)"


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalog_translates_every_text_of_the_template(language):
    catalog = read_catalog(i18n.po_path(language), language)
    problems = []
    for message_id in sorted(template_ids(), key=str):
        message = catalog.get(message_id)
        if message is None:
            problems.append(f"missing: {message_id!r}")
        elif message.fuzzy:
            problems.append(f"fuzzy: {message_id!r}")
        elif isinstance(message.id, tuple):
            forms = message.string
            if len(forms) != catalog.num_plurals or not all(form.strip() for form in forms):
                problems.append(f"plural forms incomplete: {message_id!r}")
        elif not message.string.strip():
            problems.append(f"empty: {message_id!r}")
    assert problems == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_placeholders_and_tags(language):
    def marks(text: str) -> Counter:
        return Counter(PLACEHOLDER.findall(text)) + Counter(HTML_TAG.findall(text))

    problems = []
    for message in read_catalog(i18n.po_path(language), language):
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            # Russian uses its first form for 21 as well, so every form carries the plural's marks.
            pairs = [(message.id[1], form) for form in message.string]
        else:
            pairs = [(message.id, message.string)]
        for original, translation in pairs:
            if marks(original) != marks(translation):
                problems.append(f"{original!r} -> {translation!r}")
    assert problems == []


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, "1 вопрос"), (2, "2 вопроса"), (5, "5 вопросов"), (21, "21 вопрос"), (11, "11 вопросов")],
)
def test_russian_has_three_plural_forms(count, expected):
    with i18n.use_language("ru"):
        assert ngettext("{count} question", "{count} questions", count).format(count=count) == (
            expected
        )


def test_english_is_the_code_and_unknown_languages_fall_back_to_it():
    with i18n.use_language("de"):
        assert i18n.current_language() == "en"
        assert _("Next ➡️") == "Next ➡️"
    with i18n.use_language("es-MX"):
        assert _("Next ➡️") == "Siguiente ➡️"
    assert i18n.resolve_language(None, None, "ru-RU") == "ru"
    assert i18n.resolve_language("es", "ru", "en") == "es"  # their own choice wins
    assert i18n.resolve_language(None, "ru", "es") == "ru"  # then the team's default
    assert i18n.resolve_language(None, None, "pt-br") == "en"


def test_maturity_scale_is_translated_without_criteria_knowing():
    marked = {level_id: texts for level_id, texts in i18n.MATURITY_TEXTS.items()}
    assert marked == {level.id: (level.label, level.description) for level in MATURITY_LEVELS}
    with i18n.use_language("ru"):
        assert i18n.maturity_label("reacting") == "Реагирование на проблемы"
        assert i18n.maturity_label("unknown-level") == "unknown-level"
    assert i18n.maturity_label("reacting") == "Reacting to problems"


# --- packs --------------------------------------------------------------------------------------


def translatable_strings(pack):
    """(element id, field, original) for every string a translation may replace."""

    def fields(element, *names):
        return ((element.id, name, getattr(element, name)) for name in names)

    yield from fields(pack, "title", "description")
    for category in pack.categories:
        yield from fields(category, "title", "description")
        for area in category.areas:
            yield from fields(area, "title", "description")
            for note in area.notes:
                yield from fields(note, "title", "text")
            for question in area.questions:
                yield from fields(question, "text", "help")


@pytest.mark.parametrize("pack", load_packs().all(), ids=lambda pack: pack.id)
@pytest.mark.parametrize("language", TRANSLATED)
def test_shipped_packs_are_translated_completely(pack, language):
    strings = pack.translations.get(language, {})
    missing = [
        f"{element_id}.{field}"
        for element_id, field, original in translatable_strings(pack)
        if original is not None and not strings.get(element_id, {}).get(field, "").strip()
    ]
    assert missing == []


# --- end to end ---------------------------------------------------------------------------------


# What each language shows at the start of the flow (written out, not read from the catalogs,
# so a broken catalog fails here).
SEEN = {
    "en": {
        "welcome": "Welcome to",
        "position": "· 1 of 4",
        "skip": "⏭ Skip",
        "saved": "✅ Saved (9 characters).",
        "next": "Next without rating ➡️",
        "rating": "Reacting to problems",
        "paused": "⏸ Paused.",
    },
    "es": {
        "welcome": "Te damos la bienvenida a",
        "position": "· 1 de 4",
        "skip": "⏭ Saltar",
        "saved": "✅ Guardado (9 caracteres).",
        "next": "Siguiente sin valorar ➡️",
        "rating": "Reaccionar a los problemas",
        "paused": "⏸ En pausa.",
    },
    "ru": {
        "welcome": "Добро пожаловать в команду",
        "position": "· 1 из 4",
        "skip": "⏭ Пропустить",
        "saved": "✅ Сохранено (9 символов).",
        "next": "Далее без оценки ➡️",
        "rating": "Реагирование на проблемы",
        "paused": "⏸ Пауза.",
    },
}


@pytest.mark.parametrize("language", ["en", "es", "ru"])
async def test_each_person_sees_the_start_of_the_flow_in_their_language(fake, bot, language):
    _manager, token = await start_team(fake)
    seen = SEEN[language]
    pack = PACK.translated(language)
    person = fake.person("Ana", language_code=language)
    await person.command("/start", token)
    first = await person.wait_for_message(contains=pack.questions()[0].text)
    assert seen["welcome"] in first.text
    assert f"{pack.area_of(QUESTIONS[0].id).title} {seen['position']}" in first.text
    assert seen["skip"] in first.button_texts
    await person.press(first, seen["skip"])
    await person.wait_for_message(contains=pack.questions()[1].text)
    await person.send("Encuestas")  # answers stay as typed, whatever the language
    saved = await person.wait_for_message(contains=seen["saved"])
    assert saved.button_texts[0] == seen["rating"]
    assert seen["next"] in saved.button_texts
    await person.press(saved, seen["rating"])
    await person.wait_for_message(contains=pack.questions()[2].text)
    await person.command("/pause")
    await person.wait_for_message(contains=seen["paused"])


async def test_language_command_switches_interface_and_questions(fake, bot, db):
    _manager, token = await start_team(fake)
    ana = fake.person("Ana", language_code="en")
    await ana.command("/start", token)
    await ana.wait_for_message(contains=QUESTIONS[0].text)
    await ana.command("/language")
    menu = await ana.wait_for_message(contains="I speak to you in English")
    assert menu.button_texts == ["English", "Español", "Русский"]
    await ana.press(menu, "Русский")
    await ana.wait_for_message(contains="Теперь я говорю с вами на языке: Русский")
    await ana.command("/next")
    russian = PACK.translated("ru")
    question = await ana.wait_for_message(contains=russian.questions()[0].text)
    assert "⏭ Пропустить" in question.button_texts
    await ana.press(question, "❓ Помощь")
    help_message = await ana.wait_for_message(contains=russian.questions()[0].text)
    assert russian.area_of(QUESTIONS[0].id).notes[0].text[:40] in help_message.text
    await ana.command("/language", "es")
    await ana.wait_for_message(contains="A partir de ahora te hablo en Español")
    await ana.command("/help")
    await ana.wait_for_message(contains="Cómo funciona")
    async with db.sessions() as session:
        person = (
            await session.execute(select(Person).where(Person.telegram_user_id == ana.user_id))
        ).scalar_one()
    assert (person.chosen_language, person.language_code) == ("es", "en")


async def test_team_default_language_is_set_by_managers_only(fake, bot):
    manager, token = await start_team(fake)
    await manager.command("/language", "team es")
    await manager.wait_for_message(contains="now speaks Español by default")
    member = fake.person("Ben", language_code="en")
    await member.command("/start", token)
    # Ben's Telegram is in English, but the team speaks Spanish unless he chooses otherwise.
    await member.wait_for_message(contains=PACK.translated("es").questions()[0].text)
    await member.command("/language", "team ru")
    await member.wait_for_message(contains="Solo los responsables del equipo")
    await member.command("/language", "en")
    await member.wait_for_message(contains="From now on I speak English")
    await member.command("/next")
    await member.wait_for_message(contains=QUESTIONS[0].text)


async def test_unsupported_telegram_language_gets_english(fake, bot):
    visitor = fake.person("Dieter", language_code="de")
    await visitor.command("/start")
    await visitor.wait_for_message(contains="Hello! I run your team's Baldrige self-assessment")


async def test_command_menu_is_set_in_every_language(fake, bot):
    menus = {
        call.params.get("language_code", ""): call.params["commands"]
        for call in fake.calls
        if call.method.lower() == "setmycommands" and "private" in str(call.params.get("scope", ""))
    }
    assert set(menus) >= {"", "es", "ru"}
    descriptions = {code: {c["command"]: c["description"] for c in menus[code]} for code in menus}
    assert descriptions[""]["language"] == "Choose your language"
    assert descriptions["es"]["language"] == "Elegir tu idioma"
    assert descriptions["ru"]["next"] == "Продолжить оценку с того места, где вы остановились"


async def test_group_comparison_speaks_the_teams_language_and_names_no_one(fake, bot):
    manager, _token, (sam, ana) = await team_with_members(fake, "Sam", "Ana")
    await answer_first(manager, "Манагер <b>", 0, manager=True)
    await answer_first(sam, "Sam's view", 2)
    await answer_first(ana, "Ana's view", 2)
    group = await linked_group(fake, manager)
    await manager.command("/language", "team ru")
    await manager.wait_for_message(contains="now speaks Русский by default")
    await manager.command("/anonymous", "on", chat=group)
    await group.wait_for_message(contains="анонимн")

    await sam.command("/compare", chat=group)
    russian = PACK.translated("ru")
    shown = await group.wait_for_message(contains=russian.questions()[0].text)
    assert "Участник 1 · " in shown.text and "Участник 3 · " in shown.text
    assert "Реагирование на проблемы" in shown.text and "Манагер <b>" in shown.text
    assert "Команда расходится во мнениях: оценки охватывают 3 уровня зрелости" in shown.text
    assert "Member" not in shown.text and "Sam ·" not in shown.text
    assert {"Далее ➡️", "⏭ Следующая область"} <= set(shown.button_texts)
