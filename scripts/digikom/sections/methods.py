"""Data and methods: the frame and response by wave, the size groups, how shares,
intervals and composites are defined, and where the data come from."""

from __future__ import annotations

import re

import pandas as pd

from ..indicators import ALL


def response_table(R) -> str:
    tx = R.tx
    rr = R.shares[(R.shares.indicator == "response_rate") & (R.shares.group == ALL)]
    rows = [
        [str(int(r.year)), tx.num(r.n), tx.num(round(r.estimate * r.n)), tx.pct(r.estimate, 1)]
        for r in rr.sort_values("year").itertuples()
    ]
    header = [tx("common.wave"), tx("methods.frame"), tx("methods.responded"), tx("methods.rate")]
    return R.table(header, rows, tx("methods.response_caption"), "tbl-response")


def size_table(R) -> str:
    tx = R.tx
    sizes = R.shares[(R.shares.indicator == "response_rate") & (R.shares.group != ALL)]
    rows = []
    for g in R.groups:
        if g["upper"] is None:
            band = tx("methods.band_open", lower=tx.num(g["lower"]))
        else:
            band = tx("common.range", lo=tx.num(g["lower"]), hi=tx.num(g["upper"] - 1))
        cells = [R.esc(R.group_label[g["id"]]), band]
        for w in R.waves:
            r = sizes[(sizes.group == g["id"]) & (sizes.year == w)]
            cells.append(tx.num(r.n.iloc[0]) if not r.empty else "0")
        rows.append(cells)
    header = [tx("common.size"), tx("common.inhabitants")] + [str(w) for w in R.waves]
    return R.table(header, rows, tx("methods.sizes_caption"), "tbl-sizes")


def expression_words(R, expr: str) -> str:
    """An axis expression in readers' words: each codebook variable by its label."""
    variables = R.ctx["codebook"]["variables"]
    parts = re.split(r"([A-Za-z_][A-Za-z0-9_]*)", expr)
    return "".join(
        R.tx("common.quote", x=R.esc(R.tx.label(variables[p]))) if p in variables else R.esc(p)
        for p in parts
    )


def composite_rules(R) -> list[dict]:
    """Each composite's two axes with the rule in words and the reference-wave median."""
    out = []
    for spec in R.ctx["indicators"]["composites"]:
        d = R.composites[R.composites.composite == spec["id"]]
        axes = []
        for axis in ("x", "y"):
            med = d[f"{axis}_median"].iloc[0] if not d.empty else float("nan")
            rule = spec[axis].get("rule", "gt")
            axes.append(
                R.tx(
                    f"methods.axis_{rule}",
                    axis=R.label(spec[axis]),
                    expr=expression_words(R, spec[axis]["expr"]),
                    median=R.tx.num(med, 1),
                )
            )
        out.append({"name": R.label(spec), "axes": axes})
    return out


def calibration_counts(R) -> tuple[int, int]:
    cal = pd.DataFrame(R.ctx.get("calibration") or [])
    if cal.empty:
        return 0, 0
    return int((cal.source != "assumption").sum()), len(cal)


def render(R) -> str:
    weight = R.tx.label(R.ctx["codebook"]["variables"]["weight"]["question"])
    published, n_cal = calibration_counts(R)
    prose = R.template(
        "methods.md.j2",
        synthetic=R.synthetic,
        disclosure=R.disclosure,
        min_cell=R.min_cell,
        weight=R.esc(weight[:1].lower() + weight[1:]),
        level=R.tx.level,
        reference_wave=R.ctx["indicators"]["reference_wave"],
        composites=composite_rules(R),
        seed=R.ctx["seed"],
        published=published,
        n_calibration=n_cal,
        response_table=response_table(R),
        size_table=size_table(R),
    )
    return R.heading(1, "methods.title", "sec-data") + "\n" + prose
