"""Making people's text safe to put in a spreadsheet cell.

An answer that starts with = + - @ (or a tab or carriage return, which some spreadsheet apps
strip before looking) would be run as a formula when the file is opened: "CSV injection".
XLSX cells can say "this is text" themselves; CSV has no types, so there the text gets the
apostrophe prefix that spreadsheet apps read as "text follows" and do not display.
"""

from __future__ import annotations

import re

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Control characters XML 1.0 cannot carry (tab, newline and carriage return are allowed).
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Excel refuses a cell longer than this; answers are capped well below it, but notes are not.
XLSX_CELL_LIMIT = 32_767


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def csv_safe(text: str) -> str:
    """The text with an apostrophe in front if a spreadsheet would take it for a formula."""
    return "'" + text if looks_like_formula(text) else text


def xml_safe(text: str) -> str:
    """The text without the control characters an XLSX (XML) file cannot hold."""
    return _XML_ILLEGAL.sub("", text)


def xlsx_text(text: str) -> str:
    text = xml_safe(text)
    if len(text) > XLSX_CELL_LIMIT:
        text = text[: XLSX_CELL_LIMIT - 1] + "…"
    return text
