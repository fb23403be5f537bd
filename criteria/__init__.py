"""Assessment frameworks (criteria packs) as data, the loader that finds them and the validator
that reads them from YAML.

This package knows nothing about Telegram or the database: the bot asks it for a Pack and walks
its categories, areas and questions; answers are stored against the stable question ids.
"""

from criteria.loader import (
    DEFAULT_PACK_ID,
    PackRegistry,
    load_pack,
    load_packs,
)
from criteria.model import (
    MATURITY_LEVELS,
    Area,
    Category,
    MaturityLevel,
    Note,
    Pack,
    Question,
)
from criteria.problems import PackError, Problem

__all__ = [
    "DEFAULT_PACK_ID",
    "MATURITY_LEVELS",
    "Area",
    "Category",
    "MaturityLevel",
    "Note",
    "Pack",
    "PackError",
    "PackRegistry",
    "Problem",
    "Question",
    "load_pack",
    "load_packs",
]
