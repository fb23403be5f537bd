"""The pack file format as data: which fields each part of a pack has, and what an id or a
language may look like.

criteria/README.md documents the same tables for pack authors; the validator checks files
against them. A new section of the format (a field, a kind of element) starts here.
"""

from __future__ import annotations

import re

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
    "scoring": False,  # criteria/scoring.py
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


def is_language_tag(value: str) -> bool:
    """An ISO 639-1 code, optionally followed by subtags ("pt-br")."""
    match = LANGUAGE_TAG_PATTERN.fullmatch(value)
    return bool(match and match.group(1) in LANGUAGE_CODES)
