"""Checking a pack file's YAML and building the Pack from it, every problem reported at once.

Packs are edited by hand, often by people who are not programmers, so the validator checks
everything and reports every problem it finds in one go (file, path inside the file, message)
instead of stopping at the first one. The fields it knows are in `criteria.pack_format`; the
format is described in criteria/README.md. `python -m criteria validate` runs it on files.

`_PackReader` is one walk down a pack (pack, categories, areas, notes, questions, translations)
with the checks of each level beside it; it is kept whole so each level reads next to the others.
"""

from __future__ import annotations

import difflib
from typing import Any

import yaml

from criteria.model import Area, Category, Note, Pack, Question, Translations
from criteria.pack_format import (
    AREA_FIELDS,
    CATEGORY_FIELDS,
    ID_MAX_LENGTH,
    ID_PATTERN,
    NOTE_FIELDS,
    PACK_FIELDS,
    QUESTION_FIELDS,
    TRANSLATABLE_FIELDS,
    is_language_tag,
)
from criteria.problems import LINE_COLUMN, N_, UNKNOWN_FIELD, PackError, Problem, Text, text
from criteria.scoring import read_scoring


def read_pack(source: str, file: str) -> Pack:
    """Check a pack file's text and build its Pack; raise PackError listing every problem."""
    loader = _DuplicateKeyCheckingLoader(source)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as error:
        raise PackError([_syntax_problem(file, error)]) from error
    finally:
        loader.dispose()

    reader = _PackReader(file)
    for key, line, column, first_line in loader.duplicate_keys:
        reader.problems.append(
            Problem(
                file,
                "",
                N_(
                    "duplicate key {key!r} (first given on line {first_line}); only one can be kept"
                ),
                {"key": key, "first_line": first_line},
                line=line,
                column=column,
            )
        )
    pack = reader.read(data)
    if reader.problems or pack is None:
        raise PackError(reader.problems)
    return pack


def _syntax_problem(file: str, error: yaml.YAMLError) -> Problem:
    # PyYAML's own words ("expected ',' or ']'") stay English: they name YAML's tokens.
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        detail: str | Text = error.problem or "invalid YAML"
        if error.context and error.context_mark is not None:
            detail = text(
                N_("{detail} ({context} started at {where})"),
                detail=detail,
                context=error.context,
                where=_line_column(error.context_mark),
            )
        elif error.context:
            detail = text(N_("{detail} ({context})"), detail=detail, context=error.context)
        line, column = _line_and_column(mark)
        return Problem(file, "", SYNTAX_ERROR, {"detail": detail}, line=line, column=column)
    return Problem(file, "", SYNTAX_ERROR, {"detail": str(error)})


