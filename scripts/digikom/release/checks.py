"""The release rules of config ``release.checks``, in the spirit of Statistics
Netherlands' ``validate``: each rule is evaluated on the public tables (and the
revisions), its result listed, and a rule with ``action: fail`` that is broken stops the
build.

Rules (``rule``):

``range``               every shown value and interval bound in [``min``, ``max``];
``parts_sum``           the parts of a whole add up to ``total`` (the categories of a
                        composite; with ``parts: indicator_suffix`` the indicators
                        ``<id>_1``, ``<id>_2``, ... of a distribution), within the rounding
                        of the parts;
``total_within_parts``  the value for all municipalities lies between the smallest and the
                        largest size group's (a total is a weighted mean of its parts);
``change_limit``        no number moved more than ``max_change`` since the last release.

``where`` keeps the rows whose column has one of the values listed, ``skip`` drops them
(a table without the column keeps its rows). Only shown cells are checked; a family with
a hidden or missing part is not.
"""

from __future__ import annotations

import pandas as pd

from ..errors import DigikomError

ALL = "all"
COLUMNS = ["check", "rule", "action", "tables", "checked", "violations", "result", "examples"]


class ReleaseCheckError(DigikomError):
    """A release rule with ``action: fail`` is broken."""


def _select(tables: dict, rule: dict) -> pd.DataFrame:
    frames = []
    for name in rule["tables"]:
        df = tables.get(name)
        if df is None or not len(df):
            continue
        df = df[df["status"].fillna("").eq("") & df["value"].notna()]
        for col, values in (rule.get("where") or {}).items():
            if col in df.columns:
                df = df[df[col].astype(str).isin([str(v) for v in values])]
        for col, values in (rule.get("skip") or {}).items():
            if col in df.columns:
                df = df[~df[col].astype(str).isin([str(v) for v in values])]
        frames.append(df.assign(table=name))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _cell(r) -> str:
    parts = [str(r.get(k)) for k in ("table", "indicator", "category", "wave", "group")]
    parts = [p for p in parts if p not in ("", "nan", "None")]
    w = r.get("weighted")
    return "/".join(parts) + (" (weighted)" if str(w).lower() == "true" else "")


def _range(df: pd.DataFrame, rule: dict, half: float) -> tuple[int, list[str]]:
    lo, hi = float(rule.get("min", 0.0)), float(rule.get("max", 1.0))
    bad = []
    for r in df.to_dict("records"):
        for col in ("value", "conf_low", "conf_high"):
            v = r.get(col)
            if v is not None and pd.notna(v) and not (lo - half <= float(v) <= hi + half):
                bad.append(f"{_cell(r)}: {col} {v} outside [{lo:g}, {hi:g}]")
                break
    return len(df), bad


def _families(df: pd.DataFrame, rule: dict) -> pd.core.groupby.DataFrameGroupBy:
    if rule.get("parts", "category") == "indicator_suffix":
        df = df.assign(whole=df["indicator"].astype(str).str.replace(r"_\d+$", "", regex=True))
        df = df[df.whole != df.indicator]
    else:
        df = df.assign(whole=df["indicator"])
    keys = ["table", "whole", "wave", "group", *(["weighted"] if "weighted" in df else [])]
    return df.groupby(keys, dropna=False)


def _parts_sum(df: pd.DataFrame, rule: dict, half: float) -> tuple[int, list[str]]:
    if df.empty:
        return 0, []
    total, bad, n = float(rule.get("total", 1.0)), [], 0
    for key, fam in _families(df, rule):
        n += 1
        s = float(fam["value"].sum())
        if abs(s - total) > half * len(fam) + 1e-9:
            bad.append(f"{'/'.join(map(str, key))}: parts add up to {s:g}, not {total:g}")
    return n, bad


def _total_within_parts(df: pd.DataFrame, rule: dict, half: float) -> tuple[int, list[str]]:
    if df.empty:
        return 0, []
    keys = [k for k in ("table", "indicator", "category", "wave", "weighted") if k in df.columns]
    bad, n = [], 0
    for key, fam in df.fillna({k: "" for k in keys}).groupby(keys):
        total, parts = fam[fam.group.eq(ALL)], fam[~fam.group.eq(ALL)]
        if len(total) != 1 or parts.empty:
            continue
        n += 1
        v = float(total["value"].iloc[0])
        lo, hi = float(parts["value"].min()), float(parts["value"].max())
        if not (lo - half - 1e-9 <= v <= hi + half + 1e-9):
            bad.append(
                f"{'/'.join(map(str, key))}: all municipalities {v:g} outside [{lo:g}, {hi:g}]"
            )
    return n, bad


def _change_limit(revisions: pd.DataFrame, rule: dict) -> tuple[int, list[str]]:
    if revisions is None or revisions.empty:
        return 0, []
    df = revisions[revisions.table.isin(rule["tables"]) & revisions.change.notna()]
    for col, values in (rule.get("skip") or {}).items():
        if col in df.columns:
            df = df[~df[col].astype(str).isin([str(v) for v in values])]
    limit = float(rule["max_change"])
    over = df[df.change.abs() > limit + 1e-9]
    bad = [
        f"{_cell(r)}: {r['previous']:g} -> {r['current']:g} ({r['reason']})"
        for r in over.to_dict("records")
    ]
    return len(df), bad


def evaluate(
    tables: dict, revisions: pd.DataFrame | None, rules: list[dict], decimals: int
) -> pd.DataFrame:
    """One row per rule: what it checked, how many cells or families broke it, and its
    result (pass, warn, fail), with up to three examples."""
    half = 0.5 * 10.0**-decimals
    rows = []
    for rule in rules:
        kind = rule["rule"]
        if kind == "change_limit":
            n, bad = _change_limit(revisions, rule)
        else:
            df = _select(tables, rule)
            n, bad = {"range": _range, "parts_sum": _parts_sum}.get(kind, _total_within_parts)(
                df, rule, half
            )
        action = rule.get("action", "warn")
        rows.append(
            {
                "check": rule["id"],
                "rule": kind,
                "action": action,
                "tables": " ".join(rule["tables"]),
                "checked": n,
                "violations": len(bad),
                "result": ("fail" if action == "fail" else "warn") if bad else "pass",
                "examples": "; ".join(bad[:3]),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def raise_on_failure(results: pd.DataFrame) -> None:
    """A :class:`ReleaseCheckError` naming every failed rule and its first examples."""
    failed = results[results.result.eq("fail")]
    if len(failed):
        lines = [
            f"release check '{r.check}' ({r.rule}) failed for {r.violations} of {r.checked}: "
            f"{r.examples}"
            for r in failed.itertuples()
        ]
        raise ReleaseCheckError("config/config.yaml release.checks: " + " | ".join(lines))
