"""Where a municipality lies: its county, from the Norwegian numbering rule."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import InputDataError


def county_of(kommunenr: pd.Series) -> pd.Series:
    """County number: the first two digits of the municipality number (valid in the
    structure of the wave the number belongs to)."""
    return kommunenr.astype(str).str[:2]


def county_2024(panel: pd.DataFrame) -> pd.Series:
    """The 2024 county of each panel row: the county of its 2024 code(s) (column
    ``kommunenr_2024``, codes joined by '|' where a municipality was split since). A unit
    whose 2024 codes lie in two counties cannot be placed: that is an error."""
    codes = panel["kommunenr_2024"].astype(str).str.split("|").reset_index(drop=True)
    counties = county_of(codes.explode()).groupby(level=0)
    n = counties.nunique().to_numpy()
    if (n != 1).any():
        r = panel.iloc[int(np.flatnonzero(n != 1)[0])]
        raise InputDataError(
            f"panel: municipality {r['kommunenr']} ({r['year']}) maps to 2024 codes in more "
            "than one county; it cannot be placed on a county map"
        )
    return pd.Series(counties.first().to_numpy(), index=panel.index)
