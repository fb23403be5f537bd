"""Finding and loading criteria packs: the shipped ones, plus a team's own from a directory.

Each file is checked by `criteria.validator`, which reports every problem of a file at once; a
broken extra pack is set aside in the registry's errors so the other packs stay usable.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from criteria.model import Pack
from criteria.problems import N_, PackError, Problem
from criteria.validator import read_pack

DEFAULT_PACK_ID = "baldrige-customer-management"
PACKS_DIR = Path(__file__).parent / "packs"
PACK_SUFFIXES = (".yaml", ".yml")
# How many packs kept elsewhere (uploaded in the chat) a registry remembers at once.
REMEMBERED_PACKS_MAX = 64


def load_pack(path: Path | str) -> Pack:
    """Load and check one pack file; raise PackError listing every problem found."""
    file = str(path)
    try:
        source = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PackError(
            [Problem(file, "", N_("cannot read the file: {error}"), {"error": str(error)})]
        ) from error
    return read_pack(source, file)


class PackRegistry:
    """Every pack the bot can offer, by id, plus the extra pack files that failed to load."""

    def __init__(self) -> None:
        self._packs: dict[str, Pack] = {}
        self._paths: dict[str, Path | None] = {}
        # Packs kept elsewhere (uploaded ones, in the database), by their key: the most
        # recently used few, so a busy bot reads each from storage once, not on every update.
        self._remembered: OrderedDict[str, Pack] = OrderedDict()
        # Broken extra packs; the caller logs them, the other packs stay usable.
        self.errors: list[PackError] = []

    def add(self, pack: Pack, path: Path | None = None) -> None:
        if pack.id in self._packs:
            raise ValueError(f"a pack with id {pack.id!r} is already registered")
        self._packs[pack.id] = pack
        self._paths[pack.id] = path

    def remember(self, key: str, pack: Pack) -> None:
        """Keep a pack stored elsewhere under `key` (never a shipped id), bounded."""
        self._remembered[key] = pack
        self._remembered.move_to_end(key)
        while len(self._remembered) > REMEMBERED_PACKS_MAX:
            self._remembered.popitem(last=False)

    def remembers(self, key: str) -> bool:
        return key in self._remembered

    def get(self, pack_id: str) -> Pack:
        if pack_id in self._remembered:
            self._remembered.move_to_end(pack_id)
            return self._remembered[pack_id]
        try:
            return self._packs[pack_id]
        except KeyError:
            known = ", ".join(self._packs) or "none"
            raise KeyError(f"no criteria pack with id {pack_id!r} (known: {known})") from None

    def all(self) -> list[Pack]:
        """Every pack, shipped packs first, each group in file name order."""
        return list(self._packs.values())

    def path(self, pack_id: str) -> Path | None:
        """The file a pack was loaded from (None for packs added in code)."""
        self.get(pack_id)
        return self._paths[pack_id]

    def __contains__(self, pack_id: object) -> bool:
        return pack_id in self._packs

    def __len__(self) -> int:
        return len(self._packs)


def load_packs(extra_dir: Path | None = None) -> PackRegistry:
    """Load the packs shipped in criteria/packs/ plus every pack file in extra_dir.

    A broken shipped pack is a bug in this release and raises PackError. A broken or clashing
    extra pack is recorded in the registry's `errors` and skipped, so one team's bad file does
    not take every other pack down with it.
    """
    registry = PackRegistry()
    for path in pack_files(PACKS_DIR):
        pack = load_pack(path)
        if pack.id in registry:
            raise PackError([_duplicate_pack_problem(path, pack, registry)])
        registry.add(pack, path)

    if extra_dir is None:
        return registry
    extra_dir = Path(extra_dir)
    if not extra_dir.is_dir():
        registry.errors.append(PackError([Problem(str(extra_dir), "", N_("directory not found"))]))
        return registry
    # Pointing the extra directory at the shipped packs would otherwise clash with every pack.
    if extra_dir.resolve() == PACKS_DIR.resolve():
        return registry
    for path in pack_files(extra_dir):
        try:
            pack = load_pack(path)
        except PackError as error:
            registry.errors.append(error)
            continue
        if pack.id in registry:
            registry.errors.append(PackError([_duplicate_pack_problem(path, pack, registry)]))
            continue
        registry.add(pack, path)
    return registry


def pack_files(directory: Path) -> list[Path]:
    """The pack files directly inside a directory, in name order, skipping hidden files."""
    return sorted(
        path
        for path in directory.iterdir()
        # Editors leave hidden lock and backup files (".#pack.yaml") next to the real one.
        if path.suffix in PACK_SUFFIXES and not path.name.startswith(".") and path.is_file()
    )


def _duplicate_pack_problem(path: Path, pack: Pack, registry: PackRegistry) -> Problem:
    first = registry.path(pack.id)
    return Problem(
        str(path),
        "id",
        N_("pack id {id!r} is already used by {first}; choose another id"),
        {"id": pack.id, "first": str(first)},
    )
