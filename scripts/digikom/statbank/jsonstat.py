"""A small, strict JSON-stat 2.0 reader that turns a dataset into a tidy pandas frame.

For every dimension (in the order of ``id``) the frame has a code column named after the
dimension and a ``<dimension>_label`` column, then ``value`` (float, NaN where missing or
suppressed) and ``status`` (SSB's symbol such as ``..`` or ``:``, empty string when none).

The parser accepts every form the JSON-stat 2.0 specification allows for these parts:
``value`` as an array or a sparse object keyed by flat index, ``status`` as a string or a
one-element array (either applies to all cells, as in the official JavaScript toolkit), an
array or an object, and ``category.index`` as an array or an object. Values are stored
row-major: the last dimension in ``id`` varies fastest. It is tested on real datasets of
other offices (tests/fixtures/jsonstat/). Anything malformed raises
:class:`~digikom.errors.StatbankError` naming the source, the field and the value; no
``KeyError``/``IndexError`` escapes. Refused, not guessed: a label for a code that is not in
the index, two sparse keys for one cell (``"1"`` and ``"01"``), ``NaN``/``Infinity``, a
dimension that ``id`` does not list, and a cube of more than ``max_cells`` cells (the
``statbank.max_cells`` setting), which is refused before anything is expanded.
"""

from __future__ import annotations

import itertools
import json
import math
import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import CellLimitError, StatbankError

RESERVED_COLUMNS = ("value", "status")


def _fail(source: str, msg: str) -> StatbankError:
    return StatbankError(f"{source}: malformed JSON-stat2: {msg}")


def _show(x: Any, limit: int = 60) -> str:
    """``repr(x)``, cut to ``limit`` characters (a refused value can be a whole array)."""
    text = repr(x)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _reject_constant(token: str) -> Any:
    # json.loads calls this for NaN, Infinity and -Infinity, which JSON does not have.
    raise ValueError(f"{token} is not a JSON number")


def _json_loads(text: str) -> Any:
    """``json.loads`` that refuses the ``NaN``/``Infinity`` tokens Python would accept."""
    return json.loads(text, parse_constant=_reject_constant)


def default_max_cells() -> int:
    """The ``statbank.max_cells`` default of the config schema."""
    from .settings import StatbankSettings

    return StatbankSettings().max_cells


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_number(x: Any) -> bool:
    return (isinstance(x, int | float)) and not isinstance(x, bool)


def _sparse_items(raw: Mapping, n: int, what: str, source: str) -> list[tuple[int, Any]]:
    """The (flat index, entry) pairs of a sparse ``value``/``status`` object: each key a
    string holding a decimal index in [0, n), no cell named by two keys."""
    seen: dict[int, str] = {}
    out = []
    for key, v in raw.items():
        if not isinstance(key, str) or not key.isdecimal() or not key.isascii():
            raise _fail(source, f"'{what}' key {_show(key)} is not a flat index")
        i = int(key)
        if i >= n:
            raise _fail(source, f"'{what}' key {key!r} is out of range (dataset has {n} cells)")
        if i in seen:
            raise _fail(source, f"'{what}' keys {seen[i]!r} and {key!r} both name cell {i}")
        seen[i] = key
        out.append((i, v))
    return out


