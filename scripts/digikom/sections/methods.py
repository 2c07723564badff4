"""Data and methods: the frame and response by wave, the size groups, how shares,
intervals and composites are defined, and where the data come from."""

from __future__ import annotations

import re

import pandas as pd

from .. import disclosure
from ..evidence_tables import REFORM_YEAR
from ..indicators import ALL
from ..text import MISSING


def response_table(R) -> str:
    """Frame and response by wave. Synthetic data: the response rate SSB published, with
    its source, and the assumed rate of the other waves marked as such; no respondent
    counts (they would be the generator's)."""
    tx = R.tx
    rr = R.shares[(R.shares.indicator == "response_rate") & (R.shares.group == ALL)]
    if not R.support.estimates:
        from .findings import source_link

        rows = []
        for r in rr.sort_values("year").itertuples():
            prov = R.provenance("response_rate", int(r.year))
            if prov["class"] == "published" and prov["published"] is not None:
                rate = R.published_text(prov["published"], prov["target_id"])
                source = tx("methods.published_by", source=source_link(R, prov["source_url"]))
            else:
                rate = tx.pct(r.estimate, 0)  # the source column says it is assumed
                source = tx("methods.assumed_rate")
            rows.append([str(int(r.year)), tx.num(r.n), rate, source])
        header = [tx("common.wave"), tx("methods.frame"), tx("methods.rate"), tx("common.source")]
        return R.table(
            header, rows, tx("methods.response_caption"), "tbl-response", ["l", "r", "r", "l"]
        )
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


def high_share(R, composite: str, axis: str) -> float:
    d = read(R, "composite_rules.csv")
    d = d[(d.composite == composite) & (d.axis == axis)]
    return float(d.high_share.iloc[0]) if not d.empty else float("nan")


def expression_words(R, expr: str) -> str:
    """An axis expression in readers' words: each codebook variable by its label."""
    variables = R.codebook["variables"]

    def name(var: str) -> str:
        return R.tx("common.quote", x=R.esc(R.tx.label(variables[var])))

    # "x == 1" is "«x»", "x == 0" is "not «x»"; other expressions keep their operators
    m = re.fullmatch(r"\s*([A-Za-z_]\w*)\s*==\s*([01])\s*", expr)
    if m and m.group(1) in variables:
        return name(m.group(1)) if m.group(2) == "1" else R.tx("methods.not", x=name(m.group(1)))
    parts = re.split(r"([A-Za-z_][A-Za-z0-9_]*)", expr)
    return "".join(name(p) if p in variables else R.esc(p) for p in parts)


def composite_rules(R) -> list[dict]:
    """Each composite's two axes with the rule in words and the reference-wave median."""
    out = []
    for spec in R.rules["composites"]:
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
                    high=R.tx.pct(high_share(R, spec["id"], axis), 0),
                    year=R.reference_wave,
                )
            )
        out.append({"name": R.label(spec), "axes": axes})
    return out


def read(R, name: str) -> pd.DataFrame:
    return R.data.indicator_table(name.removesuffix(".csv"))


def definitions_table(R) -> str:
    """Each share's numerator, denominator and exclusions, in words from the codebook."""
    tx = R.tx
    variables = R.codebook["variables"]
    rows = []
    for spec in R.rules["shares"]:
        var = variables[spec["variable"]]
        codes = spec.get("values", [1])
        levels = var.get("values") or {}
        if levels:
            values = ", ".join(
                R.label(levels[c])
                if c in levels
                else R.label(levels[str(c)])
                if str(c) in levels
                else R.esc(str(c))
                for c in codes
            )
        else:
            values = (
                tx("methods.yes")
                if codes == [1]
                else tx("methods.no")
                if codes == [0]
                else ", ".join(map(str, codes))
            )
        among = tx("methods.among_all")
        if spec.get("among"):
            among = tx("methods.among", condition=expression_words(R, spec["among"]))
        excluded = tx("methods.excluded_empty")
        if var.get("null_label"):
            excluded = tx("methods.excluded_label", label=R.label(var["null_label"]))
        rows.append(
            [
                R.label(spec),
                tx("methods.numerator", variable=R.label(var), values=values),
                among,
                excluded,
            ]
        )
    header = [
        tx("common.indicator"),
        tx("methods.def_numerator"),
        tx("methods.def_denominator"),
        tx("methods.def_excluded"),
    ]
    return R.table(header, rows, tx("methods.definitions_caption"), "tbl-definitions", ["l"] * 4)


def nonresponse_table(R) -> str:
    """Response rate by size group and wave, with the counties' range."""
    tx = R.tx
    d = read(R, "response.csv")
    rows = []
    for g in R.groups:
        cells = [R.esc(R.group_label[g["id"]])]
        for w in R.waves:
            r = d[(d.dimension == "size_group") & (d.group == g["id"]) & (d.year == w)]
            cells.append(tx.pct(r.rate.iloc[0], 0) if not r.empty else MISSING)
        rows.append(cells)
    county = [tx("methods.county_range")]
    for w in R.waves:
        c = d[(d.dimension == "county") & (d.year == w)]
        county.append(
            tx.range(100 * c.rate.min(), 100 * c.rate.max(), 0) if not c.empty else MISSING
        )
    rows.append(county)
    header = [tx("common.size")] + [str(w) for w in R.waves]
    return R.table(header, rows, tx("methods.nonresponse_caption"), "tbl-nonresponse")


