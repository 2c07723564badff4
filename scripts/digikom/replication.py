"""The replication scorecard: every published figure next to the pipeline's estimate."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .indicators import ALL
from .published import parse_published

COLUMNS = ["target_id", "year", "indicator", "group", "published", "published_low",
           "published_high", "reproduced", "diff_pp", "tolerance_pp", "within_tolerance",
           "reference", "reason", "source_url"]


def scorecard(targets: pd.DataFrame, shares: pd.DataFrame, crosstab: pd.DataFrame,
              rules: dict, waves: list[int], statbank: pd.DataFrame | None = None) -> pd.DataFrame:
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
        row = dict(target_id=t["id"], year=year, indicator=indicator or t["indicator_en"],
                   group=t["group"], published=t["value"],
                   published_low=pub.low if pub else np.nan,
                   published_high=pub.high if pub else np.nan, reproduced=np.nan,
                   diff_pp=np.nan, tolerance_pp=pub.tolerance_pp if pub else np.nan,
                   within_tolerance=pd.NA, reference="published", reason="",
                   source_url=t["source_url"])
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
            hit = crosstab[(crosstab["year"] == year) & (crosstab["status"] == status)
                           & (crosstab["level"] == level)]
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
    if statbank is not None and not statbank.empty:
        out = pd.concat([out, statbank.reindex(columns=COLUMNS)], ignore_index=True)
    return out
