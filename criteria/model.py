"""Assessment frameworks as plain, read-only data: packs, categories, areas, questions, notes.

A pack is loaded once at start-up (see criteria.loader) and only read afterwards, so every model
is frozen. The lookups the bot makes on every message (question by id, its area, its position)
are answered from indexes that a Pack builds once when it is created.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from criteria.scoring import Scoring


@dataclass(frozen=True, kw_only=True)
class MaturityLevel:
    id: str
    label: str
    description: str


# The Baldrige process maturity scale, lowest first. Answers store the id, so the labels and
# descriptions can be reworded without touching stored ratings.
MATURITY_LEVELS: tuple[MaturityLevel, ...] = (
    MaturityLevel(
        id="reacting",
        label="Reacting to problems",
        description="Work is organised around fixing problems as they come up; little is "
        "planned or repeatable.",
    ),
    MaturityLevel(
        id="early_systematic",
        label="Early systematic approaches",
        description="Some repeatable processes exist and are starting to be measured and "
        "improved, but teams mostly work on their own.",
    ),
    MaturityLevel(
        id="aligned",
        label="Aligned approaches",
        description="Processes are repeatable, regularly reviewed and improved, and support the "
        "organisation's key goals.",
    ),
    MaturityLevel(
        id="integrated",
        label="Integrated approaches",
        description="Processes work together across the organisation and are improved through "
        "analysis, shared learning and innovation.",
    ),
)


@dataclass(frozen=True, kw_only=True)
class Note:
    """An explanatory note or definition attached to the area it explains."""

    id: str
    text: str
    title: str | None = None
    # The source wording, kept when an obvious typo in it was fixed in `text`.
    original_text: str | None = None


@dataclass(frozen=True, kw_only=True)
class Question:
    id: str
    text: str
    help: str | None = None
    # The source wording, kept when an obvious typo in it was fixed in `text`.
    original_text: str | None = None
    # Whether a maturity rating (MATURITY_LEVELS) is asked after the free-text answer.
    asks_rating: bool = False


@dataclass(frozen=True, kw_only=True)
class Area:
    id: str
    title: str
    description: str | None = None
    notes: tuple[Note, ...] = ()
    questions: tuple[Question, ...]


@dataclass(frozen=True, kw_only=True)
class Category:
    id: str
    title: str
    description: str | None = None
    areas: tuple[Area, ...]


# language code -> element id -> field name -> translated string.
Translations = Mapping[str, Mapping[str, Mapping[str, str]]]


@dataclass(frozen=True)
class _PackIndex:
    areas: tuple[Area, ...]
    questions: tuple[Question, ...]
    question_by_id: Mapping[str, Question]
    area_by_id: Mapping[str, Area]
    area_by_question_id: Mapping[str, Area]
    category_by_area_id: Mapping[str, Category]
    position_by_question_id: Mapping[str, tuple[int, int]]


@dataclass(frozen=True, kw_only=True)
class Pack:
    """A whole assessment framework: framework -> categories -> areas -> questions."""

    id: str
    version: str
    title: str
    language: str
    description: str | None = None
    source: str | None = None
    categories: tuple[Category, ...]
    translations: Translations = field(default_factory=dict, compare=False, repr=False)
    # Which areas are scored on the process bands (criteria/scoring.py); None: not scored.
    scoring: Scoring | None = None
    _index: _PackIndex = field(init=False, compare=False, repr=False)
    # A translated pack remembers the pack it was made from, so translating it again starts
    # from the original strings rather than from an earlier translation.
    _untranslated: Pack | None = field(init=False, default=None, compare=False, repr=False)
    _translated_cache: dict[str, Pack] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "translations", _copy_translations(self.translations))
        object.__setattr__(self, "_index", _build_index(self.categories))
        object.__setattr__(self, "_translated_cache", {})

    def areas(self) -> tuple[Area, ...]:
        """Every area of every category, in document order."""
        return self._index.areas

    def questions(self) -> tuple[Question, ...]:
        """Every question of the pack, in document order."""
        return self._index.questions

    def question(self, question_id: str) -> Question:
        return self._index.question_by_id[question_id]

    def area(self, area_id: str) -> Area:
        return self._index.area_by_id[area_id]

    def area_of(self, question_id: str) -> Area:
        return self._index.area_by_question_id[question_id]

    def category_of(self, area_id: str) -> Category:
        return self._index.category_by_area_id[area_id]

    def question_position(self, question_id: str) -> tuple[int, int]:
        """(1-based index of the question within its area, number of questions in the area)."""
        return self._index.position_by_question_id[question_id]

    def languages(self) -> tuple[str, ...]:
        """The pack's own language first, then every language it has translations for."""
        base = self._untranslated or self
        return (base.language, *base.translations)

    def translated(self, language: str) -> Pack:
        """The same pack (same ids) with every string that has a translation replaced.

        Strings without a translation keep the original wording, one string at a time. A
        language tag with a region ("pt-BR", "en_GB") falls back to its main language ("pt",
        "en"); a language the pack knows nothing about gives the untranslated pack.
        """
        base = self._untranslated or self
        resolved = base._resolve_language(language)
        if resolved is None or resolved == base.language:
            return base
        cached = base._translated_cache.get(resolved)
        if cached is None:
            cached = base._build_translation(resolved)
            base._translated_cache[resolved] = cached
        return cached

    def _resolve_language(self, language: str) -> str | None:
        wanted = language.strip().lower().replace("_", "-")
        for candidate in (wanted, wanted.split("-")[0]):
            if candidate == self.language or candidate in self.translations:
                return candidate
        return None

    def _build_translation(self, language: str) -> Pack:
        strings = self.translations[language]

        def translate(element_id: str, field_name: str, original: str | None) -> str | None:
            if original is None:
                return None
            return strings.get(element_id, {}).get(field_name, original)

        def translate_note(note: Note) -> Note:
            return replace(
                note,
                title=translate(note.id, "title", note.title),
                text=translate(note.id, "text", note.text),
            )

        def translate_question(question: Question) -> Question:
            return replace(
                question,
                text=translate(question.id, "text", question.text),
                help=translate(question.id, "help", question.help),
            )

        def translate_area(area: Area) -> Area:
            return replace(
                area,
                title=translate(area.id, "title", area.title),
                description=translate(area.id, "description", area.description),
                notes=tuple(translate_note(note) for note in area.notes),
                questions=tuple(translate_question(question) for question in area.questions),
            )

        def translate_category(category: Category) -> Category:
            return replace(
                category,
                title=translate(category.id, "title", category.title),
                description=translate(category.id, "description", category.description),
                areas=tuple(translate_area(area) for area in category.areas),
            )

        translated = replace(
            self,
            language=language,
            title=translate(self.id, "title", self.title),
            description=translate(self.id, "description", self.description),
            categories=tuple(translate_category(category) for category in self.categories),
        )
        object.__setattr__(translated, "_untranslated", self)
        return translated


