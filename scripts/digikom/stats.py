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
    from statsmodels.stats.proportion import proportion_confint

    if n <= 0:
        return (np.nan, np.nan)
    lo, hi = proportion_confint(k, n, alpha=1 - confidence, method="wilson")
    return (max(0.0, float(lo)), min(1.0, float(hi)))


def proportion(k: int, n: int, confidence: float) -> dict:
    """Count, base, share and Wilson interval of k out of n."""
    lo, hi = wilson(k, n, confidence)
    return dict(count=k, n=n, estimate=k / n if n else np.nan, conf_low=lo, conf_high=hi)


def t_quantile(q: float, df: float) -> float:
    """The q quantile of Student's t with df degrees of freedom (scipy)."""
    from scipy import stats

    return float(stats.t.ppf(q, df))


def kish_n(w: np.ndarray) -> float:
    """Kish effective sample size (sum w)^2 / sum w^2: n over the design effect of unequal
    weights (for equal weights it is n)."""
    w = np.asarray(w, dtype=float)
    s2 = (w**2).sum()
    return float(w.sum() ** 2 / s2) if s2 > 0 else 0.0


def weighted_share(y: np.ndarray, w: np.ndarray, confidence: float) -> tuple[float, float, float]:
    """(share, low, high): the weighted share of y (0/1) with the Wilson interval at the
    Kish effective n (for equal weights: the plain Wilson interval of k out of n)."""
    p = float((w * y).sum() / w.sum())
    ne = kish_n(w)
    lo, hi = wilson(p * ne, ne, confidence)
    return p, lo, hi


def weighted_mean(x: np.ndarray, w: np.ndarray, confidence: float) -> tuple[float, float, float]:
    """(mean, low, high): the weighted mean of x with a t interval (Kish effective n - 1
    degrees of freedom, the weighted variance corrected to the effective n); no interval
    for a single observation."""
    n = len(x)
    m = float((w * x).sum() / w.sum())
    ne = kish_n(w)
    if n > 1 and ne > 1:
        var_w = float((w * (x - m) ** 2).sum() / w.sum()) * ne / (ne - 1)
        half = t_quantile(0.5 + confidence / 2, ne - 1) * np.sqrt(var_w / ne)
    else:
        half = np.nan
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
