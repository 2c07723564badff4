"""The evidence tables (rule ``evidence_tables``): what the estimates mean and how far they
can be trusted. Paired change between waves in the same municipalities, unit and item
nonresponse, the sensitivity of the pre-reform wave to the 2020 municipal reform, and the
check of each composite axis's median rule."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from .geography import county_of
from .indicators import ALL, axis_values, query_rows
from .io import write_csv
from .panel import assign_size_group, read_panel
from .stats import mean_difference
from .waves import comparison_pairs

log = logging.getLogger(__name__)

# The wave before the 2020 municipal reform (422 -> 356 municipalities); its estimates are
# compared with the same answers harmonised to the post-reform structure.
REFORM_YEAR = 2018


# --------------------------------------------------------------------------- composite rule
def composite_rule_shares(panel: pd.DataFrame, rules: dict) -> pd.DataFrame:
    """For every composite axis: the reference-wave median, the configured rule and the
    share of reference-wave respondents that are 'high' under each rule (gt and ge), so the
    choice of rule per axis can be checked and stated."""
    resp = panel[panel["responded"]]
    ref = resp["year"] == rules["reference_wave"]
    rows = []
    for spec in rules["composites"]:
        for axis in ("x", "y"):
            v = axis_values(resp, spec[axis], f"composite {spec['id']}")[ref].dropna()
            m = float(v.median())
            rows.append(
                dict(
                    composite=spec["id"],
                    axis=axis,
                    expr=spec[axis]["expr"],
                    reference_wave=rules["reference_wave"],
                    median=m,
                    rule=spec[axis].get("rule", "gt"),
                    high_share_gt=float((v > m).mean()),
                    high_share_ge=float((v >= m).mean()),
                    high_share=float(
                        ((v >= m) if spec[axis].get("rule", "gt") == "ge" else (v > m)).mean()
                    ),
                )
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- nonresponse
RESPONSE_COLUMNS = ["year", "dimension", "group", "frame", "responded", "rate"]


def response_table(panel: pd.DataFrame) -> pd.DataFrame:
    """Unit response by wave: all, by size group and by county (county of the wave's own
    structure)."""
    rows = []
    for year, wave in panel.groupby("year"):
        dims = [
            ("all", pd.Series(ALL, index=wave.index)),
            ("size_group", wave["size_group"].astype(str)),
            ("county", county_of(wave["kommunenr"])),
        ]
        for dim, key in dims:
            for gid, g in wave.groupby(key, sort=True):
                n, k = len(g), int(g["responded"].sum())
                rows.append(
                    dict(year=year, dimension=dim, group=gid, frame=n, responded=k, rate=k / n)
                )
    return pd.DataFrame(rows, columns=RESPONSE_COLUMNS)


ITEM_COLUMNS = [
    "year",
    "variable",
    "respondents",
    "missing",
    "share_missing",
    "dont_know",
    "share_dont_know",
]


def item_nonresponse(panel: pd.DataFrame, codebook: dict) -> pd.DataFrame:
    """Empty answers per survey variable among the respondents it was asked of
    (codebook ``asked_if``). Where the codebook labels an empty answer (``null_label``,
    e.g. "vet ikke"), empties are counted as ``dont_know``, not as ``missing``."""
    resp = panel[panel["responded"]]
    rows = []
    for name, var in codebook["variables"].items():
        if not var.get("input") or var["kind"] in ("id", "wave") or name not in resp.columns:
            continue
        asked = query_rows(resp, var.get("asked_if"), f"codebook {name}.asked_if")
        for year, g in asked.groupby("year"):
            n, empty = len(g), int(g[name].isna().sum())
            dk = empty if var.get("null_label") else None
            miss = empty - (dk or 0)
            rows.append(
                dict(
                    year=year,
                    variable=name,
                    respondents=n,
                    missing=miss,
                    share_missing=miss / n if n else np.nan,
                    dont_know=dk,
                    share_dont_know=(dk / n if n else np.nan) if dk is not None else np.nan,
                )
            )
    out = pd.DataFrame(rows, columns=ITEM_COLUMNS)
    out["dont_know"] = out["dont_know"].astype("Int64")
    return out.sort_values(["variable", "year"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- harmonisation
def _unit_values(resp: pd.DataFrame, spec: dict, kind: str) -> pd.DataFrame:
    """Respondents' indicator values (0/1 for a share, the count for a mean), restricted to
    the indicator's denominator, with their unit in the 2024 structure."""
    var = spec["variable"]
    sub = query_rows(resp, spec.get("among"), f"indicator {spec['id']}")
    sub = sub[sub[var].notna()]
    if kind == "share":
        y = sub[var].isin(spec.get("values", [1])).astype(float)
    else:
        y = sub[var].astype(float)
    return pd.DataFrame(
        {
            "unit": sub["kommunenr_2024"].astype(str).to_numpy(),
            "y": y.to_numpy(),
            "size_group": sub["size_group"].astype(str).to_numpy(),
        }
    )


def harmonised(resp: pd.DataFrame, spec: dict, kind: str) -> pd.Series:
    """One value per municipality of the later structure: the mean of its responding
    predecessors' values (a fraction for a merged municipality whose parts answered
    differently)."""
    return _unit_values(resp, spec, kind).groupby("unit")["y"].mean()


def _specs(rules: dict):
    yield from (("share", s) for s in rules["shares"])
    yield from (("mean", s) for s in rules["means"])