class _DuplicateKeyCheckingLoader(yaml.SafeLoader):
    """A safe YAML loader that records repeated mapping keys, which YAML silently overwrites."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        # (key, line, column, line of the first occurrence), lines and columns from 1.
        self.duplicate_keys: list[tuple[str, int, int, int]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_lines: dict[str, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.value == "<<":
                continue
            mark = key_node.start_mark
            if key_node.value in first_lines:
                self.duplicate_keys.append(
                    (key_node.value, mark.line + 1, mark.column + 1, first_lines[key_node.value])
                )
            else:
                first_lines[key_node.value] = mark.line + 1
        return super().construct_mapping(node, deep=deep)


def _line_and_column(mark: yaml.Mark) -> tuple[int, int]:
    # PyYAML counts lines and columns from 0; editors count from 1.
    return mark.line + 1, mark.column + 1


def _line_column(mark: yaml.Mark) -> Text:
    line, column = _line_and_column(mark)
    return text(LINE_COLUMN, line=line, column=column)


SYNTAX_ERROR = N_("YAML syntax error: {detail}")
# Each kind of element worded whole, so a language can decline "a question" as it needs.
EXPECTED_ELEMENT = {
    "pack": N_("expected the pack (a mapping with {fields}), got {value}"),
    "category": N_("expected a category (a mapping with {fields}), got {value}"),
    "area": N_("expected an area (a mapping with {fields}), got {value}"),
    "note": N_("expected a note (a mapping with {fields}), got {value}"),
    "question": N_("expected a question (a mapping with {fields}), got {value}"),
}
TRANSLATION_FIELD = {
    "pack": N_("unknown field {name!r}{suggestion} (a pack translation can have: {known})"),
    "category": N_("unknown field {name!r}{suggestion} (a category translation can have: {known})"),
    "area": N_("unknown field {name!r}{suggestion} (an area translation can have: {known})"),
    "note": N_("unknown field {name!r}{suggestion} (a note translation can have: {known})"),
    "question": N_("unknown field {name!r}{suggestion} (a question translation can have: {known})"),
}
NOTHING_TO_TRANSLATE = {
    "pack": N_("the pack has no {name} to translate"),
    "category": N_("the category has no {name} to translate"),
    "area": N_("the area has no {name} to translate"),
    "note": N_("the note has no {name} to translate"),
    "question": N_("the question has no {name} to translate"),
}


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _describe(value: object) -> Text:
    """How a wrongly typed YAML value reads to someone who wrote it."""
    if value is None:
        return text(N_("nothing"))
    if isinstance(value, bool):
        return text(N_("{value} (a yes/no value)"), value="true" if value else "false")
    if isinstance(value, int | float):
        return text(N_("the number {value}"), value=value)
    if isinstance(value, str):
        return text(N_("the text {value!r}"), value=value)
    if isinstance(value, list):
        return text(N_("a list"))
    if isinstance(value, dict):
        return text(N_("a mapping"))
    return text(N_("{value!r} ({kind})"), value=value, kind=type(value).__name__)


class _PackReader:
    """Walks the parsed YAML of one pack, collecting problems and building the models."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        # Every id in the pack -> path of its definition. One namespace for all kinds keeps
        # translation keys (which are bare ids) unambiguous.
        self.id_paths: dict[str, str] = {}
        # Every id -> (kind of element, the translatable strings it actually has).
        self.elements: dict[str, tuple[str, set[str]]] = {}

    def problem(self, path: str, template: str, **params: object) -> None:
        self.problems.append(Problem(self.file, path, template, params))

    # --- the levels of a pack -------------------------------------------------------------

    def read(self, raw: object) -> Pack | None:
        if raw is None:
            self.problem(
                "",
                N_("the file is empty; a pack needs id, version, title, language and categories"),
            )
            return None
        data = self.check_fields(raw, "", PACK_FIELDS, "pack")
        if data is None:
            return None
        pack_id = self.identifier(data, "", "pack")
        version = self.text(data, "", "version")
        title = self.text(data, "", "title")
        language = self.language(data, "", "language")
        description = self.text(data, "", "description")
        source = self.text(data, "", "source")
        rating = self.flag(data, "", "rating", default=False)
        categories = tuple(
            self.category(item, path, rating)
            for item, path in self.items(data, "", "categories", N_("a pack needs a category"))
        )
        translations = self.translations(data, language)
        area_ids = [area.id for category in categories if category for area in category.areas]
        scoring, scoring_problems = read_scoring(data.get("scoring"), area_ids)
        for path, problem in scoring_problems:
            self.problem(path, problem.template, **problem.params)
        if self.problems:
            return None
        return Pack(
            scoring=scoring,
            id=pack_id,
            version=version,
            title=title,
            language=language,
            description=description,
            source=source,
            categories=categories,
            translations=translations,
        )

    def category(self, raw: object, path: str, rating: bool) -> Category | None:
        data = self.check_fields(raw, path, CATEGORY_FIELDS, "category")
        if data is None:
            return None
        category_id = self.identifier(data, path, "category")
        return Category(
            id=category_id,
            title=self.text(data, path, "title"),
            description=self.text(data, path, "description"),
            areas=tuple(
                self.area(item, item_path, rating)
                for item, item_path in self.items(
                    data, path, "areas", N_("a category needs an area")
                )
            ),
        )

    def area(self, raw: object, path: str, pack_rating: bool) -> Area | None:
        data = self.check_fields(raw, path, AREA_FIELDS, "area")
        if data is None:
            return None
        area_id = self.identifier(data, path, "area")
        title = self.text(data, path, "title")
        description = self.text(data, path, "description")
        rating = self.flag(data, path, "rating", default=pack_rating)
        notes = tuple(
            self.note(item, item_path)
            for item, item_path in self.items(
                data, path, "notes", N_("leave the field out if the area has no notes")
            )
        )
        questions = tuple(
            self.question(item, item_path, rating)
            for item, item_path in self.items(
                data, path, "questions", N_("an area needs a question")
            )
        )
        return Area(
            id=area_id, title=title, description=description, notes=notes, questions=questions
        )

    def note(self, raw: object, path: str) -> Note | None:
        data = self.check_fields(raw, path, NOTE_FIELDS, "note")
        if data is None:
            return None
        note_id = self.identifier(data, path, "note")
        return Note(
            id=note_id,
            title=self.text(data, path, "title"),
            text=self.text(data, path, "text"),
            original_text=self.text(data, path, "original_text"),
        )

    def question(self, raw: object, path: str, area_rating: bool) -> Question | None:
        data = self.check_fields(raw, path, QUESTION_FIELDS, "question")
        if data is None:
            return None
        question_id = self.identifier(data, path, "question")
        return Question(
            id=question_id,
            text=self.text(data, path, "text"),
            help=self.text(data, path, "help"),
            original_text=self.text(data, path, "original_text"),
            asks_rating=self.flag(data, path, "rating", default=area_rating),
        )

    def translations(self, data: dict[str, Any], pack_language: str) -> Translations:
        if "translations" not in data:
            return {}
        by_language = self.mapping(data["translations"], "translations", text(N_("language code")))
        result: dict[str, dict[str, dict[str, str]]] = {}
        for language, by_id in (by_language or {}).items():
            path = _join("translations", str(language))
            if not self.check_language(language, path):
                continue
            if language == pack_language:
                self.problem(
                    path,
                    N_(
                        "the pack itself is written in {language!r}; translations are for other "
                        "languages"
                    ),
                    language=language,
                )
                continue
            strings_by_id = self.mapping(by_id, path, text(N_("element id")))
            result[language] = {}
            for element_id, strings in (strings_by_id or {}).items():
                translated = self.translation(element_id, strings, _join(path, str(element_id)))
                if translated:
                    result[language][str(element_id)] = translated
        return result

    def translation(self, element_id: object, strings: object, path: str) -> dict[str, str]:
        """The translated strings of one element, checked against what that element has."""
        element = self.elements.get(element_id) if isinstance(element_id, str) else None
        if element is None:
            self.problem(
                path,
                N_("unknown id {id!r}{suggestion}"),
                id=element_id,
                suggestion=_suggestion(element_id, self.elements),
            )
            return {}
        kind, present = element
        allowed = TRANSLATABLE_FIELDS[kind]
        result: dict[str, str] = {}
        for name in self.mapping(strings, path, " / ".join(allowed)) or {}:
            field_path = _join(path, str(name))
            if name not in allowed:
                self.problem(
                    field_path,
                    TRANSLATION_FIELD[kind],
                    name=name,
                    suggestion=_suggestion(name, allowed),
                    known=", ".join(allowed),
                )
            elif name not in present:
                self.problem(field_path, NOTHING_TO_TRANSLATE[kind], name=name)
            else:
                text = self.text(strings, path, name)
                if text is not None:
                    result[name] = text
        return result

    # --- the fields of an element ---------------------------------------------------------

    def check_fields(
        self, data: object, path: str, known: dict[str, bool], kind: str
    ) -> dict[Any, Any] | None:
        """The element's mapping, after reporting unknown and missing fields; None if no mapping."""
        if not isinstance(data, dict):
            fields = ", ".join(name for name, required in known.items() if required)
            self.problem(path, EXPECTED_ELEMENT[kind], fields=fields, value=_describe(data))
            return None
        for name in data:
            if name not in known:
                self.problem(
                    _join(path, str(name)),
                    UNKNOWN_FIELD,
                    name=name,
                    suggestion=_suggestion(name, known),
                    known=", ".join(known),
                )
        for name, required in known.items():
            if required and name not in data:
                self.problem(_join(path, name), N_("required field is missing"))
        return data

    def text(self, data: dict[Any, Any], path: str, name: str) -> str | None:
        """A non-empty string, stripped; None when absent or wrong (the problem is recorded)."""
        if name not in data:
            return None
        value = data[name]
        field_path = _join(path, name)
        if isinstance(value, str):
            if value.strip():
                return value.strip()
            self.problem(field_path, N_("must not be empty"))
        elif value is None:
            self.problem(field_path, N_("must not be empty (give it a value or remove the line)"))
        elif isinstance(value, int | float | bool):
            # YAML reads 1.0 as a number and yes/no as booleans; quoting keeps them text.
            self.problem(
                field_path,
                N_("expected text, got {value}; put it in quotes to make it text"),
                value=_describe(value),
            )
        else:
            self.problem(field_path, N_("expected text, got {value}"), value=_describe(value))
        return None

    def identifier(self, data: dict[Any, Any], path: str, kind: str) -> str | None:
        """The element's id, checked for format and uniqueness, and remembered for translations."""
        value = self.text(data, path, "id")
        if value is None:
            return None
        field_path = _join(path, "id")
        if len(value) > ID_MAX_LENGTH:
            self.problem(
                field_path,
                N_("id {id!r} is {length} characters long; the limit is {limit}"),
                id=value,
                length=len(value),
                limit=ID_MAX_LENGTH,
            )
        elif not ID_PATTERN.fullmatch(value):
            self.problem(
                field_path,
                N_(
                    "{id!r} is not a valid id: use lowercase letters, digits, '-', '_' and '.', "
                    "starting with a letter or digit"
                ),
                id=value,
            )
        elif value in self.id_paths:
            first = self.id_paths[value]
            self.problem(
                field_path, N_("duplicate id {id!r} (first used at {first})"), id=value, first=first
            )
        else:
            self.id_paths[value] = field_path
            present = {name for name in TRANSLATABLE_FIELDS[kind] if name in data}
            self.elements[value] = (kind, present)
        return value

    def flag(self, data: dict[Any, Any], path: str, name: str, default: bool) -> bool:
        if name not in data:
            return default
        value = data[name]
        if isinstance(value, bool):
            return value
        self.problem(
            _join(path, name), N_("expected true or false, got {value}"), value=_describe(value)
        )
        return default

    def language(self, data: dict[Any, Any], path: str, name: str) -> str | None:
        if name not in data:
            return None
        value = data[name]
        return value if self.check_language(value, _join(path, name)) else None

    def check_language(self, value: object, path: str) -> bool:
        if not isinstance(value, str):
            # YAML reads the Norwegian code `no` as false; quoting it keeps it a code.
            self.problem(
                path,
                N_("expected a language code such as 'en', got {value}; put it in quotes"),
                value=_describe(value),
            )
            return False
        if is_language_tag(value):
            return True
        lowered = value.lower().replace("_", "-")
        if is_language_tag(lowered):
            self.problem(
                path, N_("write language codes in lowercase with '-': {code!r}"), code=lowered
            )
        else:
            self.problem(
                path,
                N_(
                    "unknown language {code!r}: use an ISO 639-1 code such as 'en' or 'ru', "
                    "optionally with a region such as 'pt-br'"
                ),
                code=value,
            )
        return False

    def mapping(self, value: object, path: str, key_name: str | Text) -> dict[Any, Any] | None:
        """A non-empty mapping (keyed by key_name); reports anything else."""
        if not isinstance(value, dict):
            self.problem(
                path,
                N_("expected a mapping of {key} -> ..., got {value}"),
                key=key_name,
                value=_describe(value),
            )
            return None
        if not value:
            self.problem(path, N_("must not be empty (leave it out instead)"))
            return None
        return value

    def items(
        self, data: dict[Any, Any], path: str, name: str, hint: str
    ) -> list[tuple[object, str]]:
        """The entries of a list field with their paths; reports a non-list or empty list."""
        if name not in data:
            return []
        value = data[name]
        field_path = _join(path, name)
        if not isinstance(value, list):
            self.problem(field_path, N_("expected a list, got {value}"), value=_describe(value))
            return []
        if not value:
            self.problem(field_path, N_("must not be empty: {hint}"), hint=text(hint))
            return []
        return [(item, f"{field_path}[{index}]") for index, item in enumerate(value)]


def _suggestion(name: object, known: Any) -> Text | str:
    matches = difflib.get_close_matches(str(name), list(known), n=1)
    return text(N_("; did you mean {name!r}?"), name=matches[0]) if matches else ""
