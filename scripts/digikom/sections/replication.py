"""Replication: the published figures next to what the pipeline computes, separated into
validation (figures the synthetic generator does not use: a real check) and calibration
(figures it is built to hit: they match by construction).

Each distinct survey statistic is one row, checked in its most precise published form (the
other forms are named in its note); the frame count is a check of the municipality frame,
shown apart; figures of years without a wave follow the year rule of
config/indicators.yaml (replication.year_gap). A failed check names the sections and
figures of this report that show the statistic. With the simulation's
results/simulation/validation.csv, each check shows how many of the S simulated panels
pass it."""

from __future__ import annotations

import pandas as pd

from ..replication import PREDICTIVE_LEVEL, check_counts, seed_pass, year_gap_rule


def indicator_name(R, ind: str) -> str:
    """A scorecard row's statistic in words: an indicator, a composite group or axis
    ("priority/both", "priority/y_high"), a cross-tab cell ("not_tried/high"), the frame."""
    tx = R.tx
    cfg = R.rules
    if ind in ("frame_count", "response_rate"):
        return tx(f"replication.{ind}")
    if "/" in ind:
        a, b = ind.split("/", 1)
        comp = next((c for c in cfg["composites"] if c["id"] == a), None)
        if comp is not None:
            if b in comp["groups"]:
                return f"{tx.label(comp)}: {tx.label(comp['groups'][b])}"
            axis = b.split("_", 1)[0]
            if axis in ("x", "y"):
                return tx("replication.axis_high", axis=tx.label(comp[axis]))
        xtab = cfg.get("crosstab", {})
        statuses = xtab.get("statuses", {})
        if a in statuses:
            levels = R.codebook["variables"][xtab["variable"]].get("levels", {})
            if b in levels:
                return f"{tx.label(statuses[a])}: {tx.label(levels[b])}"
    try:
        return tx.label(R.ind_spec(ind))
    except KeyError:
        return str(ind)


# Parts of the scorecard's caveat (results/replication/scorecard.csv, in English) and the
# reader's note each stands for in the report language.
NOTES = {
    "nearest wave": "replication.note_proxy",
    "is calibrated to": "replication.note_change_only",
    "county": "replication.note_county",
    "composite": "replication.note_composite",
    "checks the municipality frame": "replication.note_frame",
}


def notes(R, r) -> str:
    caveat = r.caveat if isinstance(r.caveat, str) else ""
    out = [R.tx(key) for part, key in NOTES.items() if part in caveat]
    if r.group != "all municipalities" and not any(k in caveat for k in ("county", "composite")):
        out.append(R.tx("replication.note_population"))
    return "; ".join(out)


def touches(R, ind: str) -> list[str]:
    """Cross-references to the sections and figures of this report (those written before
    this section) that show the statistic ``ind`` of a scorecard row."""
    cfg = R.rules
    head = ind.split("/", 1)[0]
    theme, labels = None, []
    comp = next((c for c in cfg["composites"] if c["id"] == head), None)
    if comp is not None:
        theme = comp.get("theme")
        labels = [x for x in R.emitted if x.endswith(f"-composite-{head}")]
    elif head in cfg.get("crosstab", {}).get("statuses", {}):
        theme, labels = "competence", ["fig-crosstab"]
    else:
        try:
            spec = R.ind_spec(ind)
        except KeyError:
            return []
        theme = spec.get("theme")
        dashed = ind.replace("_", "-")
        labels = [x for x in R.emitted if x.startswith("fig-") and x.endswith(f"-{dashed}")]
        if ind in (cfg.get("figures", {}).get("trends", {}) or {}).get(theme, []):
            labels.append(f"fig-trend-{theme}")
        if any(f.get("indicator") == ind for f in cfg.get("findings", [])):
            labels.insert(0, "sec-findings")
    if theme:
        labels.insert(0, f"sec-{theme}")
    # in the order the report shows them
    seen = sorted({x for x in labels if x in R.emitted}, key=R.emitted.get)
    return [f"@{x}" for x in seen]


def statistic_name(R, r) -> str:
    """The statistic in words, with the population band it was published for."""
    name = R.esc(indicator_name(R, r.indicator))
    m = R.rules.get("replication", {}).get("map", {}).get(r.target_id, {})
    if "county" in m:
        return f"{name} ({R.esc(str(r.group))})"
    if "population" not in m:
        return name
    lo, hi = m["population"]
    if hi is None:
        band = R.tx("replication.band_from", lo=R.tx.num(lo))
    elif not lo:
        band = R.tx("replication.band_under", hi=R.tx.num(hi))
    else:
        band = R.tx("replication.band_between", lo=R.tx.num(lo), hi=R.tx.num(hi - 1))
    return f"{name} ({band})"


def other_forms(R, sc: pd.DataFrame, r) -> str:
    """The other published forms of the same statistic ("also published as «sju av ti»")."""
    rest = sc[(sc.statistic == r.statistic) & (sc.target_id != r.target_id)]
    if rest.empty:
        return ""
    forms = ", ".join(
        R.published_text(str(v), t) for v, t in zip(rest.published, rest.target_id, strict=True)
    )
    return R.tx("replication.note_forms", forms=forms)


def reproduced_text(R, r) -> str:
    """The panel's value at the published precision (whole percent for figures in words)."""
    if r.indicator == "frame_count":
        return R.tx.num(r.reproduced)
    digits = 0 if pd.isna(r.decimals) else int(r.decimals)
    return R.tx.pct(r.reproduced, digits)


