"""What is wrong with a pack file, said so the person editing it can find and fix it.

Shared by the validator (which finds the problems) and the loader (which raises them together).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a pack file: where it is and what is wrong."""

    file: str
    # Where in the file: a field path such as "categories[0].areas[2].questions[1].text", or
    # "line L, column C" for YAML syntax errors, or "" for the file as a whole.
    path: str
    message: str

    def __str__(self) -> str:
        if self.path:
            return f"{self.file}: {self.path}: {self.message}"
        return f"{self.file}: {self.message}"


class PackError(Exception):
    """A pack file could not be loaded; `problems` lists everything that is wrong with it."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))

    @property
    def file(self) -> str:
        return self.problems[0].file if self.problems else ""
