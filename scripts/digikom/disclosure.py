"""Disclosure control for real microdata: no published cell may rest on fewer than
``min_cell`` municipalities (config report.min_cell). Suppressed cells are shown with
SSB's symbol ":"."""

from __future__ import annotations

import numpy as np
import pandas as pd

SYMBOL = ":"
VALUE_COLUMNS = ("estimate", "conf_low", "conf_high", "count")


def suppress(df: pd.DataFrame, min_cell: int | None, n_col: str = "n") -> pd.DataFrame:
    """A copy with estimates (and counts) blanked where ``n_col`` < min_cell, and a boolean
    ``suppressed`` column. ``min_cell=None`` (synthetic data) suppresses nothing."""
    out = df.copy()
    hide = (out[n_col] < min_cell) if min_cell else pd.Series(False, index=out.index)
    for col in VALUE_COLUMNS:
        if col in out.columns:
            out[col] = out[col].astype(float).where(~hide, np.nan)
    out["suppressed"] = hide.to_numpy()
    return out
