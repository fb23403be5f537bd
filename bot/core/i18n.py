"""The interface in the reader's language: gettext catalogs and the language of the current update.

English is written in the code; `bot/locale/<lang>/LC_MESSAGES/messages.po` holds the other
languages. The .po files are read once at first use and compiled to gettext catalogs in memory,
so there is no build step: `pip install -e .` and start.

The language lives in a ContextVar. `bot.core.turns.open_turn` sets it from the person (their
`/language` choice, else their team's default, else Telegram's language), and every `_()` and
`ngettext()` in handlers and views reads it, so no translator is threaded through calls. PTB
runs each update in its own task and a task copies the context when it starts, so one person's
language never leaks into another's update. Jobs that write to several people wrap each send in
`use_language(...)`.

Texts defined at import time (module constants) are marked with `N_()` and translated with
`_()` where they are shown, since no language is known at import time.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import datetime
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from criteria.model import MATURITY_LEVELS

SOURCE_LANGUAGE = "en"
# The languages the interface speaks, each named in itself (as the /language buttons show it).
LANGUAGE_NAMES = {"en": "English", "es": "Español", "ru": "Русский"}
SUPPORTED_LANGUAGES = tuple(LANGUAGE_NAMES)
LOCALE_DIR = Path(__file__).parent.parent / "locale"  # bot/locale
TEMPLATE_PATH = LOCALE_DIR / "messages.pot"

_current_language: ContextVar[str] = ContextVar("interface_language", default=SOURCE_LANGUAGE)


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"


def _compile(language: str) -> gettext.NullTranslations:
    with po_path(language).open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    mo = BytesIO()
    # Fuzzy entries are left out on purpose: a guessed translation is worse than English.
    write_mo(mo, catalog, use_fuzzy=False)
    mo.seek(0)
    return gettext.GNUTranslations(mo)


@cache
def catalogs() -> dict[str, gettext.NullTranslations]:
    """Every language's catalog, compiled once; English is the source, so it needs none."""
    compiled: dict[str, gettext.NullTranslations] = {SOURCE_LANGUAGE: gettext.NullTranslations()}
    for language in SUPPORTED_LANGUAGES:
        if language != SOURCE_LANGUAGE:
            compiled[language] = _compile(language)
    return compiled


def supported_language(code: str | None) -> str | None:
    """The interface language for a tag like "es", "es-MX" or "ru_RU", or None if unsupported."""
    if not code:
        return None
    main = code.strip().lower().replace("_", "-").split("-")[0]
    return main if main in LANGUAGE_NAMES else None


def resolve_language(
    chosen: str | None, team_default: str | None, telegram_code: str | None
) -> str:
    """The person's /language choice, else the team's default, else Telegram's, else English."""
    for candidate in (chosen, team_default, telegram_code):
        language = supported_language(candidate)
        if language is not None:
            return language
    return SOURCE_LANGUAGE


def language_for(person: object, team: object | None = None) -> str:
    """resolve_language for a Person (and their Team), for jobs writing to people one by one."""
    return resolve_language(
        getattr(person, "chosen_language", None),
        getattr(team, "language", None),
        getattr(person, "language_code", None),
    )


def current_language() -> str:
    return _current_language.get()


def set_language(language: str | None) -> Token[str]:
    """Speak `language` for the rest of this update (English when unsupported)."""
    return _current_language.set(supported_language(language) or SOURCE_LANGUAGE)


@contextmanager
def use_language(language: str | None) -> Iterator[str]:
    """Speak `language` inside the block only: for jobs writing to several people in turn."""
    token = set_language(language)
    try:
        yield current_language()
    finally:
        _current_language.reset(token)


def _(message: str) -> str:
    """`message` (English, as written in the code) in the current language."""
    return catalogs()[current_language()].gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form for `count` in the current language (Russian has three; the catalog knows)."""
    return catalogs()[current_language()].ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Mark a text for the catalog without translating it yet (module constants)."""
    return message


def day_and_date(moment: datetime, with_time: bool = False) -> str:
    """'Thu 28 Nov' (and ', 10:00'): weekday and month names in the reader's language."""
    language = current_language()
    if language == SOURCE_LANGUAGE:  # exactly as the English texts always showed it
        return f"{moment:%a %d %b, %H:%M}" if with_time else f"{moment:%a %d %b}"
    pattern = "EEE d MMM, HH:mm" if with_time else "EEE d MMM"
    return format_datetime(moment, pattern, locale=language)


def member_label(number: int) -> str:
    """How an anonymous comparison names someone: "Member 2"."""
    return _("Member {number}").format(number=number)


def number(value: int) -> str:
    """A count written the reader's way: 4,000 in English, 4.000 in Spanish, 4 000 in Russian."""
    return format_decimal(value, locale=current_language())


# What a person can attach to an answer, by the kind stored with it.
ATTACHMENT_LABELS = {
    "voice": N_("voice note"),
    "photo": N_("photo"),
    "document": N_("document"),
    "audio": N_("audio"),
    "video": N_("video"),
}


def attachment_label(kind: str) -> str:
    """'photo', 'voice note'… in the current language; an unknown kind is shown as stored."""
    return _(ATTACHMENT_LABELS[kind]) if kind in ATTACHMENT_LABELS else kind


# The maturity scale lives in criteria (which knows nothing about the bot); its English labels
# and descriptions are marked here so the catalog carries them. tests/core/test_i18n.py checks that
# these stay the same as criteria.model.MATURITY_LEVELS.
MATURITY_TEXTS = {
    "reacting": (
        N_("Reacting to problems"),
        N_(
            "Work is organised around fixing problems as they come up; little is planned or "
            "repeatable."
        ),
    ),
    "early_systematic": (
        N_("Early systematic approaches"),
        N_(
            "Some repeatable processes exist and are starting to be measured and improved, but "
            "teams mostly work on their own."
        ),
    ),
    "aligned": (
        N_("Aligned approaches"),
        N_(
            "Processes are repeatable, regularly reviewed and improved, and support the "
            "organisation's key goals."
        ),
    ),
    "integrated": (
        N_("Integrated approaches"),
        N_(
            "Processes work together across the organisation and are improved through analysis, "
            "shared learning and innovation."
        ),
    ),
}
_LEVELS_BY_ID = {level.id: level for level in MATURITY_LEVELS}


def maturity_label(level_id: str) -> str:
    """A maturity level's label in the current language; an unknown id is shown as it is."""
    level = _LEVELS_BY_ID.get(level_id)
    return _(level.label) if level is not None else level_id