def _build_index(categories: tuple[Category, ...]) -> _PackIndex:
    areas: list[Area] = []
    questions: list[Question] = []
    question_by_id: dict[str, Question] = {}
    area_by_id: dict[str, Area] = {}
    area_by_question_id: dict[str, Area] = {}
    category_by_area_id: dict[str, Category] = {}
    position_by_question_id: dict[str, tuple[int, int]] = {}
    for category in categories:
        for area in category.areas:
            # The loader reports duplicates properly; this only guards packs built in code,
            # where a duplicate would otherwise silently shadow an earlier element.
            if area.id in area_by_id:
                raise ValueError(f"duplicate area id {area.id!r}")
            areas.append(area)
            area_by_id[area.id] = area
            category_by_area_id[area.id] = category
            for position, question in enumerate(area.questions, start=1):
                if question.id in question_by_id:
                    raise ValueError(f"duplicate question id {question.id!r}")
                questions.append(question)
                question_by_id[question.id] = question
                area_by_question_id[question.id] = area
                position_by_question_id[question.id] = (position, len(area.questions))
    return _PackIndex(
        areas=tuple(areas),
        questions=tuple(questions),
        question_by_id=question_by_id,
        area_by_id=area_by_id,
        area_by_question_id=area_by_question_id,
        category_by_area_id=category_by_area_id,
        position_by_question_id=position_by_question_id,
    )


def _copy_translations(translations: Translations) -> Translations:
    # A private copy, so a caller changing its dicts later cannot change the pack. Plain dicts
    # rather than read-only proxies keep packs picklable.
    return {
        language: {element_id: dict(fields) for element_id, fields in by_id.items()}
        for language, by_id in translations.items()
    }
