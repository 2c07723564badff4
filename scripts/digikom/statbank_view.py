"""What the report shows of a fetched StatBank table: the *view* (which dimension is the
axis, which the series, which categories), resolved from the table's own metadata and
the config ``statbank.tables.<id>.report``, and the figure drawn from it.

No table-specific code: defaults come from the metadata (time on the axis, the content
dimension as series; every other dimension at its elimination value, e.g. "all
municipalities", or else its first category), and the config may name ``axis``,
``series`` and, per dimension, the categories to ``select``. A dimension other than the
axis that keeps more than one category becomes part of the series.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import ConfigError
from .io import write_json

STATUS_SYMBOLS = ("..", ":", ".")  # SSB: not available, confidential, cannot occur


def _dims(meta: dict) -> dict[str, dict]:
    return {d["id"]: d for d in meta["dimensions"]}


def licence_name(url: str | None) -> str:
    """ "CC BY 4.0" from a Creative Commons URL (the text of the URL otherwise)."""
    m = re.search(r"/licenses/([a-z-]+)/(\d+\.\d+)", str(url or ""))
    return f"CC {m.group(1).upper()} {m.group(2)}" if m else str(url or "")


def resolve_view(df: pd.DataFrame, meta: dict, spec: dict | None, where: str) -> dict[str, Any]:
    """The view of one table: axis categories, and for each series its label, unit,
    values (None where SSB shows no number) and status symbols.

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

    by_role = {d["role"]: d["id"] for d in meta["dimensions"] if d["role"]}
    axis = dim_of("axis", by_role.get("time", order[-1]))
    others = [d for d in order if d != axis]
    if not others:
        raise ConfigError(f"{where}: table {meta['table']} has only the axis dimension {axis}")
    metric_dim = by_role.get("metric")
    series = dim_of("series", metric_dim if metric_dim in others else others[0])
    if series == axis:
        raise ConfigError(f"{where}: axis and series are both '{axis}'")

    select = spec.get("select") or {}
    codes: dict[str, list[str]] = {}
    for d in order:
        all_codes = dims[d]["codes"]
        if d in select:
            if d not in dims:
                raise ConfigError(
                    f"{where}.select: '{d}' is not a dimension; available: {available}"
                )
            wanted = [str(c) for c in select[d]]
            bad = [c for c in wanted if c not in all_codes]
            if bad:
                raise ConfigError(
                    f"{where}.select.{d}: code(s) {bad} not in the fetched table; "
                    f"available: {', '.join(all_codes)}"
                )
            codes[d] = wanted
        elif d in (axis, series):
            codes[d] = list(all_codes)
        else:
            elim = dims[d].get("elimination_code")
            codes[d] = [elim if elim in all_codes else all_codes[0]]
    unknown = [d for d in select if d not in dims]
    if unknown:
        raise ConfigError(f"{where}.select: unknown dimension(s) {unknown}; available: {available}")

    series_dims = [series] + [d for d in others if d != series and len(codes[d]) > 1]
    fixed = [d for d in others if d not in series_dims]
    cells = df.copy()
    for d in order:
        cells[d] = cells[d].astype(str)
    cells = cells.set_index(order)
    metric = by_role.get("metric")
    decimals_default = meta.get("decimals")
    out_series = []
    for combo in itertools.product(*(codes[d] for d in series_dims)):
        key = dict(zip(series_dims, combo, strict=True))
        label = " – ".join(dims[d]["labels"][c] for d, c in key.items())
        unit = {}
        if metric and metric in key:
            unit = dims[metric]["units"].get(key[metric]) or {}
        elif metric and len(codes[metric]) == 1:
            unit = dims[metric]["units"].get(codes[metric][0]) or {}
        values, status = [], []
        for a in codes[axis]:
            full = {**key, axis: a, **{d: codes[d][0] for d in fixed}}
            idx = tuple(full[d] for d in order)
            if idx not in cells.index:
                values.append(None)
                status.append("")
                continue
            row = cells.loc[idx]
            v = row["value"]
            values.append(None if pd.isna(v) else float(v))
            status.append("" if pd.isna(row["status"]) else str(row["status"]))
        out_series.append(
            {
                "key": key,
                "label": label,
                "unit": str(unit.get("base") or ""),
                "decimals": int(
                    unit.get("decimals", decimals_default if decimals_default is not None else 1)
                ),
                "values": values,
                "status": status,
            }
        )
    return {
        "table": meta["table"],
        "title": meta["label"],
        "source": meta["source"],
        "updated": meta.get("updated"),
        "license": meta.get("license"),
        "licence_name": licence_name(meta.get("license")),
        "note": meta.get("note") or [],
        "axis": {
            "id": axis,
            "label": dims[axis]["label"],
            "codes": codes[axis],
            "labels": [dims[axis]["labels"][c] for c in codes[axis]],
        },
        "series_dims": [{"id": d, "label": dims[d]["label"]} for d in series_dims],
        "fixed": [
            {"id": d, "label": dims[d]["label"], "category": dims[d]["labels"][codes[d][0]]}
            for d in fixed
        ],
        "series": out_series,
    }


def plot_view(view: dict, tx):
    """A line chart of the view (one line per series, gaps where SSB shows no number;
    a cell with a status symbol is marked with the symbol at the axis)."""
    import matplotlib.pyplot as plt

    from .figures import setup_style

    setup_style()
    n = len(view["axis"]["codes"])
    fig, ax = plt.subplots(figsize=(7.0, 3.8))
    xs = list(range(n))
    for s in view["series"]:
        ys = [math.nan if v is None else v for v in s["values"]]
        (line,) = ax.plot(xs, ys, marker="o", label=s["label"])
        for x, sym in zip(xs, s["status"], strict=True):
            if sym:
                ax.annotate(
                    sym,
                    (x, 0),
                    xycoords=("data", "axes fraction"),
                    xytext=(0, 3),
                    textcoords="offset points",
                    ha="center",
                    color=line.get_color(),
                    fontsize=9,
                    fontweight="bold",
                )
    ax.set_xticks(xs, view["axis"]["labels"])
    ax.set_xlabel(view["axis"]["label"])
    units = sorted({s["unit"] for s in view["series"] if s["unit"]})
    if len(units) == 1:
        ax.set_ylabel(units[0])
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
    ax.set_title(view["title"], fontsize=10, loc="left", wrap=True)
    return fig


def alt_text(view: dict, tx) -> str:
    labels = view["axis"]["labels"]
    return tx(
        "official.alt",
        title=view["title"],
        n=len(view["series"]),
        series=", ".join(s["label"] for s in view["series"]),
        axis=view["axis"]["label"],
        first=labels[0],
        last=labels[-1],
    )


def statbank_figure(csv, meta, report, table, lang, out) -> None:
    """Rule statbank_figure: the view JSON and the figure (PNG, SVG, alt text)."""
    from .figures import save_figure
    from .jsonstat import read_tidy_csv
    from .text import Text

    tx = Text(lang)
    m = json.loads(Path(meta).read_text(encoding="utf-8"))
    df = read_tidy_csv(csv, [d["id"] for d in m["dimensions"]])
    view = resolve_view(df, m, report, f"statbank.tables.{table}.report")
    write_json(out["view"], view)
    fig = plot_view(view, tx)
    source = tx(
        "official.figure_source",
        source=view["source"],
        table=view["table"],
        licence=view["licence_name"],
    )
    save_figure(
        fig, out["png"], out["svg"], out["alt"], alt_text(view, tx), lang, False, source=source
    )
