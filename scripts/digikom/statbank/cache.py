"""The download cache: each query's raw responses under ``raw_dir``, byte for byte, as
``{table}_{lang}_{queryhash}[_partN].json``, each with a ``.meta.json`` sidecar of
provenance (URL, query, licence, source, fetch time, sha256), written atomically; a cache
is used only if it is complete and every file matches its sidecar's sha256."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import StatbankError
from ..io import sha256_file, write_bytes, write_json
from .jsonstat import category_codes, decode_json, parse_jsonstat2
from .settings import StatbankSettings


def query_hash(table: str, settings: StatbankSettings, selection: dict[str, Any]) -> str:
    """Stable 12-hex-digit hash of everything that determines the response."""
    key = {
        "base_url": settings.base_url.rstrip("/"),
        "table": str(table),
        "lang": settings.lang,
        "valueCodes": dict(sorted((selection.get("valueCodes") or {}).items())),
        "codelist": dict(sorted((selection.get("codelist") or {}).items())),
    }
    if selection.get("labels"):
        key["labels"] = selection["labels"]
    blob = json.dumps(key, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:12]


def cache_stem(table: str, settings: StatbankSettings, selection: dict[str, Any]) -> str:
    """The common start of the cached files' names of one query."""
    return f"{table}_{settings.lang}_{query_hash(table, settings, selection)}"


def _part_paths(raw_dir: Path, stem: str) -> list[Path]:
    single = raw_dir / f"{stem}.json"
    parts = sorted(
        raw_dir.glob(f"{stem}_part*.json"),
        key=lambda p: int(re.sub(r"\D", "", p.stem.rsplit("_part", 1)[1]) or 0),
    )
    parts = [p for p in parts if not p.name.endswith(".meta.json")]
    return ([single] if single.exists() else []) + parts


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name[: -len(".json")] + ".meta.json")


def part_path(raw_dir: Path, stem: str, i: int, n: int) -> Path:
    """Where part ``i`` of ``n`` is cached (no ``_partN`` when the query has one part)."""
    return raw_dir / (f"{stem}.json" if n == 1 else f"{stem}_part{i}.json")


def check_cache(raw_dir: Path, stem: str) -> tuple[list[Path] | None, list[str]]:
    """(the cached files if complete and intact, else None; the problems found)."""
    files = _part_paths(raw_dir, stem)
    if not files:
        return None, []
    problems = []
    expected = None
    for path in files:
        meta_path = sidecar_path(path)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            want, parts = meta["sha256"], int(meta["parts"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            problems.append(f"{path}: sidecar {meta_path.name} missing or unreadable ({exc})")
            continue
        expected = parts if expected is None else expected
        got = sha256_file(path)
        if got != want:
            problems.append(
                f"{path}: sha256 {got[:12]}... does not match its sidecar {want[:12]}..."
            )
    if expected is not None and expected != len(files):
        problems.append(f"{raw_dir}/{stem}*: {len(files)} file(s) cached but {expected} expected")
    return (None if problems else files), problems


def _merge(frames: list[pd.DataFrame], dims: list[str], source: str) -> pd.DataFrame:
    """Concatenate parts and restore row-major order of the whole table."""
    if len(frames) == 1:
        return frames[0]
    df = pd.concat(frames, ignore_index=True)
    if not dims:
        return df
    if df.duplicated(subset=dims).any():
        raise StatbankError(f"{source}: the cached parts overlap (duplicate cells)")
    keys = {d: {c: i for i, c in enumerate(dict.fromkeys(df[d]))} for d in dims}
    order = df[dims].apply(lambda col: col.map(keys[col.name]))
    return df.loc[order.sort_values(dims, kind="stable").index].reset_index(drop=True)


def read_cached(files: list[Path], max_cells: int) -> pd.DataFrame:
    frames, dims = [], []
    for path in files:
        raw = path.read_bytes()
        obj = decode_json(raw, str(path))
        frames.append(parse_jsonstat2(obj, str(path), max_cells))
        dims = list(obj.get("id") or [])
    return _merge(frames, dims, str(files[0]))


def clear_cache(raw_dir: Path, stem: str) -> None:
    """Remove every cached part of ``stem`` and its sidecar."""
    for old in _part_paths(raw_dir, stem):
        old.unlink()
        sidecar_path(old).unlink(missing_ok=True)


def store(path: Path, raw: bytes, provenance: dict[str, Any]) -> None:
    """Write one raw response and its sidecar (``provenance`` plus the file's name, sha256
    and size), each atomically."""
    write_bytes(path, raw)
    write_json(
        sidecar_path(path),
        {"file": path.name, **provenance, "sha256": sha256_file(path), "bytes": len(raw)},
    )


def table_meta(files: list[Path]) -> dict[str, Any]:
    """What the report needs to know about a fetched table, from its cached raw
    response(s) and sidecars: title, source, ``updated``, licence, and per dimension its
    label, role, codes (in table order), category labels, units and elimination code."""
    objs = [decode_json(f.read_bytes(), str(f)) for f in files]
    sides = [json.loads(sidecar_path(f).read_text(encoding="utf-8")) for f in files]
    first = objs[0]
    role = first.get("role") or {}
    dims = []
    for d in first.get("id") or []:
        codes: dict[str, None] = {}
        labels: dict[str, str] = {}
        units: dict[str, Any] = {}
        for obj in objs:
            dim = obj["dimension"][d]
            for c in category_codes(d, dim, str(files[0])):
                codes[c] = None
            cat = dim.get("category") or {}
            labels.update({str(k): str(v) for k, v in (cat.get("label") or {}).items()})
            units.update(cat.get("unit") or {})
        dim = first["dimension"][d]
        dims.append(
            {
                "id": d,
                "label": str(dim.get("label") or d),
                "role": next((r for r in ("time", "metric") if d in (role.get(r) or [])), ""),
                "codes": list(codes),
                "labels": {c: labels.get(c, c) for c in codes},
                "units": units,
                "elimination_code": (dim.get("extension") or {}).get("eliminationValueCode"),
            }
        )
    px = (first.get("extension") or {}).get("px") or {}
    return {
        "table": str(sides[0].get("table") or px.get("tableid") or ""),
        "label": str(first.get("label") or ""),
        "source": str(first.get("source") or ""),
        "updated": first.get("updated"),
        "note": first.get("note") or [],
        "decimals": px.get("decimals"),
        "license": sides[0].get("license"),
        "source_line": sides[0].get("source"),
        "lang": sides[0].get("lang"),
        "fetched_at": sides[0].get("fetched_at"),
        "urls": [side.get("url") for side in sides],
        "raw_files": [f.name for f in files],
        "dimensions": dims,
    }