def category_codes(dim_id: str, dim: Any, source: str) -> list[str]:
    """The category codes of one dimension, in index order."""
    if not isinstance(dim, Mapping):
        raise _fail(source, f"dimension {dim_id!r} is {_show(dim)}, not an object")
    cat = dim.get("category")
    if not isinstance(cat, Mapping):
        raise _fail(source, f"dimension {dim_id!r}: 'category' is {_show(cat)}, not an object")
    index = cat.get("index")
    labels = cat.get("label")
    if labels is not None and not isinstance(labels, Mapping):
        raise _fail(
            source, f"dimension {dim_id!r}: category.label is {_show(labels)}, not an object"
        )
    if index is None:
        # The spec allows omitting index for a single-category dimension.
        if labels is None or len(labels) != 1:
            raise _fail(
                source,
                f"dimension {dim_id!r}: category.index is missing and category.label "
                "does not hold exactly one category",
            )
        codes = list(labels.keys())
    elif isinstance(index, list):
        codes = list(index)
    elif isinstance(index, Mapping):
        n = len(index)
        codes_by_pos: list[Any] = [None] * n
        for code, pos in index.items():
            if not _is_int(pos) or not 0 <= pos < n or codes_by_pos[pos] is not None:
                raise _fail(
                    source,
                    f"dimension {dim_id!r}: category.index position {pos!r} of {code!r} "
                    f"is not a unique integer in 0..{n - 1}",
                )
            codes_by_pos[pos] = code
        codes = codes_by_pos
    else:
        raise _fail(
            source,
            f"dimension {dim_id!r}: category.index is {_show(index)}, neither array nor object",
        )
    bad = [c for c in codes if not isinstance(c, str)]
    if bad:
        raise _fail(source, f"dimension {dim_id!r}: category code(s) {_show(bad)} are not strings")
    known = set(codes)
    if len(known) != len(codes):
        dupes = sorted(c for c, k in Counter(codes).items() if k > 1)
        raise _fail(source, f"dimension {dim_id!r}: duplicate category codes {_show(dupes)}")
    if labels is not None:
        for code, lab in labels.items():
            if not isinstance(lab, str):
                raise _fail(
                    source,
                    f"dimension {dim_id!r}: category.label of {code!r} is {_show(lab)}, "
                    "not a string",
                )
        unknown = [c for c in labels if c not in known]
        if unknown:
            raise _fail(
                source,
                f"dimension {dim_id!r}: category.label has code(s) {_show(unknown)} that "
                "are not in category.index",
            )
    return codes


def _category_labels(dim: Mapping, codes: list[str]) -> list[str]:
    labels = dim["category"].get("label") or {}
    return [labels.get(code, code) for code in codes]


def _dims(obj: Mapping, source: str) -> tuple[list[str], list[int], Mapping]:
    ids = obj.get("id")
    sizes = obj.get("size")
    dims = obj.get("dimension")
    if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
        raise _fail(source, f"'id' is {_show(ids)}, not a list of non-empty strings")
    if len(set(ids)) != len(ids):
        raise _fail(source, f"'id' {_show(ids)} has duplicate dimension ids")
    if not isinstance(sizes, list) or not all(_is_int(s) and s >= 0 for s in sizes):
        raise _fail(source, f"'size' is {_show(sizes)}, not a list of non-negative integers")
    if len(sizes) != len(ids):
        raise _fail(
            source, f"'id' has {len(ids)} entries but 'size' {_show(sizes)} has {len(sizes)}"
        )
    if not isinstance(dims, Mapping):
        raise _fail(source, f"'dimension' is {_show(dims)}, not an object")
    missing = [i for i in ids if i not in dims]
    if missing:
        raise _fail(source, f"dimension(s) {missing} listed in 'id' are missing from 'dimension'")
    unlisted = [d for d in dims if d not in ids]
    if unlisted:
        raise _fail(
            source, f"'dimension' has {_show(unlisted)}, which 'id' {_show(ids)} does not list"
        )
    columns = [c for i in ids for c in (i, f"{i}_label")]
    clash = sorted(
        {c for c in columns if columns.count(c) > 1} | set(columns) & set(RESERVED_COLUMNS)
    )
    if clash:
        raise _fail(source, f"dimension ids give clashing column names {clash}")
    return ids, sizes, dims


def _values(obj: Mapping, n: int, source: str) -> list[float]:
    raw = obj.get("value")
    out = [math.nan] * n
    if isinstance(raw, list):
        if len(raw) != n:
            raise _fail(source, f"'value' has {len(raw)} entries but the sizes give {n} cells")
        items: Any = enumerate(raw)
    elif isinstance(raw, Mapping):
        items = _sparse_items(raw, n, "value", source)
    else:
        raise _fail(source, f"'value' is {_show(raw)}, not an array or an object")
    for i, v in items:
        if v is None:
            continue
        if not _is_number(v) or not math.isfinite(v):
            raise _fail(source, f"'value' at flat index {i} is {_show(v)}, not a number or null")
        out[i] = float(v)
    return out


def _statuses(obj: Mapping, n: int, source: str) -> list[str]:
    raw = obj.get("status")
    if raw is None:
        return [""] * n
    if isinstance(raw, list) and len(raw) == 1 and n != 1:
        raw = raw[0]  # one status for every cell, as the official toolkit reads it
        if raw is None:
            return [""] * n
        if not isinstance(raw, str):
            raise _fail(source, f"'status' [{_show(raw)}] is not a string")
    if isinstance(raw, str):
        return [raw] * n
    out = [""] * n
    if isinstance(raw, list):
        if len(raw) != n:
            raise _fail(source, f"'status' has {len(raw)} entries but the sizes give {n} cells")
        items: Any = enumerate(raw)
    elif isinstance(raw, Mapping):
        items = _sparse_items(raw, n, "status", source)
    else:
        raise _fail(source, f"'status' is {_show(raw)}, not a string, an array or an object")
    for i, s in items:
        if s is None:
            continue
        if not isinstance(s, str):
            raise _fail(source, f"'status' at flat index {i} is {_show(s)}, not a string")
        out[i] = s
    return out


