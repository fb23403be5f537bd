"""The Telegram Bot API specification (api.json) and strict validation of calls against it.

The fake Bot API exists to catch calls that real Telegram would refuse (or would silently
misinterpret), so every call is checked here before the fake acts on it:

* the method exists (method names are case-insensitive, as in Telegram);
* every required parameter is present and no unknown parameter is sent (Telegram ignores unknown
  parameters; the fake refuses them because they are always a typo or a wrong API version);
* every value has the type the spec names: Integer, Float, Boolean, String, InputFile, objects
  checked field by field (again refusing unknown fields), "Array of X", "Array of Array of X",
  unions, and abstract types resolved through their subtypes' discriminator field;
* the limits written in the spec's descriptions ("1-4096 characters after entities parsing",
  "1-64 bytes", "must include 2-10 items") and a few well-known rules that are only prose
  (exactly one action per inline button, bot command names, at most 100 commands, ...).

Values arrive either typed (JSON bodies) or as strings (query string, urlencoded and multipart
forms, which is what python-telegram-bot sends); strings are converted by the expected type the
way the Bot API server does, objects and arrays inside them are JSON.

The spec file is found through the TELEGRAM_API_SPEC environment variable, else it is the copy
shipped in this package (api.min.json: Bot API 10.1, from the data files of
PaulSonOfLars/telegram-bot-api-spec, MIT), so an installed wheel checks calls on its own.

Why it is long: the type system of the Bot API (unions, arrays, InputFile, per-method rules) is
checked in one place, so a refusal reads the same whatever the method.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.playground.botapi.telegram_html import (
    FormattingError,
    UnknownParseModeError,
    UnsupportedParseModeError,
    format_text,
)

SPEC_ENV_VAR = "TELEGRAM_API_SPEC"

_PRIMITIVES = frozenset({"Integer", "Float", "Boolean", "String", "InputFile"})
_INTEGER_TEXT = re.compile(r"-?[0-9]{1,20}")
_FLOAT_TEXT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_RANGE_IN_DESCRIPTION = re.compile(r"\b(\d+)-(\d+) (characters|bytes)\b")
_ITEMS_IN_DESCRIPTION = re.compile(r"\b(\d+)-(\d+) (?:items|answer options)\b")
_DISCRIMINATOR = re.compile(r'(?:always "([^"]+)"|must be ([a-z_]+)$)')
_BOT_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_URL_SCHEMES = ("http://", "https://", "tg://")
_ATTACH_REFERENCE = re.compile(r'attach://([^\s"\\]+)')

#: Fields of InlineKeyboardButton that do not count as "the" action of the button.
_BUTTON_DECORATIONS = frozenset({"text", "icon_custom_emoji_id", "style"})
_KEYBOARD_BUTTON_ACTIONS = frozenset(
    {"request_users", "request_chat", "request_contact", "request_location", "request_poll",
     "web_app", "request_managed_bot"}
)  # fmt: skip
CHAT_ACTIONS = frozenset(
    {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
     "upload_document", "choose_sticker", "find_location", "record_video_note",
     "upload_video_note"}
)  # fmt: skip
MAX_INLINE_BUTTONS = 100
MAX_BOT_COMMANDS = 100
#: Parameters whose scraped type is narrower than what Telegram accepts. sendMediaGroup lists
#: one "Array of InputMediaX" per media type, but photos and videos may share an album; the
#: mixing rule is checked in _check_method_rules instead.
_TYPE_OVERRIDES = {("sendMediaGroup", "media"): ("Array of InputMedia",)}
_ALBUM_FAMILIES = ({"photo", "video", "live_photo"}, {"document"}, {"audio"})


def default_spec_path() -> Path:
    """TELEGRAM_API_SPEC, else the copy shipped beside this module."""
    configured = os.environ.get(SPEC_ENV_VAR)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().with_name("api.min.json")


# python-telegram-bot routes every message-returning method through one helper that always sends
# parse_mode (its Defaults value), even to methods without that parameter such as
# editMessageReplyMarkup. Telegram ignores it there; so does the fake, for this one name only.
PTB_ALWAYS_SENDS = frozenset({"parse_mode"})


class ApiError(Exception):
    """A refusal exactly as the Bot API would send it: error_code, description, parameters.

    `kind` says why, for the fake's bookkeeping: "invalid" (the call breaks the spec), "state"
    (valid call, wrong for the current state: chat not found, message not modified, ...),
    "forbidden" (blocked or kicked), "conflict", "injected" (fail_next / slow) or "flood".
    """

    def __init__(
        self,
        error_code: int,
        description: str,
        *,
        parameters: dict | None = None,
        kind: str = "invalid",
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters
        self.kind = kind

    def to_response(self) -> dict:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(message: str, *, kind: str = "invalid") -> ApiError:
    return ApiError(400, f"Bad Request: {message}", kind=kind)


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart/form-data request."""

    part_name: str
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class FieldSpec:
    name: str
    types: tuple[str, ...]
    required: bool
    description: str

    @functools.cached_property
    def length_range(self) -> tuple[int, int, str] | None:
        """(min, max, "characters"|"bytes") when the description states a length."""
        match = _RANGE_IN_DESCRIPTION.search(self.description)
        if match is None or "String" not in self.types:
            return None
        return int(match.group(1)), int(match.group(2)), match.group(3)

    @functools.cached_property
    def item_range(self) -> tuple[int, int] | None:
        match = _ITEMS_IN_DESCRIPTION.search(self.description)
        if match is None or not all(t.startswith("Array of") for t in self.types):
            return None
        return int(match.group(1)), int(match.group(2))

    @functools.cached_property
    def is_formatted_text(self) -> bool:
        return "after entities parsing" in self.description or (
            "after entity parsing" in self.description
        )


