"""The import rules of docs/ARCHITECTURE.md, checked on the parsed source (nothing is imported).

Each rule is a function from a source root to its violations ("path:line: what"), so the same
rule runs on the real tree and on a small planted tree that must make it fail.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HANDLER_PACKAGES = ("bot.private", "bot.manage", "bot.group")
SQL_CONSTRUCTORS = {"select", "update", "insert", "delete"}
SQL_LIBRARIES = ("sqlalchemy", "sqlmodel")
STATUS_LITERAL = re.compile(r"""["'](answered|skipped|not_my_area)["']""")

Rule = Callable[[Path], list[str]]


# --- reading the source ----------------------------------------------------------------------


def module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules_under(root: Path, package: str) -> Iterator[tuple[str, Path]]:
    """Every module of `package` (a dotted name) below `root`, the package itself included."""
    base = root.joinpath(*package.split("."))
    paths = sorted(base.rglob("*.py")) if base.is_dir() else [base.with_suffix(".py")]
    for path in paths:
        if path.is_file():
            yield module_name(root, path), path


def imports_of(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """The modules `path` imports, anywhere in it (lazy imports too), as absolute dotted names.

    `from a.b import c` yields both `a.b` and `a.b.c`: c may be a module or a name in a.b.
    """
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = module.split(".")
                package = package if is_package else package[:-1]
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target, node.lineno
            for alias in node.names:
                yield f"{target}.{alias.name}", node.lineno


def within(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == package or name.startswith(package + ".") for package in packages)


def forbidden_imports(root: Path, packages: tuple[str, ...], forbidden: tuple[str, ...]):
    """Violations: a module of `packages` importing anything within `forbidden`."""
    found = {}
    for package in packages:
        for module, path in modules_under(root, package):
            for name, line in imports_of(module, path):
                if within(name, forbidden):
                    # One report per import statement: the module it names, not each name.
                    found.setdefault((str(path.relative_to(root)), line), name)
    return [f"{path}:{line}: imports {name}" for (path, line), name in sorted(found.items())]


def sql_statements_in(root: Path, packages: tuple[str, ...]) -> list[str]:
    """Violations: select/update/insert/delete taken from sqlalchemy or sqlmodel in `packages`."""
    found = []
    for package in packages:
        for _module, path in modules_under(root, package):
            tree = ast.parse(path.read_text(), str(path))
            library_aliases = set()
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and within(node.module or "", SQL_LIBRARIES):
                    for alias in node.names:
                        if alias.name in SQL_CONSTRUCTORS:
                            found.append(f"{path.relative_to(root)}:{node.lineno}: {alias.name}")
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        if within(alias.name, SQL_LIBRARIES):
                            library_aliases.add(alias.asname or alias.name.split(".")[0])
            for node in ast.walk(tree):
                # sqlalchemy.select(...) or sa.insert(...) through a module alias.
                if (
                    isinstance(node, ast.Attribute)
                    and node.attr in SQL_CONSTRUCTORS
                    and isinstance(node.value, ast.Name)
                    and node.value.id in library_aliases
                ):
                    found.append(f"{path.relative_to(root)}:{node.lineno}: {node.attr}")
    return sorted(set(found))


# --- the rules -------------------------------------------------------------------------------


def criteria_stands_alone(root: Path) -> list[str]:
    """Packs load and read anywhere: no Telegram, no database, nothing of the bot."""
    return forbidden_imports(root, ("criteria",), ("telegram", "storage", "bot"))


def storage_knows_no_bot(root: Path) -> list[str]:
    return forbidden_imports(root, ("storage",), ("bot",))


def logic_knows_no_telegram(root: Path) -> list[str]:
    """Domain, services and export read and test without Telegram types."""
    return forbidden_imports(root, ("bot.domain", "bot.services", "bot.export"), ("telegram",))


def domain_knows_no_database(root: Path) -> list[str]:
    """The domain reads plain data. Of storage it may name the answer statuses only
    (storage/statuses.py: plain enums, kept there so that storage needs nothing of bot/)."""
    return [
        violation
        for violation in forbidden_imports(
            root, ("bot.domain",), ("storage", "sqlalchemy", "sqlmodel")
        )
        if not violation.endswith("imports storage.statuses")
    ]


def handlers_write_no_sql(root: Path) -> list[str]:
    """Handlers are thin: their data access goes through bot/services (the plumbing of bot/core
    and the scheduled runs too)."""
    return sql_statements_in(root, (*HANDLER_PACKAGES, "bot.core", "bot.scheduled"))


def statuses_are_named(root: Path) -> list[str]:
    """Answer statuses are AnswerStatus members, never spelled as strings (their definition
    in storage/statuses.py aside)."""
    return [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for package in ("bot", "storage")
        for _module, path in modules_under(root, package)
        if path.name != "statuses.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        # A run's JSON detail counts reminders "skipped" (not sent), which is no answer status.
        if STATUS_LITERAL.search(line.split("#")[0]) and "json.dumps" not in line
    ]


def core_and_services_import_no_handlers(root: Path) -> list[str]:
    return forbidden_imports(root, ("bot.core", "bot.services"), HANDLER_PACKAGES)


def jobs_import_no_handlers(root: Path) -> list[str]:
    return forbidden_imports(root, ("bot.scheduled.jobs",), HANDLER_PACKAGES)


RULES = [
    criteria_stands_alone,
    storage_knows_no_bot,
    logic_knows_no_telegram,
    domain_knows_no_database,
    handlers_write_no_sql,
    core_and_services_import_no_handlers,
    jobs_import_no_handlers,
    statuses_are_named,
]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__name__)
def test_the_tree_keeps_the_import_rule(rule: Rule):
    assert rule(REPO) == []


# --- each rule catches a planted violation ---------------------------------------------------


def plant(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in path.relative_to(root).parents:
            if parent != Path(".") and not (root / parent / "__init__.py").exists():
                (root / parent / "__init__.py").write_text("")
        path.write_text(text)
    return root


PLANTED = {
    criteria_stands_alone: {"criteria/loader.py": "from storage.models import Team\n"},
    storage_knows_no_bot: {"storage/queries.py": "from bot.domain.progress import DONE\n"},
    logic_knows_no_telegram: {"bot/services/teams.py": "def f():\n    import telegram\n"},
    domain_knows_no_database: {
        "bot/domain/progress.py": "from storage.statuses import AnswerStatus\n"
        "from storage.models import Answer\n"
    },
    handlers_write_no_sql: {"bot/group/consensus.py": "import sqlalchemy as sa\nsa.update(1)\n"},
    core_and_services_import_no_handlers: {"bot/core/guards.py": "from ..private import away\n"},
    jobs_import_no_handlers: {"bot/scheduled/jobs.py": "from bot.manage import digest\n"},
    statuses_are_named: {"bot/private/review.py": "status = 'skipped'\n"},
}


@pytest.mark.parametrize("rule", list(PLANTED), ids=lambda rule: rule.__name__)
def test_the_rule_fails_on_a_planted_violation(rule: Rule, tmp_path):
    clean = plant(tmp_path / "clean", {path: "import logging\n" for path in PLANTED[rule]})
    assert rule(clean) == []
    broken = plant(tmp_path / "broken", PLANTED[rule])
    assert rule(broken) != []


def test_sql_from_another_library_or_a_service_call_is_no_violation(tmp_path):
    root = plant(
        tmp_path,
        {"bot/private/review.py": "from bot.services import answers\nanswers.update(1)\n"},
    )
    assert handlers_write_no_sql(root) == []
