"""What is wrong with a pack file, said so the person editing it can find and fix it.

Shared by the validator (which finds the problems) and the loader (which raises them together).
A problem is a template with parameters, not a finished sentence: `python -m criteria validate`
prints it in English, and the bot words it in the reader's language. criteria never imports the
bot, so the templates are marked with the `N_` defined here, which pybabel extracts like the
bot's own (babel.cfg).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


def N_(text: str) -> str:
    """Marks a template for translation; the bot translates it where it is shown."""
    return text


LINE_COLUMN = N_("line {line}, column {column}")
# Shared by the validator and the scoring field; {suggestion} is a "did you mean" or "".
UNKNOWN_FIELD = N_("unknown field {name!r}{suggestion} (known fields: {known})")


def _english(text: str) -> str:
    return text


@dataclass(frozen=True)
class Text:
    """A sentence to be worded in some language: a template and its parameters.

    A parameter may itself be a Text (a described value, a "did you mean"), worded in the same
    language; any other parameter is inserted as it is (a name or value from the file).
    """

    template: str
    params: Mapping[str, object] = field(default_factory=dict, hash=False)

    def render(self, translate: Callable[[str], str] = _english) -> str:
        if not self.params:
            return translate(self.template)
        values = {
            name: value.render(translate) if isinstance(value, Text) else value
            for name, value in self.params.items()
        }
        return translate(self.template).format(**values)


def text(template: str, **params: object) -> Text:
    return Text(template, MappingProxyType(params))


@dataclass(frozen=True, eq=False)
class Problem:
    """One thing wrong in a pack file: where it is and what is wrong.

    Two problems are equal when they read the same in English, so a test (or a caller) may
    still write one as Problem(file, path, "the English message").
    """

    file: str
    # Where in the file: a field path such as "categories[0].areas[2].questions[1].text", or ""
    # for the file as a whole or when the problem has a line instead (YAML syntax, repeated keys).
    path: str
    template: str
    params: Mapping[str, object] = field(default_factory=dict)
    line: int | None = None
    column: int | None = None

    @property
    def text(self) -> Text:
        return Text(self.template, self.params)

    @property
    def message(self) -> str:
        """The English sentence."""
        return self.text.render()

    def where(self, translate: Callable[[str], str] = _english) -> str:
        """ "line L, column C", the field path, or "" for the whole file."""
        if self.line is not None:
            return translate(LINE_COLUMN).format(line=self.line, column=self.column)
        return self.path

    def _reads(self) -> tuple[str, str, str]:
        return self.file, self.where(), self.message

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Problem):
            return NotImplemented
        return self._reads() == other._reads()

    def __hash__(self) -> int:
        return hash(self._reads())

    def __str__(self) -> str:
        where = self.where()
        if where:
            return f"{self.file}: {where}: {self.message}"
        return f"{self.file}: {self.message}"


class PackError(Exception):
    """A pack file could not be loaded; `problems` lists everything that is wrong with it."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))

    @property
    def file(self) -> str:
        return self.problems[0].file if self.problems else ""
