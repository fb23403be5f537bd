"""Reading criteria packs from YAML files, with error reports written for the person editing them.

Packs are edited by hand, often by people who are not programmers, so the loader checks
everything and reports every problem it finds in one go (file, path inside the file, message)
instead of stopping at the first one. The format is described in criteria/README.md.
"""

from __future__ import annotations

import difflib
import re
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from criteria.model import Area, Category, Note, Pack, Question, Translations

DEFAULT_PACK_ID = "baldrige-customer-management"
PACKS_DIR = Path(__file__).parent / "packs"
PACK_SUFFIXES = (".yaml", ".yml")
# How many packs kept elsewhere (uploaded in the chat) a registry remembers at once.
REMEMBERED_PACKS_MAX = 64

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.-]*")
ID_MAX_LENGTH = 40

# ISO 639-1 codes. A language tag is one of these, optionally followed by subtags ("pt-br").
_ISO_639_1 = """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy
    da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht
    hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky
    la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny
    oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss
    st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo
    za zh zu
"""
LANGUAGE_CODES = frozenset(_ISO_639_1.split())
LANGUAGE_TAG_PATTERN = re.compile(r"([a-z]{2})(-[a-z0-9]{2,8})*")

# Field name -> required? One table per kind of element, in the order the README documents.
PACK_FIELDS = {
    "id": True,
    "version": True,
    "title": True,
    "language": True,
    "description": False,
    "source": False,
    "rating": False,
    "categories": True,
    "translations": False,
}
CATEGORY_FIELDS = {"id": True, "title": True, "description": False, "areas": True}
AREA_FIELDS = {
    "id": True,
    "title": True,
    "description": False,
    "rating": False,
    "notes": False,
    "questions": True,
}
NOTE_FIELDS = {"id": True, "title": False, "text": True, "original_text": False}
QUESTION_FIELDS = {
    "id": True,
    "text": True,
    "help": False,
    "original_text": False,
    "rating": False,
}

