"""Telegram's text formatting, reimplemented for the fake Bot API.

`parse_html` follows the HTML parser of tdlib (the library behind the real Bot API server): the
same supported tags, the same attribute rules and the same error messages ("Unsupported start tag
"foo" at byte offset 3", "Can't find end tag corresponding to start tag "b"", ...), so a bot that
passes here formats its messages the way Telegram will. It is stricter than Telegram in one place
on purpose: a bare `&` that does not start one of the supported entities is an error (Telegram
shows it literally, but a bare `&` almost always means user text was not escaped).

`detect_entities` plays the part of the Telegram apps when a simulated person types a message:
it marks bot commands, mentions, hashtags, e-mail addresses and URLs.

Entity offsets and lengths are counted in UTF-16 code units, as the Bot API requires.

Why it is long: it mirrors tdlib's parser rule for rule (tags, attributes, entities, byte
offsets in error messages), and the rules only make sense together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Tags Telegram understands in parse_mode HTML (https://core.telegram.org/bots/api#html-style).
SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "tg-time",
        "code",
        "pre",
        "blockquote",
    }
)

_ENTITY_TYPE_BY_TAG = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "tg-emoji": "custom_emoji",
    "tg-time": "date_time",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "a": "text_link",
}

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_ENTITY_RE = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8})|([a-zA-Z]+));")


class FormattingError(ValueError):
    """The text cannot be parsed; str(error) is the part after "can't parse entities: "."""


@dataclass
class FormattedText:
    """Plain text as the recipient sees it plus the entities that format it."""

    text: str
    entities: list[dict] = field(default_factory=list)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: characters outside the BMP count twice."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    # tdlib reports positions as byte offsets into the UTF-8 encoded text.
    return len(text[:index].encode("utf-8"))


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_start: int
    extra: dict = field(default_factory=dict)


class _HtmlParser:
    """Single pass over the text, mirroring tdlib's parse_html step by step."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0
        self.out: list[str] = []
        self.out_utf16 = 0
        self.open_tags: list[_OpenTag] = []
        self.entities: list[dict] = []

    def error(self, message: str) -> FormattingError:
        return FormattingError(message)

    def char(self, index: int) -> str:
        return self.source[index] if index < len(self.source) else ""

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.out_utf16 += utf16_len(text)

    def parse(self) -> FormattedText:
        source = self.source
        while self.pos < len(source):
            char = source[self.pos]
            if char == "&":
                self.emit(self.read_html_entity(self.pos))
            elif char == "<":
                if self.char(self.pos + 1) == "/":
                    self.read_end_tag()
                else:
                    self.read_start_tag()
            else:
                self.emit(char)
                self.pos += 1
        if self.open_tags:
            name = self.open_tags[-1].name
            raise self.error(f'Can\'t find end tag corresponding to start tag "{name}"')
        self.entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
        return FormattedText("".join(self.out), self.entities)

    def read_html_entity(self, start: int) -> str:
        """Decode one HTML entity starting at `start` (a `&`) and advance past it."""
        match = _HTML_ENTITY_RE.match(self.source, start)
        if match is None:
            raise self.error(
                f'Character "&" at byte offset {_byte_offset(self.source, start)} must be '
                'escaped as "&amp;" (Telegram would show it literally, the fake insists on '
                "escaping because a bare & usually means unescaped user text)"
            )
        decimal, hexadecimal, name = match.groups()
        if name is not None:
            if name not in _NAMED_ENTITIES:
                raise self.error(
                    f'Unsupported HTML entity "&{name};" at byte offset '
                    f"{_byte_offset(self.source, start)}; only &lt; &gt; &amp; &quot; and "
                    "numeric entities are supported"
                )
            decoded = _NAMED_ENTITIES[name]
        else:
            code_point = int(decimal) if decimal is not None else int(hexadecimal, 16)
            if code_point == 0 or code_point > 0x10FFFF or 0xD800 <= code_point <= 0xDFFF:
                raise self.error(
                    f"Invalid numeric HTML entity at byte offset {_byte_offset(self.source, start)}"
                )
            decoded = chr(code_point)
        self.pos = match.end()
        return decoded

    def read_start_tag(self) -> None:
        source = self.source
        begin = self.pos
        offset = _byte_offset(source, begin)
        i = begin + 1
        while i < len(source) and not source[i].isspace() and source[i] != ">":
            i += 1
        if i >= len(source):
            raise self.error(f"Unclosed start tag at byte offset {offset}")
        tag_name = source[begin + 1 : i].lower()
        if tag_name not in SUPPORTED_TAGS:
            raise self.error(f'Unsupported start tag "{tag_name}" at byte offset {offset}')

        attributes: dict[str, str] = {}
        while True:
            while i < len(source) and source[i].isspace():
                i += 1
            if i >= len(source):
                raise self.error(f"Unclosed start tag at byte offset {offset}")
            if source[i] == ">":
                break
            attribute_start = i
            while i < len(source) and not source[i].isspace() and source[i] not in "=>":
                i += 1
            attribute_name = source[attribute_start:i].lower()
            if not attribute_name:
                raise self.error(
                    f'Empty attribute name in the tag "{tag_name}" at byte offset {offset}'
                )
            while i < len(source) and source[i].isspace():
                i += 1
            if self.char(i) != "=":
                # <blockquote expandable> is the one attribute Telegram accepts without a value.
                if tag_name == "blockquote" and attribute_name == "expandable":
                    attributes[attribute_name] = ""
                    continue
                raise self.error(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag_name}" at byte offset {offset}'
                )
            i += 1
            while i < len(source) and source[i].isspace():
                i += 1
            if i >= len(source):
                raise self.error(f"Unclosed start tag at byte offset {offset}")
            value_chars: list[str] = []
            if source[i] in "\"'":
                quote = source[i]
                i += 1
                while i < len(source) and source[i] != quote:
                    if source[i] == "&":
                        self.pos = i
                        value_chars.append(self.read_html_entity(i))
                        i = self.pos
                    else:
                        value_chars.append(source[i])
                        i += 1
                if i >= len(source):
                    raise self.error(f"Unclosed start tag at byte offset {offset}")
                i += 1
            else:
                # An unquoted value is a "name token": letters, digits, dots and dashes.
                while i < len(source) and (source[i].isalnum() or source[i] in ".-"):
                    value_chars.append(source[i])
                    i += 1
                if not value_chars:
                    raise self.error(f"Expected quote at byte offset {_byte_offset(source, i)}")
            attributes[attribute_name] = "".join(value_chars)

        self.pos = i + 1
        self.open_tags.append(self.make_open_tag(tag_name, attributes, offset))

    def make_open_tag(self, tag_name: str, attributes: dict[str, str], offset: int) -> _OpenTag:
        argument = ""
        extra: dict = {}
        if tag_name == "a":
            argument = attributes.get("href", "")
        elif tag_name == "span":
            argument = attributes.get("class", "")
            if argument != "tg-spoiler":
                raise self.error(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        elif tag_name == "code":
            css_class = attributes.get("class", "")
            if css_class.startswith("language-"):
                argument = css_class.removeprefix("language-")
        elif tag_name == "tg-emoji":
            argument = attributes.get("emoji-id", "")
            if not argument.isdigit():
                raise self.error(
                    f'Tag "tg-emoji" must have a numeric "emoji-id" attribute at byte offset '
                    f"{offset}"
                )
        elif tag_name == "tg-time":
            unix = attributes.get("unix", "")
            if not unix.lstrip("-").isdigit():
                raise self.error(
                    f'Tag "tg-time" must have a numeric "unix" attribute at byte offset {offset}'
                )
            extra = {"unix_time": int(unix)}
            if attributes.get("format"):
                extra["date_time_format"] = attributes["format"]
        elif tag_name == "blockquote" and "expandable" in attributes:
            argument = "expandable"
        return _OpenTag(tag_name, argument, self.out_utf16, extra)

    def read_end_tag(self) -> None:
        source = self.source
        begin = self.pos
        offset = _byte_offset(source, begin)
        if not self.open_tags:
            raise self.error(f"Unexpected end tag at byte offset {offset}")
        i = begin + 2
        while i < len(source) and not source[i].isspace() and source[i] != ">":
            i += 1
        end_tag_name = source[begin + 2 : i].lower()
        while i < len(source) and source[i].isspace():
            i += 1
        if self.char(i) != ">":
            raise self.error(f"Unclosed end tag at byte offset {offset}")
        open_tag = self.open_tags[-1]
        if end_tag_name and end_tag_name != open_tag.name:
            raise self.error(
                f'Unmatched end tag at byte offset {offset}, expected "</{open_tag.name}>", '
                f'found "</{end_tag_name}>"'
            )
        self.pos = i + 1
        self.open_tags.pop()
        self.close_entity(open_tag)

    def close_entity(self, tag: _OpenTag) -> None:
        length = self.out_utf16 - tag.utf16_start
        parent = self.open_tags[-1] if self.open_tags else None
        if tag.name == "code" and parent is not None and parent.name == "pre":
            # <pre><code class="language-x"> is one "pre" entity with a language.
            if tag.argument:
                parent.argument = tag.argument
            return
        if length <= 0:
            return  # Telegram drops empty entities.
        entity_type = _ENTITY_TYPE_BY_TAG[tag.name]
        entity: dict = {"type": entity_type, "offset": tag.utf16_start, "length": length}
        if tag.name == "a":
            if not tag.argument:
                return
            if tag.argument.startswith("tg://user?id="):
                # A mention of a user by id; a real server would resolve the user.
                entity["type"] = "text_mention"
                user_id = tag.argument.removeprefix("tg://user?id=")
                entity["user"] = {"id": int(user_id or 0), "is_bot": False, "first_name": "User"}
            else:
                entity["url"] = tag.argument
        elif tag.name == "pre" and tag.argument:
            entity["language"] = tag.argument
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = tag.argument
        elif tag.name == "blockquote" and tag.argument == "expandable":
            entity["type"] = "expandable_blockquote"
        entity.update(tag.extra)
        self.entities.append(entity)


def parse_html(source: str) -> FormattedText:
    """Parse Telegram-flavoured HTML; raises FormattingError exactly where Telegram would."""
    return _HtmlParser(source).parse()


def strip_formatted(formatted: FormattedText) -> FormattedText:
    """Trim leading/trailing whitespace like Telegram does, moving entities along."""
    text = formatted.text
    stripped_left = text.lstrip()
    lead = utf16_len(text[: len(text) - len(stripped_left)])
    stripped = stripped_left.rstrip()
    total = utf16_len(stripped)
    entities = []
    for entity in formatted.entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return FormattedText(stripped, entities)


def format_text(text: str, parse_mode: str | None, entities: list[dict] | None) -> FormattedText:
    """Turn a text parameter plus its parse_mode/entities siblings into what the user sees.

    Raises FormattingError for malformed HTML and ValueError for a parse mode the fake does not
    implement (MarkdownV2/Markdown: the bot under test uses HTML).
    """
    if entities:
        # Explicit entities win over parse_mode, the text is taken literally.
        return strip_formatted(FormattedText(text, [dict(entity) for entity in entities]))
    if parse_mode is None or parse_mode == "":
        return strip_formatted(FormattedText(text, []))
    mode = parse_mode.lower()
    if mode == "html":
        return strip_formatted(parse_html(text))
    if mode in ("markdownv2", "markdown"):
        raise UnsupportedParseModeError(parse_mode)
    raise UnknownParseModeError(parse_mode)


class UnsupportedParseModeError(ValueError):
    """A real Telegram parse mode that this fake does not implement."""


class UnknownParseModeError(ValueError):
    """A parse mode Telegram does not know at all."""


# --- entity detection for text typed by simulated people -------------------------------------

_DETECTORS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("bot_command", re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?!\w)")),
    ("email", re.compile(r"(?<![\w.@])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")),
    ("url", re.compile(r"(?<!\w)https?://[^\s<>\"]+")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}(?!\w)")),
    ("hashtag", re.compile(r"(?<![\w#])#\w+")),
)


def detect_entities(text: str) -> list[dict]:
    """Entities the Telegram apps would attach to a message a person typed."""
    found: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []
    for entity_type, pattern in _DETECTORS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < other_end and other_start < end for other_start, other_end in taken):
                continue
            taken.append((start, end))
            found.append((start, end, entity_type))
    found.sort()
    return [
        {
            "type": entity_type,
            "offset": utf16_len(text[:start]),
            "length": utf16_len(text[start:end]),
        }
        for start, end, entity_type in found
    ]