def parse_jsonstat2(obj: Any, source: str, max_cells: int | None = None) -> pd.DataFrame:
    """Turn a decoded JSON-stat2 dataset into a tidy frame (see the module docstring);
    more than ``max_cells`` cells (default: the config schema's ``statbank.max_cells``)
    raise :class:`StatbankError` before anything is expanded."""
    if not isinstance(obj, Mapping):
        raise _fail(source, f"top level is {type(obj).__name__}, not an object")
    cls = obj.get("class", "dataset")
    if cls != "dataset":
        raise _fail(source, f"'class' is {_show(cls)}, expected 'dataset'")
    ids, sizes, dims = _dims(obj, source)
    limit = default_max_cells() if max_cells is None else max_cells
    if math.prod(sizes) > limit:
        raise CellLimitError(
            f"{source}: 'size' {_show(sizes)} gives {math.prod(sizes)} cells, more than "
            f"statbank.max_cells={limit}; select fewer categories or raise max_cells"
        )
    codes = [category_codes(i, dims[i], source) for i in ids]
    for dim_id, size, cs in zip(ids, sizes, codes, strict=True):
        if len(cs) != size:
            raise _fail(source, f"dimension {dim_id!r} has {len(cs)} categories but size {size}")
    n = math.prod(sizes)
    values = _values(obj, n, source)
    statuses = _statuses(obj, n, source)
    labels = [_category_labels(dims[i], cs) for i, cs in zip(ids, codes, strict=True)]

    data: dict[str, Any] = {}
    combos = list(itertools.product(*[range(len(cs)) for cs in codes])) if ids else [()]
    for d, dim_id in enumerate(ids):
        data[dim_id] = [codes[d][c[d]] for c in combos]
        data[f"{dim_id}_label"] = [labels[d][c[d]] for c in combos]
    data["value"] = values
    data["status"] = statuses
    frame = pd.DataFrame(data, columns=[*data.keys()])
    frame["value"] = frame["value"].astype("float64")
    for col in frame.columns:
        if col != "value":
            frame[col] = frame[col].astype(object)
    return frame


def decode_json(raw: bytes, source: str) -> dict[str, Any]:
    """A JSON object from UTF-8 bytes (a response body or a cached file); anything
    else raises :class:`StatbankError` naming ``source``."""
    try:
        obj = _json_loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise StatbankError(f"{source}: not valid JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise StatbankError(f"{source}: expected a JSON object")
    return obj


def loads_jsonstat2(data: bytes | str, source: str, max_cells: int | None = None) -> pd.DataFrame:
    """Decode JSON text/bytes (UTF-8) and parse it."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        obj = _json_loads(text)
    except UnicodeDecodeError as exc:
        raise StatbankError(f"{source}: not UTF-8 text: {exc}") from exc
    except ValueError as exc:  # json.JSONDecodeError, or a NaN/Infinity token
        raise StatbankError(f"{source}: not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise StatbankError(f"{source}: JSON nested too deeply") from exc
    return parse_jsonstat2(obj, source, max_cells)


def read_jsonstat2(path: str | os.PathLike, max_cells: int | None = None) -> pd.DataFrame:
    """Read and parse a JSON-stat2 file."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise StatbankError(f"{path}: cannot read: {exc}") from exc
    return loads_jsonstat2(data, str(path), max_cells)


def read_tidy_csv(path: str | os.PathLike, dims: list[str]) -> pd.DataFrame:
    """Read back a tidy StatBank CSV: codes and labels as text (``"01"`` stays ``"01"``),
    ``value`` as float (NaN where empty), ``status`` as text (``""`` where none)."""
    text_cols = {c: str for d in dims for c in (d, f"{d}_label")} | {"status": str}
    df = pd.read_csv(path, dtype=text_cols, keep_default_na=False, na_values={"value": [""]})
    missing = [c for c in [*dims, "value", "status"] if c not in df.columns]
    if missing:
        raise StatbankError(f"{path}: missing column(s) {missing}")
    df["value"] = pd.to_numeric(df["value"], errors="raise")
    return df
