"""The replication scorecard: every published figure next to the pipeline's estimate."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import ConfigError
from .indicators import ALL
from .published import parse_published

COLUMNS = [
    "target_id",
    "year",
    "indicator",
    "group",
    "published",
    "published_low",
    "published_high",
    "reproduced",
    "diff_pp",
    "tolerance_pp",
    "within_tolerance",
    "reference",
    "reason",
    "source_url",
]


def scorecard(
    targets: pd.DataFrame,
    shares: pd.DataFrame,
    crosstab: pd.DataFrame,
    rules: dict,
    waves: list[int],
    statbank: dict[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    rep = rules["replication"]
    tolerances = rep["tolerances"]
    mapping = rep["map"]
    nat = shares[(shares["group"] == ALL) & (~shares["weighted"])]
    rows = []
    for _, t in targets.iterrows():
        year = int(t["wave_year"])
        pub = parse_published(t["value"], t["unit"], tolerances)
        m = mapping.get(t["id"], {})
        indicator = m.get("indicator") or ("/".join(m["crosstab"]) if "crosstab" in m else "")
        row = dict(
            target_id=t["id"],
            year=year,
            indicator=indicator or t["indicator_en"],
            group=t["group"],
            published=t["value"],
            published_low=pub.low if pub else np.nan,
            published_high=pub.high if pub else np.nan,
            reproduced=np.nan,
            diff_pp=np.nan,
            tolerance_pp=pub.tolerance_pp if pub else np.nan,
            within_tolerance=pd.NA,
            reference="published",
            reason="",
            source_url=t["source_url"],
        )
        value = np.nan
        if not m:
            row["reason"] = "not computable: the panel has no variable for this figure"
        elif year not in waves:
            row["reason"] = f"not computable: {year} is not a configured wave"
        elif pub is None:
            row["reason"] = "not computable: published as a count"
        elif "indicator" in m:
            hit = nat[(nat["indicator"] == m["indicator"]) & (nat["year"] == year)]
            if hit.empty:
                row["reason"] = f"not computable: indicator {m['indicator']} has no estimate"
            else:
                value = float(hit["estimate"].iloc[0])
        else:
            status, level = m["crosstab"]
            hit = crosstab[
                (crosstab["year"] == year)
                & (crosstab["status"] == status)
                & (crosstab["level"] == level)
            ]
            if hit.empty:
                row["reason"] = "not computable: cross-tab cell empty"
            else:
                value = float(hit["estimate"].iloc[0])
        if not np.isnan(value):
            row["reproduced"] = value
            if pub.point is not None:
                row["diff_pp"] = 100 * (value - pub.point)
            row["within_tolerance"] = bool(pub.contains(value))
        rows.append(row)
    out = pd.DataFrame(rows, columns=COLUMNS)
    if statbank:
        extra = statbank_rows(statbank, nat, rep.get("statbank", []), tolerances["percent"], waves)
        out = pd.concat([out, extra], ignore_index=True)
    return out


def statbank_rows(
    tables: dict[str, pd.DataFrame],
    nat: pd.DataFrame,
    mapping: list[dict],
    tol_pp: float,
    waves: list[int],
) -> pd.DataFrame:
    """Official StatBank values as a second reference (reference = "statbank")."""
    rows = []
    for m in mapping:
        df = tables.get(str(m["table"]))
        if df is None:
            continue
        sel = df
        for dim, code in m["where"].items():
            if dim not in sel.columns:
                raise ConfigError(
                    f"config/indicators.yaml replication.statbank: table {m['table']} "
                    f"has no dimension '{dim}' (has: {', '.join(df.columns)})"
                )
            sel = sel[sel[dim].astype(str) == str(code)]
        tdim = m.get("time_dimension", "Tid")
        for _, r in sel.iterrows():
            year = int(str(r[tdim])[:4])
            official = r["value"] * m.get("scale", 0.01) if pd.notna(r["value"]) else np.nan
            hit = nat[(nat["indicator"] == m["indicator"]) & (nat["year"] == year)]
            value = float(hit["estimate"].iloc[0]) if not hit.empty else np.nan
            reason = "" if year in waves else f"not computable: {year} is not a configured wave"
            if np.isnan(official):
                reason = f"official value missing (status {r.get('status', '')!s})"
            ok = (
                pd.NA
                if np.isnan(value) or np.isnan(official)
                else abs(value - official) * 100 <= tol_pp
            )
            rows.append(
                dict(
                    target_id=f"statbank_{m['table']}_"
                    + "_".join(str(v) for v in m["where"].values())
                    + f"_{year}",
                    year=year,
                    indicator=m["indicator"],
                    group="all municipalities",
                    published=official,
                    published_low=official - tol_pp / 100,
                    published_high=official + tol_pp / 100,
                    reproduced=value,
                    diff_pp=100 * (value - official) if not np.isnan(value) else np.nan,
                    tolerance_pp=tol_pp,
                    within_tolerance=ok,
                    reference="statbank",
                    reason=reason,
                    source_url=f"StatBank table {m['table']}",
                )
            )
    return pd.DataFrame(rows, columns=COLUMNS)
