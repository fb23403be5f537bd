"""HTML rendering within Telegram's limits.

Every user-derived string goes through `esc`; long texts are split on line boundaries so no
message passes 4,096 characters and no tag is cut in half.
"""

from __future__ import annotations

import html
import logging
import re

from telegram import CallbackQuery, InlineKeyboardMarkup
from telegram.error import BadRequest

log = logging.getLogger(__name__)

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


# Telegram's answers to an edit that changes nothing: the message already says this (two presses
# at once), is gone, or is too old to edit. Anything else is a real error.
_EDIT_LEFT_AS_IT_WAS = (
    "message is not modified",
    "message to edit not found",
    "message can't be edited",
)


async def edit_quietly(
    query: CallbackQuery, text: str | None = None, reply_markup: InlineKeyboardMarkup | None = None
) -> None:
    """Edit the pressed message's text and keyboard (only its keyboard when no text is given).

    An edit Telegram declines because it would change nothing is logged and passed over;
    any other refusal is raised.
    """
    try:
        if text is None:
            await query.edit_message_reply_markup(reply_markup)
        else:
            await query.edit_message_text(text, reply_markup=reply_markup)
    except BadRequest as error:
        if not any(known in str(error).lower() for known in _EDIT_LEFT_AS_IT_WAS):
            raise
        log.debug("left the message as it was: %s", error)


def split_message(blocks: list[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Pack rendered blocks (each balanced HTML) into as few messages as fit the limit, in order.

    A block longer than the limit is cut on line boundaries; a single line that is still too
    long is cut inside, never in a tag or an entity, and the tags open at the cut are closed at
    the end of one piece and opened again at the start of the next.
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
            if len(line) > limit:
                if chunk:  # what came before the long line goes first
                    fitted.append(chunk)
                    chunk = ""
                *pieces, line = _cut_line(line, limit)
                fitted.extend(pieces)
            candidate = f"{chunk}\n{line}" if chunk else line
            if len(candidate) > limit:
                fitted.append(chunk)
                chunk = line
            else:
                chunk = candidate
        if chunk:
            fitted.append(chunk)
    return fitted


_TAG = re.compile(r"<(/?)([a-zA-Z-]+)[^>]*>")
# Room kept at the end of a cut piece for the closing tags it needs.
_CLOSING_ROOM = 64


def _cut_line(line: str, limit: int) -> list[str]:
    """`line` in pieces of at most `limit` characters, each with balanced tags."""
    pieces = []
    room = limit - min(_CLOSING_ROOM, limit // 4)
    while len(line) > limit:
        cut = _safe_cut(line, room)
        open_tags = _open_tags(line[:cut])
        closing = "".join(f"</{name}>" for name, _ in reversed(open_tags))
        pieces.append(line[:cut] + closing)
        line = "".join(tag for _, tag in open_tags) + line[cut:]
    pieces.append(line)
    return pieces


def _open_tags(html_text: str) -> list[tuple[str, str]]:
    """(name, opening tag) of the tags still open at the end of `html_text`, outermost first."""
    stack: list[tuple[str, str]] = []
    for match in _TAG.finditer(html_text):
        closing, name = match.group(1), match.group(2).lower()
        if not closing:
            stack.append((name, match.group(0)))
        elif stack and stack[-1][0] == name:
            stack.pop()
    return stack


def _safe_cut(line: str, limit: int) -> int:
    """Cut before `limit` but never inside an HTML tag or an entity like &amp;."""
    cut = limit
    tag = line.rfind("<", 0, cut)
    if tag != -1 and ">" not in line[tag:cut]:
        cut = tag
    amp = line.rfind("&", max(0, cut - 8), cut)
    if amp != -1 and ";" not in line[amp:cut]:
        cut = amp
    return cut if cut > 0 else limit  # no safe place: a cut is better than no progress
