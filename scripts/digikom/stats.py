"""Small statistical helpers shared by every stage: one critical value per confidence."""

from __future__ import annotations

from functools import cache

from scipy.stats import norm


@cache
def z_value(confidence: float) -> float:
    """Two-sided standard-normal critical value of a ``confidence`` interval (0.95 -> 1.96)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return float(norm.ppf(0.5 + confidence / 2))
