"""The estimators every stage shares: critical values, the Wilson interval of a proportion,
Kish's effective sample size (the design effect of unequal weights), weighted shares and
means with their intervals, and the interval of a mean paired difference.

Every function takes the confidence level as an argument: its one default is `confidence`
in workflow/schemas/indicators.schema.yaml."""

from __future__ import annotations

from functools import cache
from statistics import NormalDist

import numpy as np


@cache
def z_value(confidence: float) -> float:
    """Two-sided standard-normal critical value of a ``confidence`` interval (0.95 -> 1.96).

    From the standard library (Wichura's AS 241, agreeing with scipy.stats.norm.ppf to
    within 1e-15): the report imports this, and scipy.stats alone costs it about 0.7 s."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


# scipy and statsmodels are imported inside the estimators that need them: the report and
# the jobs that import this module only for z_value skip about 0.5 s.


def wilson(k: float, n: float, confidence: float) -> tuple[float, float]:
    """Wilson score interval for a proportion k/n (n may be an effective, non-integer n),
    from statsmodels; (nan, nan) for n <= 0."""
    lo, hi = wilson_many(np.array([k], dtype=float), np.array([n], dtype=float), confidence)
    return (float(lo[0]), float(hi[0]))


def wilson_many(k: np.ndarray, n: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`wilson` of many proportions at once (arrays k and n; nan where n <= 0): one
    call of statsmodels for all the cells of an indicator instead of one per cell."""
    from statsmodels.stats.proportion import proportion_confint

    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    ok = n > 0
    lo, hi = np.full(len(n), np.nan), np.full(len(n), np.nan)
    if ok.any():
        a, b = proportion_confint(k[ok], n[ok], alpha=1 - confidence, method="wilson")
        lo[ok], hi[ok] = np.maximum(0.0, a), np.minimum(1.0, b)
    return lo, hi


def proportion(k: int, n: int, confidence: float) -> dict:
    """Count, base, share and Wilson interval of k out of n."""
    lo, hi = wilson(k, n, confidence)
    return dict(count=k, n=n, estimate=k / n if n else np.nan, conf_low=lo, conf_high=hi)


def t_quantile(q: float, df):
    """The q quantile of Student's t with df degrees of freedom (scipy); df a number (a
    float back) or an array (an array back)."""
    from scipy import stats

    out = stats.t.ppf(q, df)
    return float(out) if np.ndim(out) == 0 else out


def kish_n(w: np.ndarray) -> float:
    """Kish effective sample size (sum w)^2 / sum w^2: n over the design effect of unequal
    weights (for equal weights it is n)."""
    w = np.asarray(w, dtype=float)
    s2 = (w**2).sum()
    return float(w.sum() ** 2 / s2) if s2 > 0 else 0.0


def weighted_shares(
    ys: list[np.ndarray], ws: list[np.ndarray], confidence: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(share, low, high) per cell: the weighted share of each cell's y (0/1) with the
    Wilson interval at the Kish effective n (for equal weights: the plain Wilson interval
    of k out of n). ``ys``, ``ws``: each cell's values and weights (weights summing > 0)."""
    p = np.array([float((w * y).sum() / w.sum()) for y, w in zip(ys, ws, strict=True)])
    ne = np.array([kish_n(w) for w in ws])
    lo, hi = wilson_many(p * ne, ne, confidence)
    return p, lo, hi


def weighted_means(
    xs: list[np.ndarray], ws: list[np.ndarray], confidence: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, low, high) per cell: the weighted mean of each cell's x with a t interval
    (Kish effective n - 1 degrees of freedom, the weighted variance corrected to the
    effective n); no interval for a single observation."""
    m = np.array([float((w * x).sum() / w.sum()) for x, w in zip(xs, ws, strict=True)])
    ne = np.array([kish_n(w) for w in ws])
    half = np.full(len(m), np.nan)
    ok = np.array([len(x) > 1 for x in xs], dtype=bool) & (ne > 1)
    if ok.any():
        var_w = np.array(
            [
                float((w * (x - mi) ** 2).sum() / w.sum())
                for x, w, mi, k in zip(xs, ws, m, ok, strict=True)
                if k
            ]
        ) * (ne[ok] / (ne[ok] - 1))
        half[ok] = t_quantile(0.5 + confidence / 2, ne[ok] - 1) * np.sqrt(var_w / ne[ok])
    return m, m - half, m + half


def mean_difference(diff: np.ndarray, confidence: float) -> tuple[float, float, float]:
    """(mean, low, high) of paired differences: the t interval with n - 1 degrees of
    freedom; nan for no pair, no interval for one."""
    n = len(diff)
    m = float(diff.mean()) if n else np.nan
    if n > 1:
        se = float(diff.std(ddof=1)) / np.sqrt(n)
        half = float(t_quantile(0.5 + confidence / 2, n - 1)) * se
    else:
        half = np.nan
    return m, m - half, m + half
