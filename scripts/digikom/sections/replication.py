"""Replication: the published figures next to what the pipeline computes."""

from __future__ import annotations

import pandas as pd

from .findings import replication_counts


def render(R) -> str:
    tx = R.tx
    sc = R.scorecard[R.scorecard.reference == "published"]
    ok, comp = replication_counts(R)
    rows = []
    for r in sc[sc.reproduced.notna()].itertuples():
        mark = tx(
            "common.within" if str(r.within_tolerance).lower() == "true" else "common.outside"
        )
        rows.append(
            [
                R.esc(r.target_id),
                str(int(r.year)),
                R.esc(indicator_name(R, r.indicator)),
                R.esc(r.published),
                tx.pct(r.reproduced, 1),
                tx.num(r.diff_pp, 1) if pd.notna(r.diff_pp) else "",
                mark,
            ]
        )
    header = [
        tx("replication.target"),
        tx("common.year"),
        tx("common.indicator"),
        tx("replication.published"),
        tx("replication.reproduced"),
        tx("replication.diff"),
        "",
    ]
    n_other = int(sc.reproduced.isna().sum())
    text = tx("replication.text", comp=comp, ok=ok, bad=comp - ok, other=n_other)
    if R.synthetic:
        text += " " + tx("replication.synthetic")
    parts = [
        R.heading(1, "replication.title", "sec-replication"),
        text,
        R.table(
            header,
            rows,
            tx("replication.caption"),
            "tbl-scorecard",
            ["l", "r", "l", "r", "r", "r", "c"],
        ),
        R.fig("fig_replication", tx("replication.fig")),
        R.source_line(),
    ]
    return "\n\n".join(parts) + "\n"


def indicator_name(R, ind: str) -> str:
    """The indicator's label when it is one of ours; published wording otherwise."""
    try:
        return R.tx.label(R.ind_spec(ind))
    except KeyError:
        return str(ind)
