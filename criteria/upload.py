"""Packs that people send to the bot: limits a person can understand, checked before and after
the same validation `python -m criteria validate` runs.

A pack file from the chat is untrusted input. yaml.safe_load builds no objects of arbitrary
classes, but it still expands aliases: a few hundred bytes of nested anchors ("billion laughs")
become billions of list items. So the YAML's events are read first, without building anything,
and a file with anchors or aliases, too deep a nesting or too many elements is refused; only
then is it parsed and validated, and the result is held to a size a team can answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

import yaml

from criteria.model import Pack
from criteria.validator import read_pack

MAX_FILE_BYTES = 256 * 1024
MAX_QUESTIONS = 300
MAX_TEXT_CHARS = 2000
MAX_YAML_EVENTS = 50_000
MAX_YAML_DEPTH = 24
# Uploaded packs are stored as "upload:<row id>", which no file's pack id can be (ids have no ':').
UPLOADED_PREFIX = "upload:"


class Refusal(StrEnum):
    """Why a file was refused before its contents were read as a pack."""

    TOO_BIG = "too_big"  # params: limit_kb
    NOT_TEXT = "not_text"  # not UTF-8 text
    ALIASES = "aliases"  # params: line
    TOO_DEEP = "too_deep"  # params: line, limit
    TOO_MANY_ELEMENTS = "too_many_elements"  # params: limit
    TOO_MANY_QUESTIONS = "too_many_questions"  # params: count, limit
    TEXT_TOO_LONG = "text_too_long"  # params: where, length, limit


@dataclass
class UploadRefused(Exception):
    """The file breaks a limit; `reason` and `params` word the refusal in the reader's language."""

    reason: Refusal
    params: dict[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.reason}: {self.params}"


def uploaded_key(row_id: int) -> str:
    return f"{UPLOADED_PREFIX}{row_id}"


def uploaded_row_id(key: str) -> int | None:
    """The stored row of an uploaded pack's key; None for a shipped or server pack's id."""
    if not key.startswith(UPLOADED_PREFIX):
        return None
    digits = key[len(UPLOADED_PREFIX) :]
    return int(digits) if digits.isdigit() else None


def check_upload(data: bytes, file_name: str) -> tuple[Pack, str]:
    """The pack in an uploaded file, and its text; raises UploadRefused or PackError."""
    if len(data) > MAX_FILE_BYTES:
        raise UploadRefused(Refusal.TOO_BIG, {"limit_kb": MAX_FILE_BYTES // 1024})
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UploadRefused(Refusal.NOT_TEXT) from None
    check_yaml_shape(source)
    pack = read_pack(source, file_name)
    check_pack_size(pack)
    return pack, source


def check_yaml_shape(source: str) -> None:
    """Refuse anchors, aliases, deep nesting and huge documents before any object is built.

    A syntax error is left for the validator, which reports it with its line.
    """
    depth = events = 0
    try:
        for event in yaml.parse(source, Loader=yaml.SafeLoader):
            events += 1
            if events > MAX_YAML_EVENTS:
                raise UploadRefused(Refusal.TOO_MANY_ELEMENTS, {"limit": MAX_YAML_EVENTS})
            line = event.start_mark.line + 1
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise UploadRefused(Refusal.ALIASES, {"line": line})
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    raise UploadRefused(Refusal.TOO_DEEP, {"line": line, "limit": MAX_YAML_DEPTH})
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return


def check_pack_size(pack: Pack) -> None:
    count = len(pack.questions())
    if count > MAX_QUESTIONS:
        raise UploadRefused(Refusal.TOO_MANY_QUESTIONS, {"count": count, "limit": MAX_QUESTIONS})
    for where, text in _texts(pack):
        if len(text) > MAX_TEXT_CHARS:
            raise UploadRefused(
                Refusal.TEXT_TOO_LONG,
                {"where": where, "length": len(text), "limit": MAX_TEXT_CHARS},
            )


def _texts(pack: Pack) -> Iterator[tuple[str, str]]:
    """Every string a person may be shown, with the id of the element it belongs to."""
    yield pack.id, pack.title
    yield pack.id, pack.description or ""
    for category in pack.categories:
        yield category.id, category.title
        yield category.id, category.description or ""
        for area in category.areas:
            yield area.id, area.title
            yield area.id, area.description or ""
            for note in area.notes:
                yield note.id, note.text
            for question in area.questions:
                yield question.id, question.text
                yield question.id, question.help or ""
    for by_id in pack.translations.values():
        for element_id, strings in by_id.items():
            for text in strings.values():
                yield element_id, text