def item_table(R) -> str:
    tx = R.tx
    d = read(R, "item_nonresponse.csv")
    rows = []
    for var, g in d.groupby("variable", sort=False):
        cells = [R.var_label(var)]
        for w in R.waves:
            r = g[g.year == w]
            if r.empty:
                cells.append(MISSING)
                continue
            r = r.iloc[0]
            cell = tx.pct(r.share_missing, 1)
            if pd.notna(r.share_dont_know):
                cell = tx(
                    "methods.missing_dont_know",
                    missing=cell,
                    dont_know=tx.pct(r.share_dont_know, 1),
                )
            cells.append(cell)
        rows.append(cells)
    header = [tx("methods.question")] + [str(w) for w in R.waves]
    return R.table(header, rows, tx("methods.item_caption"), "tbl-item-nonresponse")


def reform_rows(R) -> pd.DataFrame:
    """The national rows of the reform check (shares), without a row whose 2018 cell is
    hidden in the public tables or whose harmonised value the primary rule would hide
    (disclosure control, real microdata)."""
    d = read(R, "reform_sensitivity.csv")
    d = d[(d.group == "all") & (d.kind == "share")]
    if not R.disclosure or d.empty:
        return d
    keep = [
        not R.hidden(R.est(r.indicator, REFORM_YEAR, ALL))
        and not disclosure.hidden(r.n_harmonised, r.estimate_harmonised, R.min_cell)
        for r in d.itertuples()
    ]
    return d[keep]


def reform_table(R) -> str:
    tx = R.tx
    d = reform_rows(R)
    rows = [
        [
            R.ind_label(r.indicator),
            tx.pct(r.estimate_asis, 1),
            tx.pct(r.estimate_harmonised, 1),
            tx.pp(r.diff, 1),
        ]
        for r in d.itertuples()
        if any(s["id"] == r.indicator for s in R.rules["shares"])
    ]
    header = [
        tx("common.indicator"),
        tx("methods.reform_asis"),
        tx("methods.reform_harmonised"),
        tx("methods.reform_diff"),
    ]
    return R.table(header, rows, tx("methods.reform_caption"), "tbl-reform")


def reform_numbers(R) -> dict:
    alls = reform_rows(R)
    return {"max_diff": R.tx.pp(alls["diff"].abs().max(), 1) if not alls.empty else MISSING}


def weighted_gap(R) -> str:
    """The largest difference between weighted and unweighted shares (all, any wave)."""
    sh = R.shares[(R.shares.group == "all") & (R.shares.kind == "share")]
    sh = sh[~sh.indicator.str.startswith("response_rate")]
    w = sh.pivot_table(index=["indicator", "year"], columns="weighted", values="estimate")
    if True not in w.columns or False not in w.columns:
        return MISSING
    return R.tx.pp((w[True] - w[False]).abs().max(), 1)


def calibration_counts(R) -> tuple[int, int]:
    """(distinct published figures the data are calibrated to, calibration targets): the
    first is the report's one calibration count (findings.calibration_count)."""
    from .findings import calibration_count

    cal = pd.DataFrame(R.ctx.get("calibration") or [])
    return calibration_count(R), len(cal)


def render(R) -> str:
    weight = R.tx.label(R.codebook["variables"]["weight"]["question"])
    published, n_cal = calibration_counts(R)
    prose = R.template(
        "methods.md.j2",
        synthetic=R.synthetic,
        disclosure=R.disclosure,
        min_cell=R.min_cell,
        weight=R.esc(weight[:1].lower() + weight[1:]),
        level=R.tx.level,
        reference_wave=R.reference_wave,
        composites=composite_rules(R),
        seed=R.ctx["seed"],
        published=published,
        n_calibration=n_cal,
        response_table=response_table(R),
        size_table=size_table(R),
        definitions_table=definitions_table(R),
        # computed from the panel: facts with microdata, the generator's with synthetic data
        nonresponse_table=nonresponse_table(R) if R.support.estimates else "",
        item_table=item_table(R) if R.support.estimates else "",
        reform_table=reform_table(R) if R.support.estimates else "",
        reform=reform_numbers(R),
        weighted_gap=weighted_gap(R),
        first=R.first,
        second=R.second,
        persistence=R.ctx["evidence"].get("persistence", {}),
        correlation=R.tx.num(
            (R.ctx["evidence"].get("persistence") or {}).get("correlation", float("nan")), 1
        ),
        suppressed_note=R.tx("common.suppressed_note", k=R.min_cell),
        protection_pp=R.tx.num(100 * R.ctx["protection"]["level"]),
    )
    return R.heading(1, "methods.title", "sec-data") + "\n" + prose
