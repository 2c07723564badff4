"""Indicators of the report's three themes, by wave and size group, unweighted (shares of
responding municipalities, as SSB publishes) and nonresponse-weighted."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .errors import ConfigError

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
    """Wilson score interval for a proportion k/n (n may be an effective, non-integer n)."""
    if n <= 0:
        return (np.nan, np.nan)
    z = stats.norm.ppf(0.5 + conf / 2)
    p = k / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def kish_n(w: np.ndarray) -> float:
    """Kish effective sample size (sum w)^2 / sum w^2."""
    w = np.asarray(w, dtype=float)
    s2 = (w**2).sum()
    return float(w.sum() ** 2 / s2) if s2 > 0 else 0.0


def _query(df: pd.DataFrame, expr: str | None, where: str) -> pd.DataFrame:
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
    sub = _query(resp, spec.get("among"), f"indicator {spec['id']}")
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
    sub = _query(resp, spec.get("among"), f"indicator {spec['id']}")
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
                    half = stats.t.ppf(0.5 + conf / 2, ne - 1) * np.sqrt(var_w / ne)
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
                k = len(_query(col, sspec["query"], f"crosstab status {status}"))
                rows.append(
                    dict(
                        year=year,
                        level=lvl,
                        status=status,
                        **proportion(k, n, rules.get("confidence", 0.95)),
                    )
                )
    return pd.DataFrame(rows)
