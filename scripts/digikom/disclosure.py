"""Disclosure control for real microdata: the one rule every table and figure uses.

A cell is suppressed (shown with SSB's symbol ":") when

1. it rests on fewer than ``min_cell`` municipalities (config ``report.min_cell``), or
2. it reveals every member's answer: a share of 0 % or 100 % (every municipality in the cell
   answered the same), or a mean with no spread (conf_low == conf_high, i.e. all members
   gave the same count).

``min_cell=None`` (synthetic data) suppresses nothing. Use ``suppress`` for a table (adds a
boolean ``suppressed`` column and blanks the values) and ``hidden`` for one cell.

Secondary (complementary) suppression: cells that add up to a shown total (the size groups
to "all municipalities", the values of a distribution or the categories of a composite to
100 %, a share and its complement) would give a single hidden cell away by subtraction.
``secondary`` hides, in every such set with exactly one hidden cell, the visible cell with
the fewest municipalities as well; ``protect_shares``, ``protect_composites`` and
``protect_crosstab`` apply both steps to the indicator tables, and every table, figure and
sentence of the report reads the result."""

from __future__ import annotations

import re

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


def secondary(df: pd.DataFrame, hide: pd.Series, sets: list[list[str]], n_col: str = "n"):
    """Complementary suppression. ``sets``: lists of columns; rows that share the values
    of one list form a set whose cells add up to a total that is shown (or to 100 %).
    Where a set has exactly one hidden cell, its visible cell with the fewest units is
    hidden too (ties: the first). Repeated over all sets until none has exactly one
    hidden cell. Returns the new boolean mask (``hide`` is not changed)."""
    hide = hide.astype(bool).copy()
    if df.empty:
        return hide
    changed = True
    while changed:
        changed = False
        for cols in sets:
            for _, idx in df.groupby(cols, dropna=False, sort=False).groups.items():
                h = hide.loc[idx]
                if len(idx) < 2 or int(h.sum()) != 1:
                    continue
                visible = df.loc[idx][~h.to_numpy()]
                hide.loc[visible[n_col].astype(float).idxmin()] = True
                changed = True
    return hide


def _primary(df: pd.DataFrame, min_cell: int) -> pd.Series:
    return suppress(df, min_cell)["suppressed"].astype(bool)


def protect_shares(shares: pd.DataFrame, min_cell: int | None, complements=None) -> pd.Series:
    """The cells of results/indicators/shares.csv to hide (primary and secondary), as a
    boolean Series on its index. Response rates describe the frame, not answers, and are
    never hidden. ``complements``: indicator -> the indicator it is the complement of."""
    if not min_cell or shares.empty:
        return pd.Series(False, index=shares.index)
    answers = ~shares.indicator.astype(str).str.startswith("response_rate")
    hide = _primary(shares, min_cell) & answers
    d = shares.assign(
        # the values of a distribution add up to 100 % within a wave and group
        _set=np.where(
            shares.kind.eq("distribution"),
            shares.indicator.astype(str).str.rsplit("_", n=1).str[0],
            shares.indicator.astype(str),
        ),
        # a share and its complement: one gives the other away
        _pair=["|".join(sorted([i, (complements or {}).get(i, i)])) for i in shares.indicator],
        _margin=shares.group.astype(str).eq("all"),
    )
    groups = d[answers & ~d._margin]  # the size groups add up to "all municipalities"
    dist = d[answers & d.kind.eq("distribution")]
    out = hide.copy()
    for _ in range(3):  # the sets overlap: repeat until stable
        before = out.copy()
        out.loc[groups.index] = secondary(
            groups, out.loc[groups.index], [["_set", "kind", "year", "weighted"]]
        )
        out.loc[dist.index] = secondary(
            dist, out.loc[dist.index], [["_set", "year", "group", "weighted"]]
        )
        pairs = d[answers]
        out.loc[pairs.index] = secondary(
            pairs, out.loc[pairs.index], [["_pair", "year", "group", "weighted"]]
        )
        if out.equals(before):
            break
    return out


def protect_table(df: pd.DataFrame, min_cell: int | None, sets: list[list[str]]) -> pd.Series:
    """Primary and secondary suppression of a table of shares whose cells add up along
    ``sets`` (composites: categories within composite, wave and group; cross-tab:
    statuses within wave and level)."""
    if not min_cell or df.empty:
        return pd.Series(False, index=df.index)
    return secondary(df, _primary(df, min_cell), sets)


def protect_composites(composites: pd.DataFrame, min_cell: int | None) -> pd.Series:
    sets = [["composite", "year", "group"]]
    if "group" in composites.columns and (composites.group == "all").any():
        sets.append(["composite", "year", "category", "_margin"])
        composites = composites.assign(_margin=composites.group.eq("all"))
    return protect_table(composites, min_cell, sets)


def protect_crosstab(crosstab: pd.DataFrame, min_cell: int | None) -> pd.Series:
    return protect_table(crosstab, min_cell, [["year", "level"]])


def apply(df: pd.DataFrame, hide: pd.Series) -> pd.DataFrame:
    """A copy with the values of the hidden rows blanked and a ``suppressed`` column."""
    out = df.copy()
    for col in VALUE_COLUMNS:
        if col in out.columns:
            out[col] = out[col].astype(float).where(~hide, np.nan)
    out["suppressed"] = hide.to_numpy()
    return out


# ---------------------------------------------------------------- model outputs
# A predicted share this close to 0 % or 100 % tells, like a 0 %/100 % cell, what every
# municipality of the group answered (a saturated model reproduces the cell).
PREDICTION_EDGE = 0.005
# Fitting warnings that describe a cell of units: "all 19 observations with ... have the
# highest outcome value" (models/design.py, separation_terms).
_CELL_WARNING = re.compile(r"\ball \d+ observations\b|\b(highest|lowest) outcome value\b")


def protect_predictions(pred: pd.DataFrame, min_cell: int | None) -> pd.Series:
    """Model predictions to hide (real microdata): a predicted share of a group with fewer
    than ``min_cell`` observations, or one within PREDICTION_EDGE of 0 % or 100 %."""
    if not min_cell or pred.empty:
        return pd.Series(False, index=pred.index)
    is_pred = pred.get("quantity", pd.Series("prediction", index=pred.index)).eq("prediction")
    n = pd.to_numeric(pred.get("n_obs", pd.Series(np.nan, index=pred.index)), errors="coerce")
    est = pd.to_numeric(pred["estimate"], errors="coerce")
    edge = (est <= PREDICTION_EDGE) | (est >= 1 - PREDICTION_EDGE)
    return is_pred & (n.isna() | (n < min_cell) | edge)


def warning_reveals_cell(text: str) -> bool:
    """True when a model-fitting warning describes what every unit of a cell answered."""
    return bool(_CELL_WARNING.search(str(text)))
