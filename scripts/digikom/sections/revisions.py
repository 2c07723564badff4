"""Revisions: what moved since the latest release, by how much and why, as SSB's revision
principles ask (results/public/revisions.csv, rule revisions; digikom.release).

Only published values are compared: a number hidden for confidentiality in either release
is listed without values. The table shows the largest changes of the indicator tables;
every revision is in the file."""

from __future__ import annotations

import pandas as pd

from ..disclosure import SYMBOL

# The tables whose numbers the report names one by one (the rest are counted)
SHOWN = ("shares", "composites", "crosstab")
MOST = 15


def _what(R, r) -> str:
    """A revised number in words: the indicator (and category), the group, the wave."""
    rules = R.rules
    name = None
    if r.table == "shares":
        try:
            name = R.ind_label(r.indicator)
        except KeyError:
            name = None
    elif r.table == "composites":
        comp = next((c for c in rules["composites"] if c["id"] == r.indicator), None)
        if comp is not None:
            name = R.label(comp)
            group = comp.get("groups", {}).get(r.category)
            if group is not None:
                name += f": {R.label(group)}"
    elif r.table == "crosstab":
        status = rules.get("crosstab", {}).get("statuses", {}).get(r.category)
        if status is not None:
            name = R.label(status)
    if name is None:
        name = R.tx("revisions.other_number")
    group = R.group_label.get(r.group, R.esc(str(r.group)))
    weighted = f" ({R.tx('revisions.weighted')})" if str(r.weighted).lower() == "true" else ""
    return f"{name}, {group}{weighted}, {r.wave}"


def _value(R, v, status) -> str:
    if status == ":":
        return SYMBOL
    return R.tx.pct(v, 1) if pd.notna(v) else "–"


def render(R) -> str:
    tx = R.tx
    summary, rev, checks = R.data.revisions()
    parts = [R.heading(1, "revisions.title", "sec-revisions")]
    if summary.get("release") is None:
        parts.append(tx("revisions.no_release"))
        return "\n\n".join(parts) + "\n" + _checks(R, checks)
    counts = rev.reason.value_counts()
    parts.append(
        tx(
            "revisions.intro",
            version=R.esc(summary["release"]),
            date=tx.date(summary["created_utc"]) if summary.get("created_utc") else "",
            n=len(rev),
        )
    )
    if len(rev):
        items = [
            f"- {tx('revisions.reason_' + k)}: {int(counts[k])}"
            for k in ("new_data", "revised_data", "method_change", "correction", "unexplained")
            if k in counts
        ]
        parts.append(tx("revisions.by_reason") + "\n\n" + "\n".join(items))
    if len(rev):
        parts.append(tx("revisions.by_table") + "\n\n" + "\n".join(_by_table(R, rev)))
    if counts.get("unexplained", 0):
        parts.append("::: {.callout-warning}\n" + tx("revisions.unexplained") + "\n:::")
    notes = sorted({n for n in rev.get("note", pd.Series(dtype=str)).dropna() if str(n).strip()})
    if notes:
        parts.append(
            tx("revisions.corrections") + "\n\n" + "\n".join(f"- {R.esc(n)}" for n in notes)
        )
    shown = rev[rev.table.isin(SHOWN) & ~rev.kind.fillna("").eq("mean")].copy()
    if len(shown):
        shown["size"] = shown.change.abs().fillna(-1.0)
        # the largest changes first; cells without values (hidden, new) after them
        shown = shown.sort_values(["size", "wave"], ascending=[False, True]).head(MOST)
        rows = [
            [
                _what(R, r),
                _value(R, r.previous, r.previous_status),
                _value(R, r.current, r.current_status),
                tx.pp(r.change) if pd.notna(r.change) else "",
                tx("revisions.reason_" + r.reason),
            ]
            for r in shown.itertuples()
        ]
        header = [
            tx(f"revisions.col_{c}") for c in ("what", "previous", "current", "change", "reason")
        ]
        parts.append(
            R.table(
                header,
                rows,
                tx("revisions.caption", n=len(rows), total=len(rev)),
                "tbl-revisions",
                align=["l", "r", "r", "r", "l"],
            )
        )
    return "\n\n".join(parts) + "\n" + _checks(R, checks)


TABLES = ("shares", "composites", "crosstab", "changes", "counties", "predictions", "coefficients")


def _by_table(R, rev: pd.DataFrame) -> list[str]:
    """One item per public table with revisions: how many, and for the models' tables
    which models (by their titles)."""
    titles = {m["id"]: R.label(m) for m in R.models}
    items = []
    for t in TABLES:
        sub = rev[rev.table.eq(t)]
        if not len(sub):
            continue
        item = f"- {R.tx('revisions.table_' + t)}: {len(sub)}"
        if "model" in sub.columns and sub.model.fillna("").ne("").any():
            names = [titles.get(m, R.esc(m)) for m in dict.fromkeys(sub.model.dropna())]
            item += f" ({', '.join(names)})"
        items.append(item)
    return items


def _checks(R, checks: pd.DataFrame | None) -> str:
    """One sentence on the release rules (results/release/checks.csv)."""
    if checks is None or checks.empty:
        return ""
    warn = int(checks.result.eq("warn").sum())
    text = R.tx("revisions.checks", n=len(checks), ok=int(checks.result.eq("pass").sum()))
    if warn:
        text += " " + R.tx("revisions.checks_warn", warn=warn)
    return "\n" + text + "\n"
