"""The layers point one way: storage knows nothing of bot/, SQL lives in services only, the
scheduled jobs import no handler module, and answer statuses are named, never spelled.

Each rule is a function over a source tree, so a test can also plant a violation and see it
caught.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HANDLER_FOLDERS = ("bot/private", "bot/manage", "bot/group", "bot/core", "bot/scheduled")
SQL_STATEMENTS = {"select", "update", "insert", "delete"}
STATUS_LITERAL = re.compile(r"""["'](answered|skipped|not_my_area)["']""")


def _modules(root: Path, *folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (root / folder).rglob("*.py"))


def _imports(path: Path) -> list[tuple[str, set[str]]]:
    """(module, names imported from it) for every import in the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, set()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, {alias.name for alias in node.names}))
    return found


def storage_importing_bot(root: Path) -> list[str]:
    return [
        f"{path.relative_to(root)} imports {module}"
        for path in _modules(root, "storage")
        for module, _names in _imports(path)
        if module == "bot" or module.startswith("bot.")
    ]


def sql_in_handlers(root: Path) -> list[str]:
    """SQL statements are built in bot/services, never in handler, view or plumbing modules."""
    return [
        f"{path.relative_to(root)} imports {sorted(names & SQL_STATEMENTS)} from {module}"
        for path in _modules(root, *HANDLER_FOLDERS)
        for module, names in _imports(path)
        if module.split(".")[0] in ("sqlalchemy", "sqlmodel") and names & SQL_STATEMENTS
    ]


def jobs_importing_handlers(root: Path) -> list[str]:
    handlers = ("bot.private", "bot.manage", "bot.group")
    return [
        f"{path.relative_to(root)} imports {module}"
        for path in _modules(root, "bot/scheduled")
        for module, names in _imports(path)
        if module.startswith(handlers)
        or (module == "bot" and names & {"private", "manage", "group"})
    ]


def spelled_statuses(root: Path) -> list[str]:
    """Answer statuses as string literals instead of AnswerStatus (its definition aside)."""
    return [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for path in _modules(root, "bot", "storage")
        if path.name != "statuses.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        # A run's JSON detail counts reminders "skipped" (not sent), which is no answer status.
        if STATUS_LITERAL.search(line.split("#")[0]) and "json.dumps" not in line
    ]


RULES = (storage_importing_bot, sql_in_handlers, jobs_importing_handlers, spelled_statuses)


def test_the_tree_keeps_the_layer_rules():
    for rule in RULES:
        assert rule(ROOT) == [], rule.__doc__ or rule.__name__


def test_each_rule_catches_a_planted_violation(tmp_path):
    for folder in ("storage", "bot/private", "bot/scheduled"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "storage/queries.py").write_text("from bot.domain.progress import team_progress\n")
    (tmp_path / "bot/private/review.py").write_text(
        "from sqlalchemy import update as sql_update\nstatus = 'skipped'\n"
    )
    (tmp_path / "bot/scheduled/jobs.py").write_text("from bot.manage.digest import run_digest\n")
    for rule in RULES:
        assert rule(tmp_path), f"{rule.__name__} missed its planted violation"
