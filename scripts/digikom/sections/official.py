"""Official statistics: every fetched StatBank table as a figure and a compact table,
built from the table's own metadata (results/statbank/{table}.view.json, written by rule
statbank_figure), with SSB's status symbols, the source and the licence; and, where
config/indicators.yaml maps the table's categories to a panel indicator
(replication.statbank), SSB's value beside the panel's estimate."""

from __future__ import annotations

import pandas as pd

from ..statbank.view import STATUS_SYMBOLS, all_series
from ..text import MISSING


def _configured(R) -> dict | None:
    """``statbank.tables`` of the run's config (from provenance), if known."""
    prov = getattr(R, "prov", None) or {}
    return ((prov.get("config") or {}).get("statbank") or {}).get("tables")


def _tables(R) -> list[dict]:
    """The views of the tables fetched in this run (only those still configured, when
    the provenance tells which)."""
    if not R.ctx.get("fetch_statbank"):
        return []
    configured = _configured(R)
    out = []
    for view in R.data.statbank_views():
        if configured is None or str(view["table"]) in {str(t) for t in configured}:
            out.append(view)
    return out


def _cell(R, value, status: str, decimals: int) -> str:
    if status:
        return R.esc(status)  # shown as SSB shows it: ".." or ":"
    return R.tx.num(value, decimals)


def _table_block(R, view: dict, i: int, panel: dict) -> str:
    """One table per panel: series as rows, the axis as columns."""
    tx, esc = R.tx, R.esc
    axis = view["axis"]
    header = [esc(view["series_dim"]["label"])] + [esc(lab) for lab in axis["labels"]]
    rows = []
    for s in panel["series"]:
        cells = [
            _cell(R, v, st, s["decimals"]) for v, st in zip(s["values"], s["status"], strict=True)
        ]
        rows.append([esc(s["label"]), *cells])
    units = sorted({s["unit"] for s in panel["series"] if s["unit"]})
    title = esc(view["title"])
    if panel["key"]:
        parts = [
            f"{esc(d['label'])}: {esc(lab)}"
            for d, lab in zip(view["panel_dims"], panel["labels"], strict=True)
        ]
        title += " – " + "; ".join(parts)
    if units:
        caption = tx("official.caption", title=title, unit=esc(", ".join(units)))
    else:
        caption = tx("official.caption_no_unit", title=title)
    fixed = [  # a sentence of its own: the dimension's label capitalised
        tx(
            "official.fixed",
            dim=esc(f["label"][:1].upper() + f["label"][1:]),
            category=esc(f["category"]),
        )
        for f in view["fixed"]
    ]
    if fixed:
        caption += " " + "; ".join(fixed) + "."
    label = f"tbl-statbank-{view['table']}" + (f"-{i + 1}" if len(view["panels"]) > 1 else "")
    return R.table(header, rows, caption, label, ["l"] + ["r"] * len(axis["labels"]))


def _symbols(R, view: dict) -> str:
    used = {st for s in all_series(view) for st in s["status"] if st}
    if not used:
        return ""
    tx = R.tx
    parts = [f"`{sym}` {tx('official.symbol_' + sym)}" for sym in STATUS_SYMBOLS if sym in used]
    return f"{tx('official.symbols_intro')}: " + "; ".join(parts) + "."


def _source(R, view: dict) -> str:
    updated = str(view.get("updated") or "")[:10] or MISSING
    return (
        "*"
        + R.tx(
            "official.source",
            source=R.esc(view["source"]),
            table=view["table"],
            updated=updated,
            licence=R.esc(view["licence_name"]),
            url=view.get("license") or "https://creativecommons.org/licenses/by/4.0/",
        )
        + "*"
    )


def _offline(R) -> str:
    """One paragraph: the configured tables by id and title, and how to fetch them."""
    tables = _configured(R) or {}
    names = []
    for t, spec in tables.items():
        title = (spec or {}).get("title")
        if title is not None:  # one string, or one per configured language
            title = R.tx.label(title)
        names.append(f"{R.esc(str(t))} ({R.esc(str(title))})" if title else R.esc(str(t)))
    if not names:
        return R.tx("official.offline_none")
    return R.tx("official.offline", n=len(names), tables="; ".join(names))


def _scorecard(R) -> pd.DataFrame | None:
    return getattr(R, "scorecard", None)


def _indicator_label(R, ind: str) -> str:
    cfg = R.ctx.get("indicators") or {}
    for spec in (cfg.get("shares") or []) + (cfg.get("means") or []):
        if spec.get("id") == ind:
            return R.esc(R.tx.label(spec))
    return R.esc(ind)


def _panel_block(R, view: dict) -> str:
    sc = _scorecard(R)
    if sc is None or sc.empty or "reference" not in sc:
        return ""
    prefix = f"statbank_{view['table']}_"
    rows = sc[(sc.reference == "statbank") & sc.target_id.astype(str).str.startswith(prefix)]
    if rows.empty:
        return ""
    tx = R.tx
    body = []
    for r in rows.itertuples():
        body.append(
            [
                _indicator_label(R, r.indicator),
                str(int(r.year)),
                R.esc(r.group),
                tx.pct(float(r.published), 1) if pd.notna(r.published) else MISSING,
                tx.pct(float(r.reproduced), 1) if pd.notna(r.reproduced) else MISSING,
                tx.num(r.diff_pp, 1) if pd.notna(r.diff_pp) else "",
            ]
        )
    header = [
        tx("common.indicator"),
        tx("common.year"),
        tx("common.group"),
        tx("official.official"),
        tx("official.panel"),
        tx("official.diff"),
    ]
    text = tx("official.panel_intro")
    if R.synthetic:
        text += " " + tx("official.panel_synthetic")
    table = R.table(
        header,
        body,
        tx("official.panel_caption", table=view["table"]),
        f"tbl-statbank-{view['table']}-panel",
        ["l", "r", "l", "r", "r", "r"],
    )
    return text + "\n\n" + table


def render(R) -> str:
    tx = R.tx
    head = f"# {tx('official.title')} {{#sec-official}}\n"
    views = _tables(R)
    if not views:
        return head + "\n" + _offline(R) + "\n"
    parts = [head, tx("official.intro", n=len(views))]
    for view in views:
        t = view["table"]
        png = R.data.figure_png(f"statbank_{t}")
        parts += [
            f"## {R.esc(view['title'])} {{#sec-statbank-{t}}}\n",
            R.figure(png, tx("official.figure", title=R.esc(view["title"])), f"fig-statbank-{t}"),
        ]
        if len(view["panels"]) > 1:
            parts.append(
                tx(
                    "official.panels",
                    n=len(view["panels"]),
                    dims=R.esc(", ".join(d["label"] for d in view["panel_dims"])),
                )
            )
        parts += [_table_block(R, view, i, p) for i, p in enumerate(view["panels"])]
        parts += [_symbols(R, view), _source(R, view), _panel_block(R, view)]
    return "\n\n".join(p for p in parts if p) + "\n"
