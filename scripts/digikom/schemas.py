"""The JSON schemas of the config files (workflow/schemas/): where they are, reading one,
and the default of one property, so code that needs a default reads it from the schema
(the one place defaults are written) instead of repeating it."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

from .io import read_yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = REPO_ROOT / "workflow" / "schemas"


@cache
def _read(name: str) -> dict:
    return read_yaml(SCHEMA_DIR / name)


def load_schema(name: str) -> dict:
    """The schema ``workflow/schemas/<name>`` (a fresh copy: callers may change it)."""
    return copy.deepcopy(_read(name))


def schema_default(name: str, *path: str) -> Any:
    """The ``default`` of the property at ``path`` in schema ``name``: property names of
    nested objects, ``"[]"`` for the items of an array; ``KeyError`` naming the path if
    the schema has none there."""
    node: Any = _read(name)
    try:
        for key in path:
            node = node["items"] if key == "[]" else node["properties"][key]
    except (KeyError, TypeError):
        raise KeyError(f"{name}: no property {'/'.join(path)}") from None
    if "default" not in node:
        raise KeyError(f"{name}: property {'/'.join(path)} has no default")
    return copy.deepcopy(node["default"])