@dataclass(frozen=True)
class TypeSpec:
    name: str
    fields: dict[str, FieldSpec]
    subtypes: tuple[str, ...] = ()
    #: (field name, required value) for members of a union, e.g. ("type", "photo").
    discriminator: tuple[str, str] | None = None


@dataclass(frozen=True)
class MethodSpec:
    name: str
    fields: dict[str, FieldSpec]
    returns: tuple[str, ...]


def _fields(raw_fields: list[dict]) -> dict[str, FieldSpec]:
    return {
        raw["name"]: FieldSpec(
            raw["name"], tuple(raw["types"]), bool(raw["required"]), raw.get("description", "")
        )
        for raw in raw_fields
    }


def _discriminator(raw_fields: list[dict]) -> tuple[str, str] | None:
    if not raw_fields:
        return None
    first = raw_fields[0]
    if first["name"] not in ("type", "status", "source") or first["types"] != ["String"]:
        return None
    match = _DISCRIMINATOR.search(first.get("description", "").strip())
    if match is None:
        return None
    return first["name"], match.group(1) or match.group(2)


class _Problem(Exception):
    """A validation problem at a path inside one parameter."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


class BotApiSpec:
    """Methods and types of one Bot API version, with validation helpers."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.version: str = data.get("version", "unknown")
        self.methods: dict[str, MethodSpec] = {
            name: MethodSpec(name, _fields(raw.get("fields", [])), tuple(raw.get("returns", [])))
            for name, raw in data["methods"].items()
        }
        self.types: dict[str, TypeSpec] = {
            name: TypeSpec(
                name,
                _fields(raw.get("fields", [])),
                tuple(raw.get("subtypes", [])),
                _discriminator(raw.get("fields", [])) if raw.get("subtype_of") else None,
            )
            for name, raw in data["types"].items()
        }
        self._methods_by_lower_name = {name.lower(): spec for name, spec in self.methods.items()}

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> BotApiSpec:
        return _load_cached(str(Path(path) if path else default_spec_path()))

    def method(self, name: str) -> MethodSpec | None:
        """The method named `name`, compared case-insensitively like Telegram does."""
        return self._methods_by_lower_name.get(name.lower())

    # --- calls ---------------------------------------------------------------------------------

    def validate_call(
        self,
        method: MethodSpec,
        text_params: Mapping[str, str],
        typed_params: Mapping[str, Any],
        files: Mapping[str, UploadedFile],
    ) -> dict[str, Any]:
        """Check one call and return its parameters converted to Python values.

        `text_params` came as strings (query string or form fields), `typed_params` from a JSON
        body; `files` are multipart file parts by part name (a file parameter, or a part named
        by an "attach://<name>" reference). Raises ApiError(400) on the first problem.
        """
        given = {**text_params, **typed_params}
        # A file part must be a parameter or be named by an "attach://<name>" reference.
        referenced = set(_ATTACH_REFERENCE.findall(json.dumps(given, default=str)))
        for name in (*given, *(part for part in files if part not in referenced)):
            if name in PTB_ALWAYS_SENDS and name not in method.fields:
                continue
            if name not in method.fields:
                raise bad_request(
                    f'unknown parameter "{name}" for method {method.name} (Telegram ignores '
                    "unknown parameters silently; the fake refuses them because they are "
                    "typos or belong to another API version)"
                )
        converted: dict[str, Any] = {}
        for spec_field in method.fields.values():
            name = spec_field.name
            types = _TYPE_OVERRIDES.get((method.name, name), spec_field.types)
            try:
                if name in files and "InputFile" in types and name not in given:
                    converted[name] = files[name]
                elif name in typed_params and typed_params[name] is not None:
                    converted[name] = self._check(typed_params[name], types, "", files)
                elif name in text_params:
                    converted[name] = self._from_text(text_params[name], types, files)
                elif spec_field.required:
                    raise bad_request(f'required parameter "{name}" is missing')
            except _Problem as problem:
                raise self._problem_to_error(name, problem) from None
        try:
            self._check_field_rules(method.name, method.fields, converted, "")
            self._check_method_rules(method.name, converted)
        except _Problem as problem:
            raise self._problem_to_error(
                problem.path.split(".")[0].split("[")[0], problem
            ) from None
        return converted

    def _problem_to_error(self, parameter: str, problem: _Problem) -> ApiError:
        if problem.path.startswith("!"):
            # A rule that carries Telegram's own wording (e.g. "BUTTON_DATA_INVALID").
            return bad_request(problem.message)
        where = f'parameter "{parameter}"'
        inner = problem.path.removeprefix(parameter).lstrip(".")
        if inner:
            where += f" at {inner}"
        return bad_request(f"{where}: {problem.message}")

    def _from_text(self, raw: str, types: tuple[str, ...], files: Mapping[str, UploadedFile]):
        """Convert a string-encoded value, trying the spec's types with String last."""
        if "Integer" in types and _INTEGER_TEXT.fullmatch(raw):
            return int(raw)
        if "Float" in types and _FLOAT_TEXT.fullmatch(raw):
            return float(raw)
        if "Boolean" in types and raw in ("true", "false"):
            return raw == "true"
        structured = tuple(t for t in types if t.startswith("Array of") or t not in _PRIMITIVES)
        if structured and raw.lstrip()[:1] in ("{", "["):
            try:
                decoded = json.loads(raw)
            except ValueError:
                raise _Problem("", f"is not valid JSON for {_or(structured)}") from None
            return self._check(decoded, structured, "", files)
        if "String" in types:
            return raw
        raise _Problem("", f"must be {_or(types)}, got {raw[:60]!r}")

    # --- values --------------------------------------------------------------------------------

    def matches(self, value: Any, type_names: tuple[str, ...]) -> bool:
        """Whether `value` is a valid instance of one of `type_names` (e.g. a method result)."""
        try:
            self._check(value, type_names, "", {})
        except _Problem:
            return False
        return True

    def validate_object(self, type_name: str, value: Any) -> None:
        """Check an object the fake itself produces (updates, results) against the spec."""
        try:
            self._check(value, (type_name,), type_name, {})
        except _Problem as problem:
            raise ValueError(f"{type_name} does not match Bot API spec: {problem}") from None

    def _check(
        self, value: Any, types: tuple[str, ...], path: str, files: Mapping[str, UploadedFile]
    ) -> Any:
        if len(types) == 1:
            return self._check_one(value, types[0], path, files)
        candidates = [t for t in types if _kind_matches(value, t)]
        if not candidates:
            raise _Problem(path, f"must be {_or(types)}, got {_json_kind(value)}")
        problems: list[tuple[int, _Problem]] = []
        for type_name in candidates:
            try:
                return self._check_one(value, type_name, path, files)
            except _Problem as problem:
                problems.append((self._closeness(value, type_name), problem))
        problems.sort(key=lambda scored: -scored[0])
        raise problems[0][1]

    def _closeness(self, value: Any, type_name: str) -> int:
        """How plausible it is that `value` was meant as `type_name` (for error messages)."""
        element = type_name
        while element.startswith("Array of "):
            element = element.removeprefix("Array of ")
            value = value[0] if isinstance(value, list) and value else {}
        spec = self.types.get(element)
        if spec is None or not isinstance(value, dict):
            return 0
        return len(set(value) & set(spec.fields))

    def _check_one(
        self, value: Any, type_name: str, path: str, files: Mapping[str, UploadedFile]
    ) -> Any:
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                raise _Problem(path, f"must be an Array, got {_json_kind(value)}")
            element = type_name.removeprefix("Array of ")
            return [
                self._check(item, (element,), f"{path}[{index}]", files)
                for index, item in enumerate(value)
            ]
        if type_name == "Integer":
            if isinstance(value, bool) or not isinstance(value, int):
                raise _Problem(path, f"must be Integer, got {_json_kind(value)}")
            return value
        if type_name == "Float":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _Problem(path, f"must be Float, got {_json_kind(value)}")
            return value
        if type_name == "Boolean":
            if not isinstance(value, bool):
                raise _Problem(path, f"must be Boolean (true/false), got {_json_kind(value)}")
            return value
        if type_name == "String":
            if not isinstance(value, str):
                raise _Problem(path, f"must be String, got {_json_kind(value)}")
            if value.startswith("attach://") and value.removeprefix("attach://") not in files:
                raise _Problem(path, f"refers to {value} but no such file part was uploaded")
            return value
        if type_name == "InputFile":
            if isinstance(value, UploadedFile):
                return value
            raise _Problem(path, "must be an uploaded file (multipart/form-data)")
        return self._check_object(value, type_name, path, files)

    def _check_object(
        self, value: Any, type_name: str, path: str, files: Mapping[str, UploadedFile]
    ) -> dict:
        spec = self.types.get(type_name)
        if spec is None:
            raise _Problem(path, f"unknown type {type_name} in the spec")
        if not isinstance(value, dict):
            raise _Problem(path, f"must be a JSON object ({type_name}), got {_json_kind(value)}")
        if spec.subtypes:
            return self._check_union(value, spec, path, files)
        if spec.discriminator is not None:
            key, expected = spec.discriminator
            if value.get(key) != expected:
                raise _Problem(_join(path, key), f'must be "{expected}" for {type_name}')
        for key in value:
            if key not in spec.fields:
                raise _Problem(_join(path, key), f"unknown field (not a field of {type_name})")
        checked: dict[str, Any] = {}
        for spec_field in spec.fields.values():
            item = value.get(spec_field.name)
            if item is None:
                # JSON null is treated as "absent", as the Bot API does.
                if spec_field.required:
                    raise _Problem(
                        _join(path, spec_field.name), f"required field of {type_name} is missing"
                    )
                continue
            checked[spec_field.name] = self._check(
                item, spec_field.types, _join(path, spec_field.name), files
            )
        self._check_field_rules(type_name, spec.fields, checked, path)
        self._check_type_rules(type_name, checked, path)
        return checked

    def _check_union(
        self, value: dict, spec: TypeSpec, path: str, files: Mapping[str, UploadedFile]
    ) -> dict:
        members = [self.types[name] for name in spec.subtypes if name in self.types]
        keyed = [member for member in members if member.discriminator is not None]
        if keyed:
            key = keyed[0].discriminator[0]
            members = [member for member in keyed if member.discriminator[1] == value.get(key)]
            if not members:
                allowed = sorted({member.discriminator[1] for member in keyed})
                raise _Problem(
                    _join(path, key),
                    f"must be one of {allowed} for {spec.name}, got {value.get(key)!r}",
                )
        problems: list[_Problem] = []
        for member in members:
            try:
                return self._check_object(value, member.name, path, files)
            except _Problem as problem:
                problems.append(problem)
        raise (
            problems[0]
            if len(problems) == 1
            else _Problem(path, f"matches none of {[m.name for m in members]}: {problems[0]}")
        )

    # --- limits and prose rules ----------------------------------------------------------------

    def _check_field_rules(
        self, owner: str, fields: dict[str, FieldSpec], values: dict[str, Any], path: str
    ) -> None:
        """Length and item-count limits written in the field descriptions."""
        for spec_field in fields.values():
            name = spec_field.name
            value = values.get(name)
            if value is None:
                continue
            field_path = _join(path, name)
            if spec_field.item_range and isinstance(value, list):
                low, high = spec_field.item_range
                if not low <= len(value) <= high:
                    raise _Problem(field_path, f"must have {low}-{high} items, got {len(value)}")
            if not isinstance(value, str) or isinstance(value, UploadedFile):
                continue
            is_parse_mode = name == "parse_mode" or name.endswith("_parse_mode")
            if is_parse_mode and value.lower() not in ("html", "markdownv2", "markdown", ""):
                raise _Problem("!", "unsupported parse_mode")
            if spec_field.length_range is None and not spec_field.is_formatted_text:
                continue
            low, high, unit = spec_field.length_range or (0, 1 << 30, "characters")
            if spec_field.is_formatted_text or f"{name}_parse_mode" in fields:
                length = len(self._formatted(name, fields, values, field_path).text)
            elif unit == "bytes":
                length = len(value.encode("utf-8"))
            else:
                length = len(value)
            if low <= length <= high:
                continue
            raise _Problem(*_length_problem(owner, name, field_path, low, high, unit, length))

    def _formatted(
        self, name: str, fields: dict[str, FieldSpec], values: dict[str, Any], path: str
    ):
        parse_mode_field, entities_field = formatting_siblings(name, fields)
        try:
            return format_text(
                values[name],
                values.get(parse_mode_field) if parse_mode_field else None,
                values.get(entities_field) if entities_field else None,
            )
        except FormattingError as error:
            raise _Problem("!", f"can't parse entities: {error}") from None
        except UnsupportedParseModeError as error:
            raise _Problem(
                "!",
                f"can't parse entities: parse_mode {error} is not implemented by the fake Bot "
                "API (the bot under test formats with HTML)",
            ) from None
        except UnknownParseModeError:
            raise _Problem("!", "unsupported parse_mode") from None

    def _check_type_rules(self, type_name: str, value: dict, path: str) -> None:
        """Rules the spec states only in prose."""
        if type_name == "InlineKeyboardButton":
            actions = sorted(set(value) - _BUTTON_DECORATIONS)
            if len(actions) != 1:
                raise _Problem(
                    path,
                    "an inline keyboard button must use exactly one of the optional action "
                    f"fields (url, callback_data, ...), got {actions or 'none'}",
                )
            if not value["text"].strip():
                raise _Problem("!", "can't parse inline keyboard button: text must be non-empty")
            url = value.get("url")
            if url is not None and not url.startswith(_URL_SCHEMES):
                raise _Problem("!", f"BUTTON_URL_INVALID ({url!r})")
        elif type_name == "InlineKeyboardMarkup":
            count = sum(len(row) for row in value["inline_keyboard"])
            if count > MAX_INLINE_BUTTONS:
                raise _Problem("!", f"reply markup is too long ({count} buttons, at most 100)")
        elif type_name == "KeyboardButton":
            actions = sorted(set(value) & _KEYBOARD_BUTTON_ACTIONS)
            if len(actions) > 1:
                raise _Problem(path, f"a keyboard button may use at most one action: {actions}")
        elif type_name == "BotCommand" and not _BOT_COMMAND.fullmatch(value["command"]):
            raise _Problem(
                "!",
                f"BOT_COMMAND_INVALID ({value['command']!r}: commands are 1-32 characters "
                "of lowercase English letters, digits and underscores)",
            )

    def _check_method_rules(self, method: str, params: dict[str, Any]) -> None:
        if method == "sendMediaGroup":
            kinds = {media["type"] for media in params["media"]}
            if not any(kinds <= family for family in _ALBUM_FAMILIES):
                raise _Problem(
                    "!",
                    f"can't mix {sorted(kinds)} in one album: documents and audio files can "
                    "only be grouped with their own kind",
                )
        if method == "setMyCommands" and len(params["commands"]) > MAX_BOT_COMMANDS:
            raise _Problem("!", f"BOT_COMMANDS_TOO_MUCH ({len(params['commands'])} commands)")
        if method == "sendChatAction" and params["action"] not in CHAT_ACTIONS:
            raise _Problem("!", "wrong parameter action in request")
        if method == "setWebhook":
            secret = params.get("secret_token")
            if secret is not None and not _SECRET_TOKEN.fullmatch(secret):
                raise _Problem("!", "secret token contains unallowed characters")


