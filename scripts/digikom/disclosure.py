"""Disclosure control for real microdata: the one rule every table and figure uses.

A cell is suppressed (shown with SSB's symbol ":") when

1. it rests on fewer than ``min_cell`` municipalities (config ``report.min_cell``), or
2. it reveals every member's answer: a share of 0 % or 100 % (every municipality in the cell
   answered the same), or a mean with no spread (conf_low == conf_high, i.e. all members
   gave the same count).

``min_cell=None`` (synthetic data) suppresses nothing. Use ``suppress`` for a table (adds a
boolean ``suppressed`` column and blanks the values) and ``hidden`` for one cell."""

from __future__ import annotations

import numpy as np
import pandas as pd

SYMBOL = ":"
VALUE_COLUMNS = ("estimate", "conf_low", "conf_high", "count")
MEAN_KINDS = ("mean",)


def _is_mean(kind) -> bool:
    return isinstance(kind, str) and kind in MEAN_KINDS


def hidden(
    n,
    estimate=None,
    min_cell: int | None = None,
    kind: str | None = "share",
    conf_low=None,
    conf_high=None,
) -> bool:
    """True when the cell must be shown as ":" (see the module docstring). ``kind`` "mean"
    checks for zero spread instead of 0 % / 100 %."""
    if not min_cell:
        return False
    if n is None or pd.isna(n) or int(n) < min_cell:
        return True
    if estimate is None or pd.isna(estimate):
        return False
    if _is_mean(kind):
        if conf_low is None or conf_high is None or pd.isna(conf_low) or pd.isna(conf_high):
            return False
        return bool(np.isclose(float(conf_low), float(conf_high)))
    return bool(np.isclose(float(estimate), 0.0) or np.isclose(float(estimate), 1.0))


def suppress(df: pd.DataFrame, min_cell: int | None, n_col: str = "n") -> pd.DataFrame:
    """A copy with estimates, intervals and counts blanked where ``hidden`` holds, and a
    boolean ``suppressed`` column. Rows with a ``kind`` of "mean" are means; every other row
    (shares, distributions, composite and cross-tab cells) is a share."""
    out = df.copy()
    if not min_cell or out.empty:
        out["suppressed"] = False
        return out
    kinds = out["kind"] if "kind" in out.columns else pd.Series("share", index=out.index)
    lo = out["conf_low"] if "conf_low" in out.columns else pd.Series(np.nan, index=out.index)
    hi = out["conf_high"] if "conf_high" in out.columns else pd.Series(np.nan, index=out.index)
    hide = pd.Series(
        [
            hidden(n, e, min_cell, k, a, b)
            for n, e, k, a, b in zip(
                out[n_col],
                out["estimate"] if "estimate" in out.columns else [None] * len(out),
                kinds,
                lo,
                hi,
                strict=True,
            )
        ],
        index=out.index,
        dtype=bool,
    )
    for col in VALUE_COLUMNS:
        if col in out.columns:
            out[col] = out[col].astype(float).where(~hide, np.nan)
    out["suppressed"] = hide.to_numpy()
    return out
