"""The report as PDF, with fpdf2 and the DejaVu Sans font that matplotlib ships.

PDF's built-in fonts only know Latin-1; DejaVu Sans covers Latin, Greek and Cyrillic, so
answers in those scripts print as typed. It comes inside the matplotlib package, which the
charts need anyway, so there is no font file to install or to keep in the repository.

What the font has no glyph for (Chinese, Japanese, most emoji) would silently vanish from the
page; it is printed as □ instead, and the report says so and points to the spreadsheet, CSV and
Markdown files, which keep every answer exactly as typed.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import matplotlib
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import FontFace

from bot.core.i18n import N_, _, current_language
from bot.export.data import RoundReport
from bot.export.report import Block, Chart, Facts, Heading, Paragraph, Quote, Table, report_blocks

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT_FILES = {
    "": "DejaVuSans.ttf",
    "B": "DejaVuSans-Bold.ttf",
    "I": "DejaVuSans-Oblique.ttf",
    "BI": "DejaVuSans-BoldOblique.ttf",
}
FAMILY = "DejaVu"
BODY_SIZE = 10
LINE = 5.2  # mm per line of body text
HEADING_SIZES = {1: 18, 2: 15, 3: 13, 4: 11}
QUOTE_INDENT = 6  # mm
# Headings move to the next page unless this much of what follows fits under them.
KEEP_WITH_NEXT = 25  # mm
HEADING_ROOM = 12  # mm a heading takes, with its spacing
MUTED = (90, 90, 90)
BLACK = (0, 0, 0)
# Control characters have no glyph; a tab is spaced like one.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
MISSING_GLYPH = "□"
# Invisible characters that shape what is next to them (joiners, variation selectors): they
# have no glyph of their own and vanish harmlessly.
_INVISIBLE = frozenset({0x200B, 0x200C, 0x200D, 0x2060, 0xFE0E, 0xFE0F})


class _ReportPdf(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(format="A4")
        self.footer_text = footer_text
        self._char_widths: dict[tuple[str, float], dict[str, float]] = {}
        for style, file_name in FONT_FILES.items():
            self.add_font(FAMILY, style, str(FONT_DIR / file_name))
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=16)

    def char_width(self, char: str) -> float:
        """The width of one character in the current font, measured once per font."""
        widths = self._char_widths.setdefault((self.font_style, self.font_size_pt), {})
        if char not in widths:
            widths[char] = self.get_string_width(char)
        return widths[char]

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, "", 8)
        self.set_text_color(*MUTED)
        page = _("page {number}/{total}").format(number=self.page_no(), total="{nb}")
        self.cell(0, 6, f"{self.footer_text} · {page}", align="C")


def build_pdf(report: RoundReport) -> bytes:
    pdf = _ReportPdf(printable(f"{report.team_name} · {report.round.name}"))
    title = _("Self-assessment: {team}").format(team=report.team_name)
    pdf.set_title(printable(f"{title} · {report.round.name}"))
    pdf.set_creator("Baldrige self-assessment bot")
    pdf.set_lang(current_language())  # the reader's: the report's own words are in it
    pdf.add_page()
    blocks = report_blocks(report)
    if any(_has_missing_glyphs(text) for text in _texts(blocks)):
        blocks.insert(_after_front_matter(blocks), Paragraph(_(MISSING_GLYPHS_NOTE), quiet=True))
    for index, block in enumerate(blocks):
        if isinstance(block, Heading) and not _follows_heading(blocks, index):
            _keep_with_next(pdf, _headings_from(blocks, index))
        _render(pdf, block)
    return bytes(pdf.output())


def _follows_heading(blocks: list[Block], index: int) -> bool:
    return index > 0 and isinstance(blocks[index - 1], Heading)


def _headings_from(blocks: list[Block], index: int) -> int:
    count = 0
    while index + count < len(blocks) and isinstance(blocks[index + count], Heading):
        count += 1
    return count


def _keep_with_next(pdf: _ReportPdf, headings: int) -> None:
    """Start a new page unless a run of headings fits here with some of what follows them."""
    if pdf.get_y() + headings * HEADING_ROOM + KEEP_WITH_NEXT > pdf.page_break_trigger:
        pdf.add_page()


MISSING_GLYPHS_NOTE = N_(
    "Some answers use characters this PDF cannot show (such as Chinese or emoji); they appear "
    "as □ here. The spreadsheet, CSV and Markdown files have every answer exactly as typed."
)


@functools.cache
def font_glyphs() -> frozenset[int]:
    """The characters every style of the report's font can draw."""
    styles = [set(TTFont(FONT_DIR / name).getBestCmap()) for name in FONT_FILES.values()]
    return frozenset(set.intersection(*styles))


def _has_missing_glyphs(text: str) -> bool:
    glyphs = font_glyphs()
    return any(ord(c) not in glyphs and ord(c) not in _INVISIBLE and c.isprintable() for c in text)


def printable(text: str) -> str:
    """The text as the PDF can draw it: no control characters, □ for what has no glyph."""
    text = _UNPRINTABLE.sub("", text.replace("\t", "    "))
    glyphs = font_glyphs()
    if all(ord(c) in glyphs for c in text):
        return text
    return "".join(
        c if ord(c) in glyphs or c == "\n" else "" if ord(c) in _INVISIBLE else MISSING_GLYPH
        for c in text
    )


def _texts(blocks: Iterable[Block]) -> Iterable[str]:
    for block in blocks:
        match block:
            case Heading(_, text) | Paragraph(text, _):
                yield text
            case Facts(items):
                yield from (part for item in items for part in item)
            case Table(header, rows):
                yield from header
                yield from (cell for row in rows for cell in row)
            case Quote(author, note, text):
                yield from (author, note, text)