def _size_of_units(panel: pd.DataFrame, year: int, size_groups: list[dict]) -> pd.Series:
    """Size group of each 2024-structure unit from the summed population of its parts in
    ``year`` (all frame municipalities, respondents or not)."""
    wave = panel[panel["year"] == year]
    pop = wave.groupby(wave["kommunenr_2024"].astype(str))["population"].sum()
    return pd.Series(assign_size_group(pop, size_groups).to_numpy(), index=pop.index)


REFORM_COLUMNS = [
    "indicator",
    "kind",
    "group",
    "n_asis",
    "estimate_asis",
    "n_harmonised",
    "estimate_harmonised",
    "diff",
]


def reform_sensitivity(
    panel: pd.DataFrame, rules: dict, size_groups: list[dict], year: int = 2018
) -> pd.DataFrame:
    """The ``year`` estimates as published (one unit = one municipality of that year) next
    to the same answers harmonised to the post-2020 structure (one unit = one merged
    municipality, valued by the mean of its responding parts; size group by the merged
    municipality's summed population). Unweighted, all and by size group."""
    if year not in set(panel["year"]):
        return pd.DataFrame(columns=REFORM_COLUMNS)
    resp = panel[panel["responded"] & (panel["year"] == year)]
    unit_size = _size_of_units(panel, year, size_groups)
    rows = []
    for kind, spec in _specs(rules):
        v = _unit_values(resp, spec, kind)
        h = v.groupby("unit")["y"].mean().to_frame()
        h["size_group"] = unit_size.reindex(h.index).to_numpy()
        groups = [(ALL, v, h)] + [
            (g["id"], v[v["size_group"] == g["id"]], h[h["size_group"] == g["id"]])
            for g in size_groups
        ]
        for gid, a, b in groups:
            ea = float(a["y"].mean()) if len(a) else np.nan
            eb = float(b["y"].mean()) if len(b) else np.nan
            rows.append(
                dict(
                    indicator=spec["id"],
                    kind=kind,
                    group=gid,
                    n_asis=len(a),
                    estimate_asis=ea,
                    n_harmonised=len(b),
                    estimate_harmonised=eb,
                    diff=eb - ea,
                )
            )
    return pd.DataFrame(rows, columns=REFORM_COLUMNS)


# --------------------------------------------------------------------------- paired change
CHANGE_COLUMNS = [
    "indicator",
    "group",
    "from_year",
    "to_year",
    "n_pairs",
    "est_from",
    "est_to",
    "diff",
    "conf_low",
    "conf_high",
    "method",
    "part",
]
PAIRED_METHOD = "paired t (municipalities in both waves, 2024 structure; model-based)"


def paired_change(
    panel: pd.DataFrame,
    rules: dict,
    pairs: list[tuple[int, int, str]],
    conf: float,
) -> pd.DataFrame:
    """Change between two waves in the same municipalities: both waves harmonised to the
    2024 structure (a merged municipality's earlier value is the mean of its responding
    parts), kept where the unit answered in both, and the interval of the mean paired
    difference (t, n_pairs - 1 df). Groups: all and the size group of the unit in the
    later wave."""
    resp = panel[panel["responded"]]
    rows = []
    for a, b, part in pairs:
        ra, rb = resp[resp["year"] == a], resp[resp["year"] == b]
        size_b = rb.groupby(rb["kommunenr_2024"].astype(str))["size_group"].first()
        for kind, spec in _specs(rules):
            pa = harmonised(ra, spec, kind)
            pb = harmonised(rb, spec, kind)
            both = pd.DataFrame({"a": pa, "b": pb}).dropna()
            both["size_group"] = size_b.reindex(both.index).to_numpy()
            groups = [(ALL, both)] + [
                (str(g), d) for g, d in both.groupby("size_group", sort=False)
            ]
            for gid, d in groups:
                n = len(d)
                m, lo, hi = mean_difference((d["b"] - d["a"]).to_numpy(), conf)
                rows.append(
                    dict(
                        indicator=spec["id"],
                        group=gid,
                        from_year=a,
                        to_year=b,
                        n_pairs=n,
                        est_from=float(d["a"].mean()) if n else np.nan,
                        est_to=float(d["b"].mean()) if n else np.nan,
                        diff=m,
                        conf_low=lo,
                        conf_high=hi,
                        method=PAIRED_METHOD,
                        part=part,
                    )
                )
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


# --------------------------------------------------------------------------- the rule
def write_tables(
    panel_path: str,
    out: dict,
    *,
    rules: dict,
    codebook: dict,
    size_groups: list[dict],
    waves: list[int],
    comparison: dict,
) -> None:
    """Rule evidence_tables: paired change, unit and item nonresponse, reform sensitivity
    and the composite rule check. ``comparison`` is the resolved comparison
    (``Settings.comparison``)."""
    pan = read_panel(panel_path)
    cmp = comparison
    pairs = comparison_pairs(waves, [cmp["from"], cmp["to"]])
    log.info("comparison %s -> %s; update waves %s", cmp["from"], cmp["to"], cmp["update"])
    write_csv(paired_change(pan, rules, pairs, rules["confidence"]), out["changes"])
    write_csv(response_table(pan), out["response"])
    write_csv(item_nonresponse(pan, codebook), out["item_nonresponse"])
    write_csv(reform_sensitivity(pan, rules, size_groups, REFORM_YEAR), out["reform"])
    cr = composite_rule_shares(pan, rules)
    for _, r in cr.iterrows():
        log.info(
            "composite %s axis %s: median %s, rule %s, high %.1f %% (gt %.1f %%, ge %.1f %%)",
            r["composite"],
            r["axis"],
            r["median"],
            r["rule"],
            100 * r["high_share"],
            100 * r["high_share_gt"],
            100 * r["high_share_ge"],
        )
    write_csv(cr, out["composite_rules"])