def formatting_siblings(name: str, fields: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The parse-mode and entities fields that format the text field `name`.

    "question" is formatted by "question_parse_mode"/"question_entities", "caption" by
    "parse_mode"/"caption_entities", "text" by "parse_mode"/"entities", and so on.
    """
    parse_mode = f"{name}_parse_mode" if f"{name}_parse_mode" in fields else None
    if parse_mode is None and "parse_mode" in fields:
        parse_mode = "parse_mode"
    entities = None
    for candidate in (f"{name}_entities", "entities" if name in ("text", "message_text") else ""):
        if candidate and candidate in fields:
            entities = candidate
            break
    return parse_mode, entities


def _length_problem(
    owner: str, name: str, path: str, low: int, high: int, unit: str, length: int
) -> tuple[str, str]:
    """Telegram's wording for the limits bots hit most, a generic message for the rest."""
    if name in ("text", "message_text") and owner in (
        "sendMessage", "editMessageText", "InputTextMessageContent"
    ):  # fmt: skip
        return ("!", "message text is empty") if length < low else ("!", "message is too long")
    if name == "caption":
        return "!", "message caption is too long"
    if name == "callback_data":
        return "!", f"BUTTON_DATA_INVALID (callback_data is {length} bytes, allowed {low}-{high})"
    return path, f"must be {low}-{high} {unit}, got {length}"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _or(types: tuple[str, ...]) -> str:
    return " or ".join(types)


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, str):
        return f"String {value[:40]!r}"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, UploadedFile):
        return "uploaded file"
    return type(value).__name__


def _kind_matches(value: Any, type_name: str) -> bool:
    """Cheap pre-filter for unions: does the JSON kind of `value` fit `type_name` at all?"""
    if type_name.startswith("Array of"):
        return isinstance(value, list)
    if type_name == "Integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "Float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if type_name == "Boolean":
        return isinstance(value, bool)
    if type_name == "String":
        return isinstance(value, str)
    if type_name == "InputFile":
        return isinstance(value, UploadedFile)
    return isinstance(value, dict)


@functools.cache
def _load_cached(path: str) -> BotApiSpec:
    with open(path, encoding="utf-8") as spec_file:
        return BotApiSpec(json.load(spec_file))


__all__ = [
    "CHAT_ACTIONS",
    "SPEC_ENV_VAR",
    "ApiError",
    "BotApiSpec",
    "FieldSpec",
    "MethodSpec",
    "TypeSpec",
    "UploadedFile",
    "bad_request",
    "default_spec_path",
    "formatting_siblings",
]
