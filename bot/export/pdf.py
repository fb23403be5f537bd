"""The report as PDF, with fpdf2 and the DejaVu Sans font that matplotlib ships.

PDF's built-in fonts only know Latin-1; DejaVu Sans covers Latin, Greek and Cyrillic, so
answers in those scripts print as typed. It comes inside the matplotlib package, which the
charts need anyway, so there is no font file to install or to keep in the repository.

What the font has no glyph for (Chinese, Japanese, most emoji) would silently vanish from the
page; it is printed as □ instead, and the report says so and points to the spreadsheet, CSV and
Markdown files, which keep every answer exactly as typed.

The page is A5 with narrow margins: the report is often opened on a phone, which shows a page
whole across its width, so a narrower page means larger letters there (an A4 page at 10 pt
comes out at a size few can read), while it still prints well two to a sheet of A4.
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
MARGIN = 10  # mm
A5 = (148, 210)  # mm (fpdf2 warns when "A5" is named: its size changed in 2.8.5)
BODY_SIZE = 10
LINE = 5.2  # mm per line of body text
HEADING_SIZES = {1: 16, 2: 14, 3: 12.5, 4: 11.5, 5: 10.5}
QUOTE_INDENT = 4  # mm
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
        super().__init__(format=A5)
        self.footer_text = footer_text
        self._char_widths: dict[tuple[str, float], dict[str, float]] = {}
        for style, file_name in FONT_FILES.items():
            self.add_font(FAMILY, style, str(FONT_DIR / file_name))
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 2)

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


def column_widths(
    pdf: _ReportPdf, header: tuple[str, ...], rows: tuple[tuple[str, ...], ...]
) -> tuple[float, ...]:
    """Each column gets room for its longest word (a date, a number: never cut on a narrow
    page) where it can, and the rest of the width in proportion to how much text it holds."""
    columns = list(zip(header, *rows, strict=True))
    pad = 2 * pdf.c_margin + 1

    def width(text: str) -> float:
        return sum(pdf.char_width(c) for c in printable(text))

    def longest_word(cells: Iterable[str]) -> float:
        return max((width(w) for cell in cells for w in cell.split()), default=0.0)

    style = pdf.font_style
    pdf.set_font(style="B")  # the header row is bold
    heads = [longest_word([title]) for title in header]
    pdf.set_font(style=style)
    needed = [max(h, longest_word(col[1:])) + pad for h, col in zip(heads, columns, strict=True)]
    text = [sum(width(cell) for cell in col) / len(col) + pad for col in columns]
    if sum(needed) >= pdf.epw:
        return tuple(needed)  # scaled down by fpdf: some words will break anyway
    spare = pdf.epw - sum(needed)
    extra = [max(t - n, 0) for t, n in zip(text, needed, strict=True)]
    share = sum(extra) or 1
    return tuple(n + spare * e / share for n, e in zip(needed, extra, strict=True))


def _table(pdf: _ReportPdf, header: tuple[str, ...], rows: tuple[tuple[str, ...], ...]) -> None:
    wide = len(header) > 5
    # A wide table's headers would break mid-word on the narrow page at the body's size.
    pdf.set_font(FAMILY, "", BODY_SIZE - (2.5 if wide else 1))
    widths = column_widths(pdf, header, rows)
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
