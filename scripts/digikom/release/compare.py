"""The comparison of a build's public tables with a release: every published number that
changed beyond its published precision, appeared or disappeared, and why.

Only public values are compared. A cell hidden (status ``:``) in either the release or the
build is listed without values when its status changed, and not at all when it is hidden
in both: a revision must never show what disclosure control hid.

The reason is inferred from the fingerprints (:mod:`.fingerprint`) of the release and the
build, in this order:

``new_data``      the number rests on a wave the release did not have (its wave, both
                  waves of a change, a composite's reference wave, every wave for a model);
``correction``    the user declared a correction that matches it (config
                  ``release.corrections``);
``revised_data``  a wave it rests on has other panel rows than in the release;
``method_change`` the configuration it depends on, the code or the published precision
                  changed (or a wave it rests on is no longer configured);
``unexplained``   none of these: a number moved without a recorded cause.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import MODEL_TABLES
from .fingerprint import method_keys

KEYS = [
    "table",
    "model",
    "indicator",
    "quantity",
    "effect",
    "term",
    "category",
    "wave_from",
    "wave",
    "group",
    "weighted",
]
COLUMNS = [
    *KEYS,
    "kind",
    "previous",
    "current",
    "change",
    "previous_status",
    "current_status",
    "revision",
    "reason",
    "note",
]
REASONS = ("new_data", "correction", "revised_data", "method_change", "unexplained")
HIDDEN, MISSING = ":", ".."


def read_table(path) -> pd.DataFrame:
    """A public table as published (text keys, float values, status '' when shown)."""
    dtype = {c: str for c in ("group", "status", "category", "term", "effect", "model")}
    df = pd.read_csv(path, dtype=dtype, keep_default_na=False, na_values=[""])
    df["status"] = df["status"].fillna("")
    return df


def _keyed(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every key column as text ('' where the table has none)."""
    out = pd.DataFrame(index=df.index)
    for k in KEYS:
        if k not in df.columns:
            out[k] = ""
        elif k in ("wave", "wave_from"):
            out[k] = df[k].map(lambda v: "" if pd.isna(v) else str(int(v)))
        elif k == "weighted":
            out[k] = df[k].astype(str).str.lower().map({"true": "true", "false": "false"})
            out[k] = out[k].fillna("")
        else:
            out[k] = df[k].fillna("").astype(str)
    out["kind"] = df["kind"].fillna("").astype(str) if "kind" in df.columns else ""
    out["value"] = pd.to_numeric(df["value"], errors="coerce")
    out["status"] = df["status"].fillna("").astype(str)
    out.loc[out.status.eq("") & out.value.isna(), "status"] = MISSING
    return out


