"""HTML rendering within Telegram's limits.

Every user-derived string goes through `esc`; long texts are split on line boundaries so no
message passes 4,096 characters and no tag is cut in half.
"""

from __future__ import annotations

import html

MESSAGE_LIMIT = 4096
PREVIEW_CHARS = 600


def esc(text: str | None) -> str:
    return html.escape(text or "", quote=False)


def preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    """A plain-text excerpt for echoing an answer back; the caller escapes it."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def progress_bar(done: int, total: int, width: int = 10) -> str:
    filled = round(width * done / total) if total else width
    return "▰" * filled + "▱" * (width - filled)


def split_message(blocks: list[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Pack rendered blocks (each balanced HTML) into as few messages as fit the limit.

    A block longer than the limit is cut on line boundaries; a single line that is still too
    long is cut hard, which is safe because it is escaped text inside at most one tag pair.
    """
    messages: list[str] = []
    current = ""
    for block in _fit_blocks(blocks, limit):
        candidate = f"{current}\n\n{block}" if current else block
        if len(candidate) <= limit:
            current = candidate
        else:
            messages.append(current)
            current = block
    if current:
        messages.append(current)
    return messages


def _fit_blocks(blocks: list[str], limit: int) -> list[str]:
    fitted = []
    for block in blocks:
        if len(block) <= limit:
            fitted.append(block)
            continue
        chunk = ""
        for line in block.split("\n"):
            while len(line) > limit:
                cut = _safe_cut(line, limit)
                fitted.append(line[:cut])
                line = line[cut:]
            candidate = f"{chunk}\n{line}" if chunk else line
            if len(candidate) > limit:
                fitted.append(chunk)
                chunk = line
            else:
                chunk = candidate
        if chunk:
            fitted.append(chunk)
    return fitted


def _safe_cut(line: str, limit: int) -> int:
    """Cut before `limit` but never inside an HTML entity like &amp;."""
    cut = limit
    amp = line.rfind("&", max(0, cut - 8), cut)
    if amp != -1 and ";" not in line[amp:cut]:
        cut = amp
    return cut
