"""Small statistical helpers shared by every stage: one critical value per confidence."""

from __future__ import annotations

from functools import cache
from statistics import NormalDist


@cache
def z_value(confidence: float) -> float:
    """Two-sided standard-normal critical value of a ``confidence`` interval (0.95 -> 1.96).

    From the standard library (Wichura's AS 241, agreeing with scipy.stats.norm.ppf to
    within 1e-15): the report imports this, and scipy.stats alone costs it about 0.7 s."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)
