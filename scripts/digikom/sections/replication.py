"""Replication: the published figures next to what the pipeline computes, separated into
validation (figures the synthetic generator does not use: a real check) and calibration
(figures it is built to hit: they match by construction)."""

from __future__ import annotations

import pandas as pd

from .findings import replication_counts


def indicator_name(R, ind: str) -> str:
    """A scorecard row's statistic in words: an indicator, a composite group or axis
    ("priority/both", "priority/y_high"), a cross-tab cell ("not_tried/high"), the frame."""
    tx = R.tx
    cfg = R.ctx["indicators"]
    if ind in ("frame_count", "response_rate"):
        return tx(f"replication.{ind}")
    if "/" in ind:
        a, b = ind.split("/", 1)
        comp = next((c for c in cfg["composites"] if c["id"] == a), None)
        if comp is not None:
            if b in comp["groups"]:
                return f"{tx.label(comp)}: {tx.label(comp['groups'][b])}"
            axis = b.split("_", 1)[0]
            if axis in ("x", "y"):
                return tx("replication.axis_high", axis=tx.label(comp[axis]))
        statuses = cfg.get("crosstab", {}).get("statuses", {})
        levels = R.ctx["codebook"]["variables"]["competence_barrier"].get("levels", {})
        if a in statuses and b in levels:
            return f"{tx.label(statuses[a])}: {tx.label(levels[b])}"
    try:
        return tx.label(R.ind_spec(ind))
    except KeyError:
        return str(ind)


# Parts of the scorecard's caveat (results/replication/scorecard.csv, in English) and the
# reader's note each stands for in the report language.
NOTES = {
    "nearest wave": "replication.note_proxy",
    "is calibrated to": "replication.note_change_only",
    "county": "replication.note_county",
    "composite": "replication.note_composite",
    "checks the municipality frame": "replication.note_frame",
}


def notes(R, r) -> str:
    caveat = r.caveat if isinstance(r.caveat, str) else ""
    out = [R.tx(key) for part, key in NOTES.items() if part in caveat]
    if r.group != "all municipalities" and not any(k in caveat for k in ("county", "composite")):
        out.append(R.tx("replication.note_population"))
    return "; ".join(out)


def rows_of(R, sc: pd.DataFrame, with_caveat: bool) -> list[list[str]]:
    tx = R.tx
    rows = []
    for r in sc[sc.reproduced.notna()].itertuples():
        ok = str(r.within_tolerance).lower() == "true"
        year = str(int(r.year))
        if pd.notna(getattr(r, "computed_year", None)) and int(r.computed_year) != int(r.year):
            year = tx("replication.year_proxy", year=year, used=int(r.computed_year))
        reproduced = (
            tx.pct(r.reproduced, 1) if r.indicator != "frame_count" else tx.num(r.reproduced)
        )
        row = [
            year,
            R.esc(indicator_name(R, r.indicator)),
            R.published_text(r.published, r.target_id),
            reproduced,
            tx("common.within" if ok else "common.outside"),
        ]
        if with_caveat:
            row.append(notes(R, r))
        rows.append(row)
    return rows


def render(R) -> str:
    tx = R.tx
    sc = R.scorecard[R.scorecard.reference.isin(["published", "frame"])]
    ok_v, n_v = replication_counts(R, "validation")
    ok_c, n_c = replication_counts(R, "calibration")
    n_other = int(sc.reproduced.isna().sum())
    head = [
        tx("common.year"),
        tx("common.indicator"),
        tx("replication.published"),
        tx("replication.reproduced"),
        "",
    ]
    parts = [
        R.heading(1, "replication.title", "sec-replication"),
        tx("replication.intro", other=n_other),
        R.heading(2, "replication.validation", "sec-validation"),
        tx("replication.validation_text", comp=n_v, ok=ok_v, bad=n_v - ok_v),
        R.table(
            head + [tx("replication.caveat")],
            rows_of(R, sc[sc.role == "validation"], True),
            tx("replication.validation_caption"),
            "tbl-validation",
            ["r", "l", "r", "r", "c", "l"],
        ),
    ]
    if n_c:
        parts += [
            R.heading(2, "replication.calibration", "sec-calibration-check"),
            tx(
                "replication.calibration_text"
                if R.synthetic
                else "replication.calibration_text_real",
                comp=n_c,
                ok=ok_c,
            ),
            R.table(
                head,
                rows_of(R, sc[sc.role == "calibration"], False),
                tx("replication.calibration_caption"),
                "tbl-scorecard",
                ["r", "l", "r", "r", "c"],
            ),
        ]
    parts += [R.fig("fig_replication", tx("replication.fig")), R.source_line()]
    return "\n\n".join(parts) + "\n"
