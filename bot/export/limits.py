"""Keeping every file under the upload limit: compress it, and if that is not enough, split it.

Telegram lets a bot upload documents of up to 50 MB. Spreadsheets and PDFs are compressed
already, but a big team's CSV or Markdown shrinks several times when zipped; whatever is still
too big is sent as numbered parts of the zip, which 7-Zip opens directly from the first part
and `cat` joins on any system.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from bot.core.i18n import _

# Telegram's "50 MB" read as decimal megabytes (the smaller reading), less room for the
# multipart envelope the upload travels in.
TELEGRAM_UPLOAD_LIMIT_BYTES = 50_000_000 - 64 * 1024


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content: bytes
    description: str  # what the file is, for the caption: "Spreadsheet (XLSX)"
    note: str = ""  # said to the reader when the file was compressed or split

    @property
    def size(self) -> int:
        return len(self.content)


def fit_upload_limit(
    file: ExportFile, limit: int = TELEGRAM_UPLOAD_LIMIT_BYTES
) -> list[ExportFile]:
    """The file itself if it fits; else zipped; else the zip in parts that each fit."""
    if limit <= 0:
        raise ValueError("the upload limit must be positive")
    if file.size <= limit:
        return [file]
    zipped = _zipped(file)
    if zipped.size <= limit:
        return [zipped]
    parts = [zipped.content[start : start + limit] for start in range(0, zipped.size, limit)]
    return [
        ExportFile(
            filename=f"{zipped.filename}.{number:03d}",
            content=part,
            description=file.description,
            note=_(
                "Too big for one upload, so {name} comes in {count} parts (this is part "
                "{number}). Open the .001 part with 7-Zip, or join them with "
                "cat {name}.0* > {name}"
            ).format(name=zipped.filename, count=len(parts), number=number),
        )
        for number, part in enumerate(parts, start=1)
    ]


def _zipped(file: ExportFile) -> ExportFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(file.filename, file.content)
    return ExportFile(
        filename=f"{file.filename}.zip",
        content=buffer.getvalue(),
        description=file.description,
        note=_("Compressed into a zip file to fit Telegram's upload limit."),
    )