def _stack(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    frames = [_keyed(df) for df in tables.values() if len(df)]
    if not frames:
        return pd.DataFrame(columns=[*KEYS, "kind", "value", "status"])
    out = pd.concat(frames, ignore_index=True)
    dup = out.duplicated(KEYS, keep=False)
    if dup.any():
        r = out[dup].iloc[0]
        raise ValueError(f"public table {r.table}: two rows for the cell {dict(r[KEYS])}")
    return out


def compare(previous: dict, current: dict, decimals: int) -> pd.DataFrame:
    """Every cell whose published value or status differs between ``previous`` and
    ``current`` ({table name: public table}); values beyond half a unit of the published
    precision (``decimals``) count. Columns: KEYS, kind, previous, current, change,
    previous_status, current_status, revision (changed, appeared, disappeared, hidden,
    shown)."""
    tol = 0.5 * 10.0**-decimals + 1e-12
    both = _stack(previous).merge(
        _stack(current), on=KEYS, how="outer", suffixes=("_p", "_c"), indicator=True
    )
    both["kind"] = both.kind_c.fillna(both.kind_p).fillna("")
    sp = both.status_p.where(both._merge != "right_only", None).fillna("absent")
    sc = both.status_c.where(both._merge != "left_only", None).fillna("absent")
    shown_p, shown_c = sp.eq(""), sc.eq("")
    diff = both.value_c - both.value_p
    changed = shown_p & shown_c & (diff.abs() > tol)
    hidden = sp.eq(HIDDEN) | sc.eq(HIDDEN)
    unpublished = [MISSING, "absent"]
    keep = changed | ((sp != sc) & ~(sp.isin(unpublished) & sc.isin(unpublished)))
    out = both[keep].copy()
    out["previous"] = out.value_p.where(~hidden[keep] & shown_p[keep])
    out["current"] = out.value_c.where(~hidden[keep] & shown_c[keep])
    out["change"] = (out.current - out.previous).round(decimals)
    out["previous_status"], out["current_status"] = sp[keep], sc[keep]
    out["revision"] = np.select(
        [changed[keep], sc[keep].eq(HIDDEN), sp[keep].eq(HIDDEN) & shown_c[keep], shown_c[keep]],
        ["changed", "hidden", "shown", "appeared"],
        default="disappeared",
    )
    return out[[*KEYS, "kind", "previous", "current", "change", "previous_status",
                "current_status", "revision"]].reset_index(drop=True)  # fmt: skip


def _waves_of(row, all_waves: set[str], reference_wave=None) -> set[str]:
    """The waves a number rests on: its wave (and the earlier wave of a change); for a
    composite also the reference wave whose medians split its axes; every wave for a
    model's numbers, which are fitted on all of them."""
    if row.table in MODEL_TABLES:
        return set(all_waves)
    waves = {w for w in (row.wave, row.wave_from) if w}
    composite = row.table == "composites" or getattr(row, "kind", "") == "composite"
    if composite and reference_wave is not None:
        waves.add(str(int(reference_wave)))
    return waves


def _matches(correction: dict, row) -> bool:
    for field in ("table", "model", "indicator", "group", "category"):
        if correction.get(field) is not None and str(correction[field]) != getattr(row, field):
            return False
    wave = correction.get("wave")
    return wave is None or str(int(wave)) in (row.wave, row.wave_from)


def reason(row, previous_fp: dict, current_fp: dict, corrections: list[dict]) -> tuple[str, str]:
    """(reason, note) of one revision (module docstring: the order of the reasons)."""
    pw, cw = previous_fp.get("waves", {}), current_fp.get("waves", {})
    waves = _waves_of(row, set(pw) | set(cw), current_fp.get("reference_wave"))
    if waves - set(pw):
        return "new_data", ""
    for c in corrections:
        if _matches(c, row):
            return "correction", str(c.get("note", ""))
    if any(w in cw and pw[w] != cw[w] for w in waves):
        return "revised_data", ""
    pm, cm = previous_fp.get("method", {}), current_fp.get("method", {})
    if (
        waves - set(cw)
        or any(pm.get(k) != cm.get(k) for k in method_keys(row.table, row.model))
        or previous_fp.get("code", {}).get("sha256") != current_fp.get("code", {}).get("sha256")
        or previous_fp.get("decimals") != current_fp.get("decimals")
    ):
        return "method_change", ""
    return "unexplained", ""


def revisions(
    previous: dict,
    current: dict,
    previous_fp: dict,
    current_fp: dict,
    corrections: list[dict] | None = None,
) -> pd.DataFrame:
    """results/public/revisions.csv: :func:`compare` with each row's reason and note."""
    out = compare(previous, current, int(current_fp["decimals"]))
    why = [reason(r, previous_fp, current_fp, corrections or []) for r in out.itertuples()]
    out["reason"] = [w[0] for w in why]
    out["note"] = [w[1] for w in why]
    return out[COLUMNS]


def read_revisions(path) -> pd.DataFrame:
    """results/public/revisions.csv as written (keys as text, '' where empty)."""
    text = [*KEYS, "kind", "previous_status", "current_status", "revision", "reason", "note"]
    df = pd.read_csv(path, dtype={c: str for c in text}, keep_default_na=False, na_values=[""])
    for c in ("previous", "current", "change"):
        df[c] = pd.to_numeric(df[c], errors="coerce")
    return df


def empty() -> pd.DataFrame:
    """The revisions table of a build with no earlier release: the columns, no rows."""
    return pd.DataFrame(columns=COLUMNS)
