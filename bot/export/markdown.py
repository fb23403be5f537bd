"""The report as Markdown (CommonMark with pipe tables), to paste into a written assessment.

People's words are escaped so that a rendered page shows them exactly as typed: an answer
containing "<b>" or "*" stays text instead of turning into markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.core.i18n import _
from bot.export.data import RoundReport
from bot.export.report import Block, Chart, Facts, Heading, Paragraph, Quote, Table, report_blocks

# Characters that are markup anywhere in a line.
_INLINE_MARKUP = re.compile(r"([\\`*_\[\]<>&|~])")
# Markup only at the start of a line: headings, quotes, list items, underlines and rules.
_LINE_START_MARKUP = re.compile(r"^(\s*)(#{1,6}(?=\s|$)|>|[-+=](?=[-=\s]|$)|\d{1,9}[.)](?=\s|$))")


def escape_markdown(text: str) -> str:
    """Backslash-escape whatever CommonMark would read as markup, line by line."""
    lines = []
    for line in text.split("\n"):
        line = _INLINE_MARKUP.sub(r"\\\1", line.rstrip())
        line = _LINE_START_MARKUP.sub(_escape_line_start, line)
        lines.append(line)
    return "\n".join(lines)


def build_markdown(report: RoundReport) -> str:
    # Charts are pictures: they live in the PDF, and the Markdown file stays plain text.
    blocks = report_blocks(report, with_charts=False)
    return "\n\n".join(render_block(block) for block in blocks) + "\n"


def render_block(block: Block) -> str:
    match block:
        case Heading(level, text):
            return f"{'#' * min(level, 6)} {_one_line(text)}"
        case Paragraph(text, quiet):
            escaped = _hard_breaks(escape_markdown(text))
            return f"*{escaped}*" if quiet and "\n" not in text else escaped
        case Facts(items):
            return "\n".join(
                f"- **{_one_line(label)}:** {_one_line(value)}" for label, value in items
            )
        case Table(header, rows):
            lines = [_table_row(header), "|" + "---|" * len(header)]
            lines += [_table_row(row) for row in rows]
            return "\n".join(lines)
        case Quote(author, note, text):
            head = f"**{_one_line(author)}**" + (f" — *{_one_line(note)}*" if note else "")
            if not text.strip():
                return head
            lines = _hard_breaks(escape_markdown(text.strip("\n"))).split("\n")
            quoted = "\n".join(f"> {line}" if line else ">" for line in lines)
            return f"{head}\n\n{quoted}"
        case Chart(_, caption):
            note = _("Chart in the PDF report: {caption}.").format(caption=caption)
            return f"*{_one_line(note)}*"
    raise TypeError(f"unknown report block {block!r}")


def _escape_line_start(match: re.Match) -> str:
    indent, marker = match.groups()
    # "12." is a list item only because of its dot, so the dot is what gets the backslash.
    return f"{indent}{marker[:-1]}\\{marker[-1]}"


def _one_line(text: str) -> str:
    return escape_markdown(" ".join(text.split()))


def _hard_breaks(escaped: str) -> str:
    """Keep people's line breaks: CommonMark joins lines unless one ends in a backslash."""
    lines = escaped.split("\n")
    return "\n".join(
        line + "\\" if line and i < len(lines) - 1 and lines[i + 1] else line
        for i, line in enumerate(lines)
    )


def _table_row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(_one_line(cell) for cell in cells) + " |"
