"""Published figures (data/published/targets.csv): parse the value as published
("42", "1/3", ">1/2", "4" out of 10) into a point value and the interval it implies."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from .errors import ConfigError, InputDataError

_FRACTION = re.compile(r"^\s*([<>]?)\s*(\d+)\s*/\s*(\d+)\s*$")

DEFAULT_TOLERANCES = {
    "percent": 1.0,
    "percent_approx": 5.0,
    "words_fraction": 5.0,
    "count_share": 5.0,
}


@dataclass(frozen=True)
class Published:
    """A published share on the 0-1 scale. ``point`` is None for pure bounds."""

    point: float | None
    low: float
    high: float
    kind: str  # "number" (checked with a tolerance) or "words" (checked against the interval)
    tolerance_pp: float

    def contains(self, x: float) -> bool:
        if self.kind == "number":
            return abs(x - self.point) * 100 <= self.tolerance_pp + 1e-9
        return self.low - 1e-12 <= x <= self.high + 1e-12


def read_targets(path) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError) as exc:
        raise InputDataError(f"{path}: cannot read published targets: {exc}") from exc
    needed = {"id", "wave_year", "value", "unit", "indicator_no", "group", "source_url"}
    missing = needed - set(df.columns)
    if missing:
        raise InputDataError(f"{path}: missing column(s) {sorted(missing)}")
    return df.set_index("id", drop=False)


def parse_published(value: str, unit: str, tolerances: dict | None = None) -> Published | None:
    """Interpret a published value. Returns None when it is not a share (counts)."""
    tol = {**DEFAULT_TOLERANCES, **(tolerances or {})}
    value = str(value).strip()
    if unit in ("percent", "percent_of_subgroup", "percent_approx"):
        t = tol["percent_approx"] if unit == "percent_approx" else tol["percent"]
        p = float(value) / 100
        return Published(p, p - t / 100, p + t / 100, "number", t)
    if unit == "out_of_10":
        p = float(value) / 10
        return Published(p, p - 0.05, p + 0.05, "words", 5.0)
    m = _FRACTION.match(value)
    if unit.startswith("fraction") and m:
        sign, a, b = m.group(1), int(m.group(2)), int(m.group(3))
        p = a / b
        if sign == ">" or unit == "fraction_lower_bound":
            return Published(None, p, 1.0, "words", 0.0)
        if sign == "<" or unit == "fraction_upper_bound":
            return Published(None, 0.0, p, "words", 0.0)
        t = tol["words_fraction"]
        return Published(p, max(0.0, p - t / 100), min(1.0, p + t / 100), "words", t)
    count_of = re.fullmatch(r"count_of_(\d+)", unit)
    if count_of:
        # k of N units (e.g. 13 of Trøndelag's 38): a share, checked with count_share pp
        t = tol["count_share"]
        p = float(value) / int(count_of.group(1))
        return Published(p, max(0.0, p - t / 100), min(1.0, p + t / 100), "number", t)
    if unit.startswith("count"):
        return None
    raise ConfigError(f"targets.csv: unknown unit '{unit}' for value '{value}'")


def resolve_share(spec: dict, targets: pd.DataFrame, where: str) -> float:
    """A calibration share from a spec {target|value|ratio_of, complement}. A `value`
    given together with a `target` must lie in the interval the target implies."""
    if "ratio_of" in spec:
        a, b = (_point(targets, t, where) for t in spec["ratio_of"])
        share = a / (a + b)
    elif "target" in spec:
        tid = spec["target"]
        if tid not in targets.index:
            raise ConfigError(f"{where}: target '{tid}' is not in targets.csv")
        row = targets.loc[tid]
        pub = parse_published(row["value"], row["unit"])
        if pub is None:
            raise ConfigError(f"{where}: target '{tid}' is a count, not a share")
        if "value" in spec:
            share = float(spec["value"])
            if not (pub.low <= share <= pub.high):
                raise ConfigError(
                    f"{where}: value {share} lies outside the interval "
                    f"[{pub.low:.3f}, {pub.high:.3f}] implied by target '{tid}' ({row['value']})"
                )
        elif pub.point is None:
            raise ConfigError(f"{where}: target '{tid}' is a bound ({row['value']}); give a value")
        else:
            share = pub.point
    else:
        share = float(spec["value"])
    return 1.0 - share if spec.get("complement") else share


def _point(targets: pd.DataFrame, tid: str, where: str) -> float:
    if tid not in targets.index:
        raise ConfigError(f"{where}: target '{tid}' is not in targets.csv")
    pub = parse_published(targets.loc[tid, "value"], targets.loc[tid, "unit"])
    if pub is None or pub.point is None:
        raise ConfigError(f"{where}: target '{tid}' has no point value")
    return pub.point
