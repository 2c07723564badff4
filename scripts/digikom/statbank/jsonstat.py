"""A small, strict JSON-stat 2.0 reader that turns a dataset into a tidy pandas frame.

For every dimension (in the order of ``id``) the frame has a code column named after the
dimension and a ``<dimension>_label`` column, then ``value`` (float, NaN where missing or
suppressed) and ``status`` (SSB's symbol such as ``..`` or ``:``, empty string when none).

The parser accepts every form the JSON-stat 2.0 specification allows for the parts SSB's
PxWebApi v2 uses: ``value`` as an array or a sparse object keyed by flat index, ``status``
as a string (applies to all cells), an array or an object, and ``category.index`` as an
array or an object. Values are stored row-major: the last dimension in ``id`` varies
fastest. Anything malformed raises :class:`~digikom.errors.StatbankError` naming the source
and the problem; no ``KeyError``/``IndexError`` escapes.
"""

from __future__ import annotations

import itertools
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import StatbankError

RESERVED_COLUMNS = ("value", "status")


def _fail(source: str, msg: str) -> StatbankError:
    return StatbankError(f"{source}: malformed JSON-stat2: {msg}")


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_number(x: Any) -> bool:
    return (isinstance(x, int | float)) and not isinstance(x, bool)


def _flat_index(key: Any, n: int, what: str, source: str) -> int:
    """A sparse-object key: a string holding a decimal index in [0, n)."""
    if not isinstance(key, str) or not key.isdecimal() or not key.isascii():
        raise _fail(source, f"{what} key {key!r} is not a flat index")
    i = int(key)
    if i >= n:
        raise _fail(source, f"{what} key {key!r} is out of range (dataset has {n} cells)")
    return i


def category_codes(dim_id: str, dim: Any, source: str) -> list[str]:
    """The category codes of one dimension, in index order."""
    if not isinstance(dim, Mapping):
        raise _fail(source, f"dimension {dim_id!r} is not an object")
    cat = dim.get("category")
    if not isinstance(cat, Mapping):
        raise _fail(source, f"dimension {dim_id!r} has no 'category' object")
    index = cat.get("index")
    labels = cat.get("label")
    if labels is not None and not isinstance(labels, Mapping):
        raise _fail(source, f"dimension {dim_id!r}: category.label is not an object")
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
        raise _fail(source, f"dimension {dim_id!r}: category.index is neither array nor object")
    if not all(isinstance(c, str) for c in codes):
        raise _fail(source, f"dimension {dim_id!r}: category codes must be strings")
    if len(set(codes)) != len(codes):
        raise _fail(source, f"dimension {dim_id!r}: duplicate category codes")
    if labels is not None:
        for code, lab in labels.items():
            if not isinstance(lab, str):
                raise _fail(source, f"dimension {dim_id!r}: label of {code!r} is not a string")
    return codes


def _category_labels(dim: Mapping, codes: list[str]) -> list[str]:
    labels = dim["category"].get("label") or {}
    return [labels.get(code, code) for code in codes]


def _dims(obj: Mapping, source: str) -> tuple[list[str], list[int], Mapping]:
    ids = obj.get("id")
    sizes = obj.get("size")
    dims = obj.get("dimension")
    if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
        raise _fail(source, "'id' must be a list of non-empty strings")
    if len(set(ids)) != len(ids):
        raise _fail(source, "'id' has duplicate dimension ids")
    if not isinstance(sizes, list) or not all(_is_int(s) and s >= 0 for s in sizes):
        raise _fail(source, "'size' must be a list of non-negative integers")
    if len(sizes) != len(ids):
        raise _fail(source, f"'id' has {len(ids)} entries but 'size' has {len(sizes)}")
    if not isinstance(dims, Mapping):
        raise _fail(source, "'dimension' must be an object")
    missing = [i for i in ids if i not in dims]
    if missing:
        raise _fail(source, f"dimension(s) {missing} listed in 'id' are missing from 'dimension'")
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
        items = ((_flat_index(k, n, "value", source), v) for k, v in raw.items())
    else:
        raise _fail(source, "'value' must be an array or an object")
    for i, v in items:
        if v is None:
            continue
        if not _is_number(v):
            raise _fail(source, f"value at flat index {i} is {v!r}, not a number or null")
        out[i] = float(v)
    return out


def _statuses(obj: Mapping, n: int, source: str) -> list[str]:
    raw = obj.get("status")
    if raw is None:
        return [""] * n
    if isinstance(raw, str):
        return [raw] * n
    out = [""] * n
    if isinstance(raw, list):
        if len(raw) != n:
            raise _fail(source, f"'status' has {len(raw)} entries but the sizes give {n} cells")
        items: Any = enumerate(raw)
    elif isinstance(raw, Mapping):
        items = ((_flat_index(k, n, "status", source), v) for k, v in raw.items())
    else:
        raise _fail(source, "'status' must be a string, an array or an object")
    for i, s in items:
        if s is None:
            continue
        if not isinstance(s, str):
            raise _fail(source, f"status at flat index {i} is {s!r}, not a string")
        out[i] = s
    return out


def parse_jsonstat2(obj: Any, source: str) -> pd.DataFrame:
    """Turn a decoded JSON-stat2 dataset into a tidy frame (see the module docstring)."""
    if not isinstance(obj, Mapping):
        raise _fail(source, f"top level is {type(obj).__name__}, not an object")
    cls = obj.get("class", "dataset")
    if cls != "dataset":
        raise _fail(source, f"class is {cls!r}, expected 'dataset'")
    ids, sizes, dims = _dims(obj, source)
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
        obj = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StatbankError(f"{source}: not valid JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise StatbankError(f"{source}: expected a JSON object")
    return obj


def loads_jsonstat2(data: bytes | str, source: str) -> pd.DataFrame:
    """Decode JSON text/bytes (UTF-8) and parse it."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        obj = json.loads(text)
    except UnicodeDecodeError as exc:
        raise StatbankError(f"{source}: not UTF-8 text: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise StatbankError(f"{source}: not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise StatbankError(f"{source}: JSON nested too deeply") from exc
    return parse_jsonstat2(obj, source)


def read_jsonstat2(path: str | os.PathLike) -> pd.DataFrame:
    """Read and parse a JSON-stat2 file."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise StatbankError(f"{path}: cannot read: {exc}") from exc
    return loads_jsonstat2(data, str(path))


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
