"""Indicators of the report's three themes, by wave and size group, unweighted (shares of
responding municipalities, as SSB publishes) and nonresponse-weighted."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import ConfigError
from .geography import county_of

# scipy and statsmodels are imported where an interval is computed: the jobs that import
# this module only for its helpers (report context, maps, evidence) skip about 0.5 s.

ALL = "all"
COLUMNS = [
    "indicator",
    "kind",
    "theme",
    "year",
    "group",
    "n",
    "estimate",
    "conf_low",
    "conf_high",
    "weighted",
]


def proportion(k: int, n: int, conf: float) -> dict:
    """Count, base, share and Wilson interval of k out of n."""
    lo, hi = wilson(k, n, conf)
    return dict(count=k, n=n, estimate=k / n if n else np.nan, conf_low=lo, conf_high=hi)


def _row(**fields) -> dict:
    """One tidy indicator row (columns as in COLUMNS)."""
    return {c: fields[c] for c in COLUMNS}


def wilson(k: float, n: float, conf: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion k/n (n may be an effective, non-integer n),
    from statsmodels."""
    from statsmodels.stats.proportion import proportion_confint

    if n <= 0:
        return (np.nan, np.nan)
    lo, hi = proportion_confint(k, n, alpha=1 - conf, method="wilson")
    return (max(0.0, float(lo)), min(1.0, float(hi)))


def t_quantile(q: float, df: float) -> float:
    """The q quantile of Student's t with df degrees of freedom (scipy)."""
    from scipy import stats

    return float(stats.t.ppf(q, df))


def kish_n(w: np.ndarray) -> float:
    """Kish effective sample size (sum w)^2 / sum w^2."""
    w = np.asarray(w, dtype=float)
    s2 = (w**2).sum()
    return float(w.sum() ** 2 / s2) if s2 > 0 else 0.0


def query_rows(df: pd.DataFrame, expr: str | None, where: str) -> pd.DataFrame:
    """The rows of ``df`` that satisfy the configured pandas query ``expr`` (all rows when
    there is none); a bad expression is a ConfigError naming ``where`` and the expression."""
    if not expr:
        return df
    try:
        return df.query(expr)
    except Exception as exc:  # pandas raises many types for a bad expression
        raise ConfigError(f"{where}: cannot evaluate '{expr}': {exc}") from exc


def _groups(df: pd.DataFrame):
    """(group id, rows) for the whole country and each size group."""
    yield ALL, df
    for gid, g in df.groupby("size_group", observed=True, sort=False):
        yield str(gid), g


def share_rows(resp: pd.DataFrame, spec: dict, conf: float) -> list[dict]:
    """Unweighted and nonresponse-weighted shares with Wilson CIs (Kish effective n for the
    weighted share; for equal weights it is n, so both reduce to the plain Wilson interval)."""
    var, values = spec["variable"], spec.get("values", [1])
    sub = query_rows(resp, spec.get("among"), f"indicator {spec['id']}")
    sub = sub[sub[var].notna()]
    base = {"indicator": spec["id"], "kind": "share", "theme": spec["theme"]}
    rows = []
    for year, wave in sub.groupby("year"):
        for gid, g in _groups(wave):
            y = g[var].isin(values).to_numpy(dtype=float)
            n = len(y)
            for weighted, w in ((False, np.ones(n)), (True, g["weight"].to_numpy(dtype=float))):
                if w.sum() <= 0:
                    continue
                p = float((w * y).sum() / w.sum())
                ne = kish_n(w)
                lo, hi = wilson(p * ne, ne, conf)
                est = dict(estimate=p, conf_low=lo, conf_high=hi, weighted=weighted)
                rows.append(_row(**base, year=year, group=gid, n=n, **est))
    return rows