def seeds_text(R, hit) -> str:
    if hit is None:
        return R.tx("replication.seeds_missing")
    low, high, pct = hit
    return R.tx(
        "replication.seeds_cell",
        low=R.tx.pct(low),
        high=R.tx.pct(high),
        pct=R.tx.num(round(100 * pct)),
    )


def rows_of(R, sc: pd.DataFrame, role: str, seeds: pd.DataFrame | None) -> list[list[str]]:
    """One row per distinct statistic of this role (its primary, most precise form)."""
    tx = R.tx
    d = sc[(sc.role == role) & sc.primary.astype(str).str.lower().eq("true")]
    d = d[d.reproduced.notna()]
    hits = seed_pass(sc, seeds)
    rows = []
    for i, r in zip(d.index, d.itertuples(), strict=True):
        ok = str(r.within_tolerance).lower() == "true"
        year = str(int(r.year))
        if pd.notna(getattr(r, "computed_year", None)) and int(r.computed_year) != int(r.year):
            year = tx("replication.year_proxy", year=year, used=int(r.computed_year))
        row = [
            year,
            statistic_name(R, r),
            R.published_text(str(r.published), r.target_id),
            reproduced_text(R, r),
            tx("common.within" if ok else "common.outside"),
        ]
        if role == "validation":
            if seeds is not None:
                row.append(seeds_text(R, hits[i]))
            note = [n for n in (notes(R, r), other_forms(R, sc[sc.role == role], r)) if n]
            if not ok:
                where = touches(R, r.indicator)
                if where:
                    note.append(tx("replication.note_touches", where=", ".join(where)))
            row.append("; ".join(note))
        rows.append(row)
    return rows


def not_compared(R, sc: pd.DataFrame) -> str:
    """The sentence naming the figures of years without a wave that the year rule leaves
    out (one per distinct statistic)."""
    d = sc[sc.reason.astype(object).fillna("").str.startswith("not compared")]
    d = d[d.primary.astype(str).str.lower().eq("true")]
    if d.empty:
        return ""
    items = [
        f"{statistic_name(R, r)} {int(r.year)} ({R.published_text(str(r.published), r.target_id)})"
        for r in d.itertuples()
    ]
    return R.tx("replication.not_compared", n=len(items), items="; ".join(items))


def frame_checks(R, sc: pd.DataFrame) -> str:
    """Counts of municipalities checked against the frame: not survey statistics."""
    d = sc[(sc.reference == "frame") & sc.reproduced.notna()]
    parts = []
    for r in d.itertuples():
        parts.append(
            R.tx(
                "replication.frame_item",
                group=R.esc(str(r.group)),
                year=int(r.year),
                published=R.tx.num(float(r.published)),
                frame=R.tx.num(r.reproduced),
            )
        )
    return R.tx("replication.frame_text", items="; ".join(parts)) if parts else ""


def year_rule_text(R) -> str:
    max_years, pp = year_gap_rule(R.rules.get("replication", {}))
    if max_years == 0:
        return R.tx("replication.year_rule_same")
    return R.tx("replication.year_rule_gap", years=max_years, pp=R.tx.num(pp, 1))


def render(R) -> str:
    tx = R.tx
    sc = R.scorecard[R.scorecard.reference.isin(["published", "frame"])]
    ok_v, n_v = check_counts(R.scorecard, "validation")
    ok_c, n_c = check_counts(R.scorecard, "calibration")
    pub = sc[sc.reference == "published"]
    n_other = int(
        pub[pub.primary.astype(str).str.lower().eq("true")]
        .reason.astype(object)
        .fillna("")
        .str.startswith("not computable")
        .sum()
    )
    seeds = R.data.seed_validation()
    head = [
        tx("common.year"),
        tx("common.indicator"),
        tx("replication.published"),
        tx("replication.reproduced"),
        "",
    ]
    v_head, v_align = head + [], ["r", "l", "r", "r", "c"]
    if seeds is not None:
        central = tx.pct(PREDICTIVE_LEVEL)
        v_head.append(tx("replication.seeds", n=tx.num(int(seeds.n_seeds.max())), central=central))
        v_align.append("r")
    parts = [
        R.heading(1, "replication.title", "sec-replication"),
        tx("replication.intro", other=n_other) + " " + year_rule_text(R),
        R.heading(2, "replication.validation", "sec-validation"),
        tx("replication.validation_text", comp=n_v, ok=ok_v, bad=n_v - ok_v),
    ]
    if R.synthetic:
        parts.append(
            tx("replication.seeds_text", central=tx.pct(PREDICTIVE_LEVEL))
            if seeds is not None
            else tx("replication.seeds_text_missing")
        )
    parts.append(
        R.table(
            v_head + [tx("replication.caveat")],
            rows_of(R, sc, "validation", seeds),
            tx("replication.validation_caption"),
            "tbl-validation",
            v_align + ["l"],
        )
    )
    parts += [p for p in (frame_checks(R, sc), not_compared(R, sc)) if p]
    parts.append(R.fig("fig_validation", tx("replication.fig_validation")))
    if n_c:
        parts += [
            R.heading(2, "replication.calibration", "sec-calibration-check"),
            tx(
                "replication.calibration_text"
                if R.synthetic
                else "replication.calibration_text_real",
                comp=n_c,
                ok=ok_c,
            ),
            R.table(
                head,
                rows_of(R, sc, "calibration", None),
                tx("replication.calibration_caption"),
                "tbl-scorecard",
                ["r", "l", "r", "r", "c"],
            ),
            R.fig("fig_calibration", tx("replication.fig_calibration")),
        ]
    parts.append(R.source_line())
    return "\n\n".join(parts) + "\n"
