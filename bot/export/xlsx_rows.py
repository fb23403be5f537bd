"""Write-only workbooks, filled top to bottom: openpyxl keeps no cell once its row is out.

A normal openpyxl workbook holds every cell until it is saved: for a 2,000-person team's export
(46,000 answers, area sheets a column per member) about 250 MB (bench/scale.py). In write-only
mode each row goes to the file as it is appended, but a sheet's column widths and frozen panes
must be set before its first row, and a row cannot be revisited. RowSheet keeps the writers'
shape (cells by row and column, styled after they are made): a row goes out once a later row
is started, and only after `lay_out()`; rows written before it wait (small sheets may set
their widths last).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet


class RowSheet:
    """One write-only sheet; see the module's docstring."""

    def __init__(self, sheet: WriteOnlyWorksheet) -> None:
        self.sheet = sheet
        self._pending: dict[int, dict[int, Cell]] = {}
        self._written = 0  # rows already in the file
        self._laid_out = False

    @property
    def auto_filter(self):
        return self.sheet.auto_filter  # written after the rows: may be set at the end

    def lay_out(self, widths: Sequence[float] = (), freeze: str | None = None) -> None:
        """Column widths and frozen panes, before any row goes out."""
        if self._written:
            raise RuntimeError("a write-only sheet's layout comes before its rows")
        for column, width in enumerate(widths, start=1):
            self.sheet.column_dimensions[get_column_letter(column)].width = width
        if freeze is not None:
            self.sheet.freeze_panes = freeze
        self._laid_out = True

    def cell(self, row: int, column: int) -> Cell:
        """The cell at (row, column), made on first use; earlier rows go out now."""
        if row <= self._written:
            raise RuntimeError(f"row {row} of {self.sheet.title!r} is already written")
        cells = self._pending.setdefault(row, {})
        if column not in cells:
            cells[column] = Cell(self.sheet, row=row, column=column)
        if self._laid_out:
            self._flush(before=row)
        return cells[column]

    def close(self) -> None:
        self._laid_out = True
        self._flush(before=None)

    def _flush(self, before: int | None) -> None:
        for row in sorted(r for r in self._pending if before is None or r < before):
            while self._written < row - 1:
                self.sheet.append([])
                self._written += 1
            cells = self._pending.pop(row)
            self.sheet.append([cells.get(c) for c in range(1, max(cells) + 1)])
            self._written += 1


class RowWorkbook:
    """A write-only Workbook whose sheets are RowSheets; `save()` closes them in order."""

    def __init__(self) -> None:
        self._workbook = Workbook(write_only=True)
        self._sheets: list[RowSheet] = []

    def create_sheet(self, title: str) -> RowSheet:
        sheet = RowSheet(self._workbook.create_sheet(title))
        self._sheets.append(sheet)
        return sheet

    def to_bytes(self) -> bytes:
        for sheet in self._sheets:
            sheet.close()
        buffer = io.BytesIO()
        self._workbook.save(buffer)
        return buffer.getvalue()