def mean_rows(resp: pd.DataFrame, spec: dict, conf: float) -> list[dict]:
    var = spec["variable"]
    sub = query_rows(resp, spec.get("among"), f"indicator {spec['id']}")
    sub = sub[sub[var].notna()]
    base = {"indicator": spec["id"], "kind": "mean", "theme": spec["theme"]}
    rows = []
    for year, wave in sub.groupby("year"):
        for gid, g in _groups(wave):
            x = g[var].to_numpy(dtype=float)
            n = len(x)
            for weighted, w in ((False, np.ones(n)), (True, g["weight"].to_numpy(dtype=float))):
                if w.sum() <= 0:
                    continue
                m = float((w * x).sum() / w.sum())
                ne = kish_n(w)
                if n > 1 and ne > 1:
                    var_w = float((w * (x - m) ** 2).sum() / w.sum()) * ne / (ne - 1)
                    half = t_quantile(0.5 + conf / 2, ne - 1) * np.sqrt(var_w / ne)
                else:
                    half = np.nan
                est = dict(estimate=m, conf_low=m - half, conf_high=m + half, weighted=weighted)
                rows.append(_row(**base, year=year, group=gid, n=n, **est))
    return rows


def response_rows(panel: pd.DataFrame, conf: float) -> list[dict]:
    rows = []
    for year, wave in panel.groupby("year"):
        for gid, g in _groups(wave):
            n, k = len(g), float(g["responded"].sum())
            lo, hi = wilson(k, n, conf)
            rows.append(
                _row(
                    indicator="response_rate",
                    kind="share",
                    theme="frame",
                    year=year,
                    group=gid,
                    n=n,
                    estimate=k / n,
                    conf_low=lo,
                    conf_high=hi,
                    weighted=False,
                )
            )
    return rows


def distribution_rows(resp: pd.DataFrame, spec: dict, codebook: dict, conf: float) -> list[dict]:
    var = spec["variable"]
    values = sorted(int(v) for v in codebook["variables"][var]["values"])
    rows = []
    for value in values:
        rows += [
            dict(r, indicator=f"{spec['id']}_{value}", kind="distribution")
            for r in share_rows(
                resp,
                dict(id=spec["id"], variable=var, values=[value], theme=spec.get("theme", "")),
                conf,
            )
        ]
    return rows


def compute_shares(panel: pd.DataFrame, rules: dict, codebook: dict) -> pd.DataFrame:
    conf = rules.get("confidence", 0.95)
    resp = panel[panel["responded"]]
    rows = response_rows(panel, conf)
    for spec in rules["shares"]:
        rows += share_rows(resp, spec, conf)
    for spec in rules["means"]:
        rows += mean_rows(resp, spec, conf)
    for spec in rules.get("distributions", []):
        rows += distribution_rows(resp, spec, codebook, conf)
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["year"] = out["year"].astype(int)
    return out.sort_values(["indicator", "weighted", "year", "group"], kind="stable").reset_index(
        drop=True
    )


def _axis(resp: pd.DataFrame, axis: dict, where: str) -> pd.Series:
    try:
        return resp.eval(axis["expr"]).astype(float)
    except Exception as exc:
        raise ConfigError(f"{where}: cannot evaluate axis '{axis['expr']}': {exc}") from exc


def composite_groups(panel: pd.DataFrame, spec: dict, reference_wave: int) -> pd.DataFrame:
    """Each respondent's composite group (both / y_only / x_only / neither), with the axes
    split at the median of the reference wave's respondents."""
    resp = panel[panel["responded"]].copy()
    where = f"composite {spec['id']}"
    x = _axis(resp, spec["x"], where)
    y = _axis(resp, spec["y"], where)
    ref = resp["year"] == reference_wave
    if not ref.any():
        raise ConfigError(
            f"{where}: reference wave {reference_wave} has no respondents; "
            "set indicators.reference_wave to a configured wave"
        )
    mx, my = float(x[ref].median()), float(y[ref].median())

    def high(v, m, rule):
        return (v >= m) if rule == "ge" else (v > m)

    hx = high(x, mx, spec["x"].get("rule", "gt"))
    hy = high(y, my, spec["y"].get("rule", "gt"))
    cat = np.select([hx & hy, ~hx & hy, hx & ~hy], ["both", "y_only", "x_only"], "neither")
    out = resp[["kommunenr", "year", "size_group", "weight"]].copy()
    out["category"] = np.where(x.isna() | y.isna(), None, cat)
    out["x_median"], out["y_median"] = mx, my
    return out[out["category"].notna()]