# Which strings of each kind of element a translation may replace.
TRANSLATABLE_FIELDS = {
    "pack": ("title", "description"),
    "category": ("title", "description"),
    "area": ("title", "description"),
    "note": ("title", "text"),
    "question": ("text", "help"),
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a pack file: where it is and what is wrong."""

    file: str
    # Where in the file: a field path such as "categories[0].areas[2].questions[1].text", or
    # "line L, column C" for YAML syntax errors, or "" for the file as a whole.
    path: str
    message: str

    def __str__(self) -> str:
        if self.path:
            return f"{self.file}: {self.path}: {self.message}"
        return f"{self.file}: {self.message}"


class PackError(Exception):
    """A pack file could not be loaded; `problems` lists everything that is wrong with it."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))

    @property
    def file(self) -> str:
        return self.problems[0].file if self.problems else ""


def load_pack(path: Path | str) -> Pack:
    """Load and check one pack file; raise PackError listing every problem found."""
    file = str(path)
    try:
        source = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PackError([Problem(file, "", f"cannot read the file: {error}")]) from error
    return parse_pack(source, file)


def parse_pack(source: str, file: str) -> Pack:
    """Check one pack's YAML text (named `file` in problems); raise PackError on problems."""
    loader = _DuplicateKeyCheckingLoader(source)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as error:
        raise PackError([_syntax_problem(file, error)]) from error
    finally:
        loader.dispose()

    reader = _PackReader(file)
    for key, line, column, first_line in loader.duplicate_keys:
        reader.problem(
            f"line {line}, column {column}",
            f"duplicate key {key!r} (first given on line {first_line}); only one can be kept",
        )
    pack = reader.read(data)
    if reader.problems or pack is None:
        raise PackError(reader.problems)
    return pack


class PackRegistry:
    """Every pack the bot can offer, by id, plus the extra pack files that failed to load."""

    def __init__(self) -> None:
        self._packs: dict[str, Pack] = {}
        self._paths: dict[str, Path | None] = {}
        # Packs kept elsewhere (uploaded ones, in the database), by their key: the most
        # recently used few, so a busy bot reads each from storage once, not on every update.
        self._remembered: OrderedDict[str, Pack] = OrderedDict()
        # Broken extra packs; the caller logs them, the other packs stay usable.
        self.errors: list[PackError] = []

    def add(self, pack: Pack, path: Path | None = None) -> None:
        if pack.id in self._packs:
            raise ValueError(f"a pack with id {pack.id!r} is already registered")
        self._packs[pack.id] = pack
        self._paths[pack.id] = path

    def remember(self, key: str, pack: Pack) -> None:
        """Keep a pack stored elsewhere under `key` (never a shipped id), bounded."""
        self._remembered[key] = pack
        self._remembered.move_to_end(key)
        while len(self._remembered) > REMEMBERED_PACKS_MAX:
            self._remembered.popitem(last=False)

    def remembers(self, key: str) -> bool:
        return key in self._remembered

    def get(self, pack_id: str) -> Pack:
        if pack_id in self._remembered:
            self._remembered.move_to_end(pack_id)
            return self._remembered[pack_id]
        try:
            return self._packs[pack_id]
        except KeyError:
            known = ", ".join(self._packs) or "none"
            raise KeyError(f"no criteria pack with id {pack_id!r} (known: {known})") from None

    def all(self) -> list[Pack]:
        """Every pack, shipped packs first, each group in file name order."""
        return list(self._packs.values())

    def path(self, pack_id: str) -> Path | None:
        """The file a pack was loaded from (None for packs added in code)."""
        self.get(pack_id)
        return self._paths[pack_id]

    def __contains__(self, pack_id: object) -> bool:
        return pack_id in self._packs

    def __len__(self) -> int:
        return len(self._packs)


def load_packs(extra_dir: Path | None = None) -> PackRegistry:
    """Load the packs shipped in criteria/packs/ plus every pack file in extra_dir.

    A broken shipped pack is a bug in this release and raises PackError. A broken or clashing
    extra pack is recorded in the registry's `errors` and skipped, so one team's bad file does
    not take every other pack down with it.
    """
    registry = PackRegistry()
    for path in pack_files(PACKS_DIR):
        pack = load_pack(path)
        if pack.id in registry:
            raise PackError([_duplicate_pack_problem(path, pack, registry)])
        registry.add(pack, path)

    if extra_dir is None:
        return registry
    extra_dir = Path(extra_dir)
    if not extra_dir.is_dir():
        registry.errors.append(PackError([Problem(str(extra_dir), "", "directory not found")]))
        return registry
    # Pointing the extra directory at the shipped packs would otherwise clash with every pack.
    if extra_dir.resolve() == PACKS_DIR.resolve():
        return registry
    for path in pack_files(extra_dir):
        try:
            pack = load_pack(path)
        except PackError as error:
            registry.errors.append(error)
            continue
        if pack.id in registry:
            registry.errors.append(PackError([_duplicate_pack_problem(path, pack, registry)]))
            continue
        registry.add(pack, path)
    return registry


def pack_files(directory: Path) -> list[Path]:
    """The pack files directly inside a directory, in name order, skipping hidden files."""
    return sorted(
        path
        for path in directory.iterdir()
        # Editors leave hidden lock and backup files (".#pack.yaml") next to the real one.
        if path.suffix in PACK_SUFFIXES and not path.name.startswith(".") and path.is_file()
    )


def _duplicate_pack_problem(path: Path, pack: Pack, registry: PackRegistry) -> Problem:
    first = registry.path(pack.id)
    return Problem(
        str(path), "id", f"pack id {pack.id!r} is already used by {first}; choose another id"
    )


def _syntax_problem(file: str, error: yaml.YAMLError) -> Problem:
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        detail = error.problem or "invalid YAML"
        if error.context:
            context = error.context
            if error.context_mark is not None:
                context += f" started at {_line_column(error.context_mark)}"
            detail = f"{detail} ({context})"
        return Problem(file, _line_column(mark), f"YAML syntax error: {detail}")
    return Problem(file, "", f"YAML syntax error: {error}")


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


def _line_column(mark: yaml.Mark) -> str:
    # PyYAML counts lines and columns from 0; editors count from 1.
    return f"line {mark.line + 1}, column {mark.column + 1}"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _describe(value: object) -> str:
    """How a wrongly typed YAML value reads to someone who wrote it."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{'true' if value else 'false'} (a yes/no value)"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"{value!r} ({type(value).__name__})"


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

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.file, path, message))

    # --- the levels of a pack -------------------------------------------------------------

    def read(self, raw: object) -> Pack | None:
        if raw is None:
            self.problem(
                "", "the file is empty; a pack needs id, version, title, language and categories"
            )
            return None
        data = self.check_fields(raw, "", PACK_FIELDS, "the pack")
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
            for item, path in self.items(data, "", "categories", "a pack needs a category")
        )
        translations = self.translations(data, language)
        if self.problems:
            return None
        return Pack(
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
        data = self.check_fields(raw, path, CATEGORY_FIELDS, "a category")
        if data is None:
            return None
        category_id = self.identifier(data, path, "category")
        return Category(
            id=category_id,
            title=self.text(data, path, "title"),
            description=self.text(data, path, "description"),
            areas=tuple(
                self.area(item, item_path, rating)
                for item, item_path in self.items(data, path, "areas", "a category needs an area")
            ),
        )

    def area(self, raw: object, path: str, pack_rating: bool) -> Area | None:
        data = self.check_fields(raw, path, AREA_FIELDS, "an area")
        if data is None:
            return None
        area_id = self.identifier(data, path, "area")
        title = self.text(data, path, "title")
        description = self.text(data, path, "description")
        rating = self.flag(data, path, "rating", default=pack_rating)
        notes = tuple(
            self.note(item, item_path)
            for item, item_path in self.items(
                data, path, "notes", "leave the field out if the area has no notes"
            )
        )
        questions = tuple(
            self.question(item, item_path, rating)
            for item, item_path in self.items(data, path, "questions", "an area needs a question")
        )
        return Area(
            id=area_id, title=title, description=description, notes=notes, questions=questions
        )

    def note(self, raw: object, path: str) -> Note | None:
        data = self.check_fields(raw, path, NOTE_FIELDS, "a note")
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
        data = self.check_fields(raw, path, QUESTION_FIELDS, "a question")
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
        by_language = self.mapping(data["translations"], "translations", "language code")
        result: dict[str, dict[str, dict[str, str]]] = {}
        for language, by_id in (by_language or {}).items():
            path = _join("translations", str(language))
            if not self.check_language(language, path):
                continue
            if language == pack_language:
                self.problem(
                    path,
                    f"the pack itself is written in {language!r}; translations are for other "
                    "languages",
                )
                continue
            strings_by_id = self.mapping(by_id, path, "element id")
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
            self.problem(path, f"unknown id {element_id!r}{_suggestion(element_id, self.elements)}")
            return {}
        kind, present = element
        allowed = TRANSLATABLE_FIELDS[kind]
        result: dict[str, str] = {}
        for name in self.mapping(strings, path, " / ".join(allowed)) or {}:
            field_path = _join(path, str(name))
            if name not in allowed:
                self.problem(
                    field_path,
                    f"unknown field {name!r}{_suggestion(name, allowed)} "
                    f"(a {kind} translation can have: {', '.join(allowed)})",
                )
            elif name not in present:
                self.problem(field_path, f"the {kind} has no {name} to translate")
            else:
                text = self.text(strings, path, name)
                if text is not None:
                    result[name] = text
        return result

    # --- the fields of an element ---------------------------------------------------------

    def check_fields(
        self, data: object, path: str, known: dict[str, bool], what: str
    ) -> dict[Any, Any] | None:
        """The element's mapping, after reporting unknown and missing fields; None if no mapping."""
        if not isinstance(data, dict):
            fields = ", ".join(name for name, required in known.items() if required)
            self.problem(path, f"expected {what} (a mapping with {fields}), got {_describe(data)}")
            return None
        for name in data:
            if name not in known:
                self.problem(
                    _join(path, str(name)),
                    f"unknown field {name!r}{_suggestion(name, known)} "
                    f"(known fields: {', '.join(known)})",
                )
        for name, required in known.items():
            if required and name not in data:
                self.problem(_join(path, name), "required field is missing")
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
            self.problem(field_path, "must not be empty")
        elif value is None:
            self.problem(field_path, "must not be empty (give it a value or remove the line)")
        elif isinstance(value, int | float | bool):
            # YAML reads 1.0 as a number and yes/no as booleans; quoting keeps them text.
            self.problem(
                field_path,
                f"expected text, got {_describe(value)}; put it in quotes to make it text",
            )
        else:
            self.problem(field_path, f"expected text, got {_describe(value)}")
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
                f"id {value!r} is {len(value)} characters long; the limit is {ID_MAX_LENGTH}",
            )
        elif not ID_PATTERN.fullmatch(value):
            self.problem(
                field_path,
                f"{value!r} is not a valid id: use lowercase letters, digits, '-', '_' and '.', "
                "starting with a letter or digit",
            )
        elif value in self.id_paths:
            first = self.id_paths[value]
            self.problem(field_path, f"duplicate id {value!r} (first used at {first})")
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
        self.problem(_join(path, name), f"expected true or false, got {_describe(value)}")
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
                f"expected a language code such as 'en', got {_describe(value)}; put it in quotes",
            )
            return False
        if _is_language_tag(value):
            return True
        lowered = value.lower().replace("_", "-")
        if _is_language_tag(lowered):
            self.problem(path, f"write language codes in lowercase with '-': {lowered!r}")
        else:
            self.problem(
                path,
                f"unknown language {value!r}: use an ISO 639-1 code such as 'en' or 'ru', "
                "optionally with a region such as 'pt-br'",
            )
        return False

    def mapping(self, value: object, path: str, key_name: str) -> dict[Any, Any] | None:
        """A non-empty mapping (keyed by key_name); reports anything else."""
        if not isinstance(value, dict):
            self.problem(path, f"expected a mapping of {key_name} -> ..., got {_describe(value)}")
            return None
        if not value:
            self.problem(path, "must not be empty (leave it out instead)")
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
            self.problem(field_path, f"expected a list, got {_describe(value)}")
            return []
        if not value:
            self.problem(field_path, f"must not be empty: {hint}")
            return []
        return [(item, f"{field_path}[{index}]") for index, item in enumerate(value)]


def _is_language_tag(value: str) -> bool:
    match = LANGUAGE_TAG_PATTERN.fullmatch(value)
    return bool(match and match.group(1) in LANGUAGE_CODES)


def _suggestion(name: object, known: Any) -> str:
    matches = difflib.get_close_matches(str(name), list(known), n=1)
    return f"; did you mean {matches[0]!r}?" if matches else ""
