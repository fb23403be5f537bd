"""Command line for pack authors: check pack files before handing them to the bot.

python -m criteria validate FILE [FILE...]   check files (or every pack in a directory)
python -m criteria list [--dir DIR]          list the shipped packs plus those in DIR
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from criteria.loader import DEFAULT_PACK_ID, load_pack, load_packs, pack_files
from criteria.model import Pack
from criteria.problems import PackError


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m criteria", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check pack files and report every problem")
    validate.add_argument("files", nargs="+", type=Path, metavar="FILE")
    listing = commands.add_parser("list", help="list the packs the bot would offer")
    listing.add_argument("--dir", type=Path, help="extra pack directory (CRITERIA_DIR)")
    arguments = parser.parse_args(argv)
    if arguments.command == "validate":
        return validate_files(arguments.files)
    return list_packs(arguments.dir)


def validate_files(paths: list[Path]) -> int:
    all_valid = True
    for path in _expand_directories(paths):
        try:
            pack = load_pack(path)
        except PackError as error:
            all_valid = False
            print(error)
        else:
            print(f"OK {pack.id} v{pack.version}: {_counts(pack)}")
    return 0 if all_valid else 1


def list_packs(extra_dir: Path | None) -> int:
    try:
        registry = load_packs(extra_dir)
    except PackError as error:
        print(error)
        return 1
    for pack in registry.all():
        default = " (default)" if pack.id == DEFAULT_PACK_ID else ""
        languages = ", ".join(pack.languages())
        print(f"{pack.id} v{pack.version}{default} [{languages}] {pack.title}: {_counts(pack)}")
        print(f"    {registry.path(pack.id)}")
    for error in registry.errors:
        print(error)
    return 1 if registry.errors else 0


def _counts(pack: Pack) -> str:
    return (
        f"{len(pack.categories)} categories, {len(pack.areas())} areas, "
        f"{len(pack.questions())} questions"
    )


def _expand_directories(paths: list[Path]) -> list[Path]:
    expanded: list[Path] = []
    for path in paths:
        expanded.extend(pack_files(path) if path.is_dir() else [path])
    return expanded


if __name__ == "__main__":
    sys.exit(main())