def compute_composites(panel: pd.DataFrame, rules: dict) -> pd.DataFrame:
    conf = rules.get("confidence", 0.95)
    rows = []
    for spec in rules["composites"]:
        g = composite_groups(panel, spec, rules["reference_wave"])
        for year, wave in g.groupby("year"):
            for gid, grp in _groups(wave):
                n = len(grp)
                for cat in ("both", "y_only", "x_only", "neither"):
                    k = int((grp["category"] == cat).sum())
                    medians = dict(
                        x_median=grp["x_median"].iloc[0], y_median=grp["y_median"].iloc[0]
                    )
                    rows.append(
                        dict(
                            composite=spec["id"],
                            year=year,
                            group=gid,
                            category=cat,
                            **proportion(k, n, conf),
                            **medians,
                        )
                    )
    return pd.DataFrame(rows)


def compute_crosstab(panel: pd.DataFrame, rules: dict, codebook: dict) -> pd.DataFrame:
    """Recruitment status by competence-barrier level: column percent within level."""
    levels = codebook["variables"]["competence_barrier"]["levels"]
    resp = panel[panel["responded"] & panel["competence_barrier"].notna()]
    rows = []
    for year, wave in resp.groupby("year"):
        for lvl, lspec in levels.items():
            col = wave[wave["competence_barrier"].isin(lspec["values"])]
            n = len(col)
            for status, sspec in rules["crosstab"]["statuses"].items():
                k = len(query_rows(col, sspec["query"], f"crosstab status {status}"))
                rows.append(
                    dict(
                        year=year,
                        level=lvl,
                        status=status,
                        **proportion(k, n, rules.get("confidence", 0.95)),
                    )
                )
    return pd.DataFrame(rows)


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
            v = _axis(resp, spec[axis], f"composite {spec['id']}")[ref].dropna()
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
    from .config import assign_size_group

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


def comparison_pairs(waves: list[int], comparison: list[int]) -> list[tuple[int, int, str]]:
    """(from, to, part): the original report's comparison first (part 'comparison'), then
    every later wave against both of its years (part 'update'). A comparison year that is
    not configured falls back to the first / last configured wave."""
    waves = sorted(waves)
    a, b = comparison
    a = a if a in waves else waves[0]
    b = b if b in waves else waves[-1]
    pairs = [(a, b, "comparison")] if a < b else []
    for later in (w for w in waves if w > b):
        pairs += [(b, later, "update"), (a, later, "update")]
    return pairs


def paired_change(
    panel: pd.DataFrame,
    rules: dict,
    pairs: list[tuple[int, int, str]],
    conf: float | None = None,
) -> pd.DataFrame:
    """Change between two waves in the same municipalities: both waves harmonised to the
    2024 structure (a merged municipality's earlier value is the mean of its responding
    parts), kept where the unit answered in both, and the interval of the mean paired
    difference (t, n_pairs - 1 df). Groups: all and the size group of the unit in the
    later wave."""
    conf = conf or rules.get("confidence", 0.95)
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
                diff = (d["b"] - d["a"]).to_numpy()
                m = float(diff.mean()) if n else np.nan
                if n > 1:
                    se = float(diff.std(ddof=1)) / np.sqrt(n)
                    half = float(t_quantile(0.5 + conf / 2, n - 1)) * se
                else:
                    half = np.nan
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
                        conf_low=m - half,
                        conf_high=m + half,
                        method=PAIRED_METHOD,
                        part=part,
                    )
                )
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)
