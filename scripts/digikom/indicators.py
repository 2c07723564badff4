"""The indicator rules of config/indicators.yaml applied to the panel: shares, means and
distributions by wave and size group, unweighted (shares of responding municipalities, as
SSB publishes) and nonresponse-weighted; the two-axis composites; the cross-tab of
recruitment status by the levels of one codebook variable (``crosstab.variable``).

The estimators are in :mod:`digikom.stats`, the evidence tables (paired change,
nonresponse, reform sensitivity, composite rules) in :mod:`digikom.evidence_tables`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import ConfigError
from .stats import proportion, weighted_means, weighted_shares, wilson

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


def _row(**fields) -> dict:
    """One tidy indicator row (columns as in COLUMNS)."""
    return {c: fields[c] for c in COLUMNS}


def query_rows(df: pd.DataFrame, expr: str | None, where: str) -> pd.DataFrame:
    """The rows of ``df`` that the pandas query ``expr`` (from a config file) selects; all
    rows for no expression. A bad expression is a ConfigError naming ``where``."""
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


def _cells(sub: pd.DataFrame) -> list[tuple[int, str, np.ndarray]]:
    """(year, group id, row mask) of every wave (in order) x (the whole country, then each
    size group in order of appearance): the cells of :func:`_groups` per wave, as masks
    over ``sub``'s rows, without a DataFrame per cell."""
    years = sub["year"].to_numpy()
    groups = sub["size_group"].astype(object).to_numpy()
    out = []
    for year in sorted(pd.unique(years)):
        in_year = years == year
        out.append((year, ALL, in_year))
        for gid in pd.unique(groups[in_year]):
            if not pd.isna(gid):
                out.append((year, str(gid), in_year & (groups == gid)))
    return out


def _cell_rows(sub, values, spec, kind, estimator, conf) -> list[dict]:
    """Unweighted and nonresponse-weighted estimates (``estimator``: stats.weighted_shares
    or stats.weighted_means) of ``values`` in every cell of ``sub``."""
    weight = sub["weight"].to_numpy(dtype=float)
    keys, xs, ws = [], [], []
    for year, gid, m in _cells(sub):
        n = int(m.sum())
        for weighted, w in ((False, np.ones(n)), (True, weight[m])):
            if w.sum() > 0:
                keys.append((year, gid, n, weighted))
                xs.append(values[m])
                ws.append(w)
    if not keys:
        return []
    est, lo, hi = estimator(xs, ws, conf)
    base = {"indicator": spec["id"], "kind": kind, "theme": spec["theme"]}
    cell = ("year", "group", "n", "weighted")  # the fields of each key
    return [
        _row(**base, **dict(zip(cell, key, strict=True)), estimate=e, conf_low=a, conf_high=b)
        for key, e, a, b in zip(keys, est, lo, hi, strict=True)
    ]


def share_rows(resp: pd.DataFrame, spec: dict, conf: float) -> list[dict]:
    """Unweighted and nonresponse-weighted shares with Wilson CIs (Kish effective n for the
    weighted share; for equal weights it is n, so both reduce to the plain Wilson interval)."""
    var, values = spec["variable"], spec.get("values", [1])
    sub = query_rows(resp, spec.get("among"), f"indicator {spec['id']}")
    sub = sub[sub[var].notna()]
    y = sub[var].isin(values).to_numpy(dtype=float)
    return _cell_rows(sub, y, spec, "share", weighted_shares, conf)


def mean_rows(resp: pd.DataFrame, spec: dict, conf: float) -> list[dict]:
    var = spec["variable"]
    sub = query_rows(resp, spec.get("among"), f"indicator {spec['id']}")
    sub = sub[sub[var].notna()]
    x = sub[var].to_numpy(dtype=float)
    return _cell_rows(sub, x, spec, "mean", weighted_means, conf)


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
    """Every share, mean and distribution of ``rules`` (config/indicators.yaml, validated)
    and the response rate, at the rules' confidence level."""
    conf = rules["confidence"]
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


def axis_values(resp: pd.DataFrame, axis: dict, where: str) -> pd.Series:
    """A composite axis's value per row (its ``expr`` evaluated on the panel)."""
    try:
        return resp.eval(axis["expr"]).astype(float)
    except Exception as exc:
        raise ConfigError(f"{where}: cannot evaluate axis '{axis['expr']}': {exc}") from exc


def composite_groups(panel: pd.DataFrame, spec: dict, reference_wave: int) -> pd.DataFrame:
    """Each respondent's composite group (both / y_only / x_only / neither), with the axes
    split at the median of the reference wave's respondents."""
    resp = panel[panel["responded"]].copy()
    where = f"composite {spec['id']}"
    x = axis_values(resp, spec["x"], where)
    y = axis_values(resp, spec["y"], where)
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
    conf = rules["confidence"]
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


def crosstab_levels(rules: dict, codebook: dict) -> tuple[str, dict]:
    """(variable, levels): the codebook variable of the cross-tab's columns
    (``crosstab.variable`` in config/indicators.yaml) and its ``levels``."""
    var = rules["crosstab"]["variable"]
    levels = codebook["variables"].get(var, {}).get("levels")
    if not levels:
        raise ConfigError(
            f"config/indicators.yaml: key 'crosstab/variable': '{var}' is not a codebook "
            "variable with levels"
        )
    return var, levels


def compute_crosstab(panel: pd.DataFrame, rules: dict, codebook: dict) -> pd.DataFrame:
    """Recruitment status by level of ``crosstab.variable``: column percent within level."""
    var, levels = crosstab_levels(rules, codebook)
    resp = panel[panel["responded"] & panel[var].notna()]
    rows = []
    for year, wave in resp.groupby("year"):
        for lvl, lspec in levels.items():
            col = wave[wave[var].isin(lspec["values"])]
            n = len(col)
            for status, sspec in rules["crosstab"]["statuses"].items():
                k = len(query_rows(col, sspec["query"], f"crosstab status {status}"))
                rows.append(
                    dict(
                        year=year, level=lvl, status=status, **proportion(k, n, rules["confidence"])
                    )
                )
    return pd.DataFrame(rows)