def _after_front_matter(blocks: list[Block]) -> int:
    """Where a remark about the whole report goes: after the title and its facts."""
    for index, block in enumerate(blocks):
        if isinstance(block, Facts):
            return index + 1
    return min(1, len(blocks))


def _render(pdf: _ReportPdf, block: Block) -> None:
    match block:
        case Heading(level, text):
            _heading(pdf, level, text)
        case Paragraph(text, quiet):
            _text(pdf, text, style="I" if quiet else "", colour=MUTED if quiet else BLACK)
            pdf.ln(1.5)
        case Facts(items):
            for label, value in items:
                _labelled(pdf, label, value)
            pdf.ln(1.5)
        case Table(header, rows):
            _table(pdf, header, rows)
        case Quote(author, note, text):
            _quote(pdf, author, note, text)
        case Chart(png, caption):
            pdf.ln(2)
            pdf.image(io.BytesIO(png), w=pdf.epw, alt_text=printable(caption))
            pdf.ln(2)
        case _:
            raise TypeError(f"unknown report block {block!r}")


def _heading(pdf: _ReportPdf, level: int, text: str) -> None:
    size = HEADING_SIZES.get(level, BODY_SIZE)
    pdf.ln(4 if level <= 3 else 2)
    pdf.set_font(FAMILY, "B", size)
    pdf.set_text_color(*BLACK)
    pdf.multi_cell(
        0, size * 0.5, printable(text), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.ln(1.5)


def _text(pdf: _ReportPdf, text: str, style: str = "", colour=BLACK, indent: float = 0) -> None:
    """Left-aligned text, wrapped here rather than by multi_cell.

    fpdf2's multi_cell re-measures the whole line for every character it adds, which made a
    50-member report take over ten seconds; measuring each character once is linear.
    """
    pdf.set_font(FAMILY, style, BODY_SIZE)
    pdf.set_text_color(*colour)
    width = pdf.epw - indent
    for line in wrap_to_width(printable(text), width - 2 * pdf.c_margin, pdf.char_width):
        pdf.set_x(pdf.l_margin + indent)
        pdf.cell(width, LINE, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*BLACK)


def wrap_to_width(text: str, width: float, char_width: Callable[[str], float]) -> list[str]:
    """Greedy word wrap: lines no wider than `width`; a longer word (a URL) is cut."""
    space = char_width(" ")
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line: list[str] = []
        used = 0.0
        for word in paragraph.split(" "):
            size = sum(char_width(c) for c in word)
            if line and used + space + size > width:
                lines.append(" ".join(line))
                line, used = [], 0.0
            if size > width:
                *whole_lines, word = _cut_word(word, width, char_width)
                lines.extend(whole_lines)
                size = sum(char_width(c) for c in word)
            used += size + (space if line else 0)
            line.append(word)
        lines.append(" ".join(line))
    return lines


def _cut_word(word: str, width: float, char_width: Callable[[str], float]) -> list[str]:
    pieces, current, used = [], "", 0.0
    for char in word:
        if current and used + char_width(char) > width:
            pieces.append(current)
            current, used = "", 0.0
        current += char
        used += char_width(char)
    pieces.append(current)
    return pieces


def _labelled(pdf: _ReportPdf, label: str, value: str) -> None:
    pdf.set_x(pdf.l_margin)
    pdf.set_font(FAMILY, "B", BODY_SIZE)
    pdf.write(LINE, printable(f"{label}: "))
    pdf.set_font(FAMILY, "", BODY_SIZE)
    pdf.write(LINE, printable(value))
    pdf.ln(LINE)


def _quote(pdf: _ReportPdf, author: str, note: str, text: str) -> None:
    """The author in bold, the note (rating, attachment) beside it if it fits, then the words."""
    pdf.ln(1)
    pdf.set_font(FAMILY, "B", BODY_SIZE)
    author = printable(author)
    author_width = _single_line_width(pdf, author)
    note = printable(f"— {note}") if note else ""
    if author_width > pdf.epw:
        _text(pdf, author, style="B")
    else:
        pdf.set_x(pdf.l_margin)
        pdf.cell(author_width, LINE, author)
        pdf.set_font(FAMILY, "I", BODY_SIZE)
        if note and _single_line_width(pdf, note) <= pdf.epw - author_width:
            pdf.set_text_color(*MUTED)
            pdf.cell(pdf.epw - author_width, LINE, note)
            pdf.set_text_color(*BLACK)
            note = ""
        pdf.ln(LINE)
    if note:
        _text(pdf, note, style="I", colour=MUTED)
    if text.strip():
        _text(pdf, text.strip("\n"), indent=QUOTE_INDENT)


def _single_line_width(pdf: _ReportPdf, text: str) -> float:
    return sum(pdf.char_width(c) for c in text) + 2 * pdf.c_margin


def _table(pdf: _ReportPdf, header: tuple[str, ...], rows: tuple[tuple[str, ...], ...]) -> None:
    pdf.set_font(FAMILY, "", BODY_SIZE - 1)
    # The first column holds names and is given the room the number columns do not need.
    first = 2.5 if len(header) <= 5 else 1.6
    widths = (first, *([1] * (len(header) - 1)))
    with pdf.table(
        col_widths=widths,
        line_height=LINE,
        text_align="LEFT",
        headings_style=FontFace(emphasis="BOLD", fill_color=(221, 227, 234)),
    ) as table:
        for cells in (header, *rows):
            row = table.row()
            for cell in cells:
                row.cell(printable(cell))
    pdf.ln(2)
