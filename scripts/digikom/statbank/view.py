"""What the report shows of a fetched StatBank table: the *view* (which dimension is the
axis, which the series, which categories), resolved from the table's own metadata and
the config ``statbank.tables.<id>.report``; :mod:`.figure` draws it.

No table-specific code: defaults come from the metadata (time on the axis, the content
dimension as series if it has more than one category, else the dimension with the most),
and every fetched category of every dimension is shown: each other dimension with more
than one category makes panels (a table and a small multiple per category, or per
combination), a dimension with one category is named in the caption. The config may
name ``axis``, ``series`` and, per dimension, the categories to ``select``.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import pandas as pd

from ..errors import ConfigError

STATUS_SYMBOLS = ("..", ":", ".")  # SSB: not available, confidential, cannot occur


def _dims(meta: dict) -> dict[str, dict]:
    return {d["id"]: d for d in meta["dimensions"]}


def licence_name(url: str | None) -> str:
    """ "CC BY 4.0" from a Creative Commons URL (the text of the URL otherwise)."""
    m = re.search(r"/licenses/([a-z-]+)/(\d+\.\d+)", str(url or ""))
    return f"CC {m.group(1).upper()} {m.group(2)}" if m else str(url or "")


def strip_id(title: str, table: str) -> str:
    """SSB's titles start with the table id ("12031: Ivaretakelse ..."); the report names
    the id in the source line, so the title drops it (no "Figur 3: 12031: ...")."""
    return re.sub(rf"^\s*{re.escape(str(table))}\s*[:.\-–]\s*", "", str(title)).strip()


def resolve_view(df: pd.DataFrame, meta: dict, spec: dict | None, where: str) -> dict[str, Any]:
    """The view of one table: the axis categories and one *panel* per combination of
    categories of the other dimensions that keep more than one (a table and a small
    multiple each), each panel with its series (label, unit, values (None where SSB shows
    no number), status symbols). Dimensions with one category are named in the caption
    (``fixed``). By default every fetched category of every dimension is shown; the
    config's ``select`` may narrow a dimension, never silently.

    ``where`` names the config entry in error messages."""
    spec = dict(spec or {})
    dims = _dims(meta)
    order = [d["id"] for d in meta["dimensions"]]
    available = ", ".join(f"{d} ({dims[d]['label']})" for d in order)

    def dim_of(key: str, default: str | None) -> str:
        value = spec.get(key, default)
        if value not in dims:
            raise ConfigError(
                f"{where}.{key}: '{value}' is not a dimension of table {meta['table']}; "
                f"available: {available}"
            )
        return value

    select = spec.get("select") or {}
    unknown = [d for d in select if d not in dims]
    if unknown:
        raise ConfigError(f"{where}.select: unknown dimension(s) {unknown}; available: {available}")
    codes: dict[str, list[str]] = {}
    for d in order:
        all_codes = dims[d]["codes"]
        if d in select:
            wanted = [str(c) for c in select[d]]
            bad = [c for c in wanted if c not in all_codes]
            if bad:
                raise ConfigError(
                    f"{where}.select.{d}: code(s) {bad} not in the fetched table; "
                    f"available: {', '.join(all_codes)}"
                )
            codes[d] = wanted
        else:
            codes[d] = list(all_codes)

    by_role = {d["role"]: d["id"] for d in meta["dimensions"] if d["role"]}
    axis = dim_of("axis", by_role.get("time", order[-1]))
    others = [d for d in order if d != axis]
    if not others:
        raise ConfigError(f"{where}: table {meta['table']} has only the axis dimension {axis}")
    metric_dim = by_role.get("metric")
    if "series" in spec:
        series = dim_of("series", None)
    elif metric_dim in others and len(codes[metric_dim]) > 1:
        series = metric_dim
    else:  # the dimension with the most categories shown (the metric if none has more)
        series = max(others, key=lambda d: (len(codes[d]), d == metric_dim))
    if series == axis:
        raise ConfigError(f"{where}: axis and series are both '{axis}'")

    panel_dims = [d for d in others if d != series and len(codes[d]) > 1]
    fixed = [d for d in others if d != series and len(codes[d]) == 1]
    cells = df.copy()
    for d in order:
        cells[d] = cells[d].astype(str)
    cells = cells.set_index(order)
    metric = metric_dim
    decimals_default = meta.get("decimals")

    def one_series(key: dict[str, str]) -> dict[str, Any]:
        unit = {}
        if metric and metric in key:
            unit = dims[metric]["units"].get(key[metric]) or {}
        values, status = [], []
        for a in codes[axis]:
            idx = tuple({**key, axis: a}[d] for d in order)
            if idx not in cells.index:
                values.append(None)
                status.append("")
                continue
            row = cells.loc[idx]
            v = row["value"]
            values.append(None if pd.isna(v) else float(v))
            status.append("" if pd.isna(row["status"]) else str(row["status"]))
        return {
            "key": {series: key[series]},
            "label": dims[series]["labels"][key[series]],
            "unit": str(unit.get("base") or ""),
            "decimals": int(
                unit.get("decimals", decimals_default if decimals_default is not None else 1)
            ),
            "values": values,
            "status": status,
        }

    panels = []
    for combo in itertools.product(*(codes[d] for d in panel_dims)):
        pkey = dict(zip(panel_dims, combo, strict=True))
        base = {**pkey, **{d: codes[d][0] for d in fixed}}
        panels.append(
            {
                "key": pkey,
                "labels": [dims[d]["labels"][c] for d, c in pkey.items()],
                "label": " – ".join(dims[d]["labels"][c] for d, c in pkey.items()),
                "series": [one_series({**base, series: c}) for c in codes[series]],
            }
        )
    table = str(meta["table"])
    return {
        "table": table,
        "title": strip_id(meta["label"], table),
        "source": meta["source"],
        "updated": meta.get("updated"),
        "lang": meta.get("lang"),
        "license": meta.get("license"),
        "licence_name": licence_name(meta.get("license")),
        "note": meta.get("note") or [],
        "axis": {
            "id": axis,
            "label": dims[axis]["label"],
            "codes": codes[axis],
            "labels": [dims[axis]["labels"][c] for c in codes[axis]],
        },
        "series_dim": {"id": series, "label": dims[series]["label"]},
        "panel_dims": [{"id": d, "label": dims[d]["label"]} for d in panel_dims],
        "fixed": [
            {"id": d, "label": dims[d]["label"], "category": dims[d]["labels"][codes[d][0]]}
            for d in fixed
        ],
        "panels": panels,
    }


def all_series(view: dict) -> list[dict]:
    return [s for p in view["panels"] for s in p["series"]]
