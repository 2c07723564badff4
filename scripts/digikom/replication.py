"""The replication scorecard: every published figure next to the pipeline's estimate.

``reference`` is "published" (a published share), "statbank" (an official StatBank value)
or "frame" (a published count of municipalities checked against the reference frame).

Each row has a ``role``: ``calibration`` when the synthetic generator uses the figure
(config/synthetic.yaml names it, directly or through a same-statistic alias marked
``same_as`` in the replication map of config/indicators.yaml), else ``validation`` (an
out-of-sample check: a failing one is a finding, never a parameter to tune). With real
microdata nothing is calibrated, so every row is a validation.

Validation figures that SSB published for a group the size-group table does not have (a
population band, a county) or for a wave that is not configured are computed from the panel
as the replication map says (``population``, ``county``, ``wave``), with the caveat stated in
the row."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from .errors import ConfigError
from .geography import county_of
from .indicators import ALL, composite_groups, query_rows
from .published import parse_published
from .schemas import schema_default

CALIBRATION = "calibration"
VALIDATION = "validation"

COLUMNS = [
    "target_id",
    "role",
    "same_as",
    "year",
    "computed_year",
    "indicator",
    "group",
    "published",
    "published_low",
    "published_high",
    "reproduced",
    "diff_pp",
    "tolerance_pp",
    "within_tolerance",
    "reference",
    "reason",
    "caveat",
    "source_url",
    "statistic",
    "primary",
    "decimals",
]

# Preference among the published forms of one statistic: the most precise one is checked
# (a percentage with decimals before a rounded percentage before words or bounds).
_PRECISION_RANK = {"number": 0, "words": 1}
SCHEMA = "indicators.schema.yaml"  # the defaults of the replication block


def _filtered(df: pd.DataFrame, m: dict) -> pd.DataFrame:
    """Rows of ``df`` (panel rows of one wave) inside the map entry's population band and
    county."""
    if "population" in m:
        lo, hi = m["population"]
        df = df[df["population"] >= (lo or 0)]
        if hi is not None:
            df = df[df["population"] < hi]
    if "county" in m:
        df = df[county_of(df["kommunenr"]) == str(m["county"])]
    return df


def panel_value(panel: pd.DataFrame, m: dict, year: int, rules: dict, where: str) -> tuple:
    """(estimate, n) of one replication-map entry computed from the panel in wave ``year``:
    an indicator share, a composite category share or a composite-axis share, restricted by
    population band, county and ``among``."""
    if "frame_count" in m:
        wave = _filtered(panel[panel["year"] == year], m)
        return float(len(wave)), len(wave)
    if "indicator" in m:
        spec = next((s for s in rules["shares"] if s["id"] == m["indicator"]), None)
        if spec is None:
            raise ConfigError(
                f"config/indicators.yaml replication.map.{where}: '{m['indicator']}' is not a "
                "share indicator; population/county/among need one of `shares`"
            )
        resp = panel[panel["responded"] & (panel["year"] == year)]
        resp = query_rows(resp, spec.get("among"), f"indicator {spec['id']}")
        resp = query_rows(_filtered(resp, m), m.get("among"), f"replication.map.{where}")
        resp = resp[resp[spec["variable"]].notna()]
        n = len(resp)
        return (
            float(resp[spec["variable"]].isin(spec.get("values", [1])).mean()) if n else np.nan
        ), n
    key = "composite" if "composite" in m else "composite_axis"
    cid, part = m[key]
    cspec = next((c for c in rules["composites"] if c["id"] == cid), None)
    if cspec is None:
        raise ConfigError(f"config/indicators.yaml replication.map.{where}: no composite '{cid}'")
    g = composite_groups(panel, cspec, rules["reference_wave"])
    g = g[g["year"] == year]
    rows = panel.loc[g.index]
    keep = query_rows(_filtered(rows, m), m.get("among"), f"replication.map.{where}").index
    cat = g.loc[keep, "category"]
    hit = cat.eq(part) if key == "composite" else cat.isin(["both", f"{part}_only"])
    return (float(hit.mean()) if len(cat) else np.nan), len(cat)


def _needs_panel(m: dict) -> bool:
    return bool(
        {"population", "county", "among", "composite", "composite_axis", "frame_count"} & set(m)
    )


def _group_caveat(m: dict) -> str:
    parts = []
    if "county" in m:
        parts.append(f"county {m['county']} = first two digits of the municipality number")
    if "composite" in m or "composite_axis" in m:
        parts.append("composite as defined in config/indicators.yaml (median split of 2018)")
    return "; ".join(parts)


def statistic_of(tid: str, m: dict) -> str:
    """The distinct survey statistic a target is a published form of: the target it is an
    alias of (``same_as``), else itself."""
    return m.get("same_as") or tid


def published_decimals(value: str, unit: str) -> float:
    """Decimals of a figure published as a percentage ("72.1" -> 1, "42" -> 0); NaN for
    figures published in words, as fractions, as counts or as rounded approximations
    ("rundt 30 prosent")."""
    if unit not in ("percent", "percent_of_subgroup"):
        return np.nan
    text = str(value).strip()
    return float(len(text.split(".", 1)[1])) if "." in text else 0.0


def at_published_precision(value: float, decimals: float) -> float:
    """A share rounded as the published percentage is (``decimals`` of a percent), so that
    it is compared at the precision SSB published; unchanged when there are none."""
    if np.isnan(decimals) or np.isnan(value):
        return value
    return round(100 * value, int(decimals)) / 100


def year_gap_rule(rep: dict) -> tuple[int, float]:
    """(max_year_gap, year_gap_pp) of the replication block: a figure published for a year
    without a wave is compared with a wave at most ``max_year_gap`` years away, with the
    tolerance widened by ``year_gap_pp`` per year apart (0 years: only same-year waves)."""
    rule = {**schema_default(SCHEMA, "replication", "year_gap"), **(rep.get("year_gap") or {})}
    return int(rule["max_years"]), float(rule["pp_per_year"])


def mark_primary(card: pd.DataFrame) -> pd.DataFrame:
    """``primary`` marks one row per distinct statistic and role: the most precise published
    form (a percentage with the most decimals, then the smallest tolerance, then the
    statistic's own target before its aliases). The other forms
    of the same statistic ("sju av ti", "3/4" beside 72.1 %) are kept but not counted."""
    card = card.copy()
    card["primary"] = False
    pub = card[card["reference"] == "published"]
    if pub.empty:
        return card
    kind = pub["decimals"].isna().map({False: "number", True: "words"}).map(_PRECISION_RANK)
    order = pd.DataFrame(
        {
            "kind": kind,
            "dec": -pub["decimals"].fillna(-1),
            "tol": pub["tolerance_pp"].fillna(np.inf),
            # between equally precise forms: the statistic's own target, not an alias
            "alias": pub["statistic"] != pub["target_id"],
            "pos": range(len(pub)),
        },
        index=pub.index,
    ).sort_values(["kind", "dec", "tol", "alias", "pos"])
    first = pub.loc[order.index].groupby(["statistic", "role"], sort=False).head(1).index
    card.loc[first, "primary"] = True
    return card


def check_counts(card: pd.DataFrame, role: str) -> tuple[int, int]:
    """(within tolerance, compared) over the distinct published statistics with this role:
    one per statistic (its primary row), frame counts and StatBank rows apart."""
    d = card[(card["reference"] == "published") & (card["role"] == role)]
    d = d[d["primary"].astype(str).str.lower().eq("true") & d["reproduced"].notna()]
    ok = int(d["within_tolerance"].astype(str).str.lower().eq("true").sum())
    return ok, len(d)


def role_of(tid: str, m: dict, calibration: set[str]) -> str:
    """calibration if the generator uses the figure (or the statistic it is an alias of)."""
    return CALIBRATION if tid in calibration or m.get("same_as") in calibration else VALIDATION


def check_map(mapping: dict, targets: pd.DataFrame) -> None:
    """Every map entry names a known target, and every alias a known target."""
    for tid, m in mapping.items():
        if tid not in targets.index:
            raise ConfigError(
                f"config/indicators.yaml replication.map: '{tid}' is not in targets.csv"
            )
        if "same_as" in m and m["same_as"] not in targets.index:
            raise ConfigError(
                f"config/indicators.yaml replication.map.{tid}.same_as: "
                f"'{m['same_as']}' is not in targets.csv"
            )


def scorecard(
    targets: pd.DataFrame,
    shares: pd.DataFrame,
    crosstab: pd.DataFrame,
    rules: dict,
    waves: list[int],
    statbank: dict[str, pd.DataFrame] | None = None,
    panel: pd.DataFrame | None = None,
    calibration: set[str] | frozenset = frozenset(),
) -> pd.DataFrame:
    """The scorecard. ``calibration``: target ids the synthetic generator uses (empty for
    real microdata); ``panel`` is needed for rows computed by population band, county or
    composite."""
    rep = rules["replication"]
    tolerances = rep["tolerances"]
    mapping = rep["map"]
    check_map(mapping, targets)
    max_gap, gap_pp = year_gap_rule(rep)
    nat = shares[(shares["group"] == ALL) & (~shares["weighted"])]
    rows = []
    for _, t in targets.iterrows():
        year = int(t["wave_year"])
        m = mapping.get(t["id"], {})
        if "frame_count" in m:
            pub, frame_pub = None, float(t["value"])
        else:
            pub = parse_published(t["value"], t["unit"], tolerances)
            frame_pub = None
        computed_year = int(m.get("wave", year))
        indicator = (
            m.get("indicator")
            or ("/".join(m["crosstab"]) if "crosstab" in m else "")
            or ("/".join(m["composite"]) if "composite" in m else "")
            or ("/".join(m["composite_axis"]) + "_high" if "composite_axis" in m else "")
            or ("frame_count" if "frame_count" in m else "")
        )
        caveats = [m["caveat"]] if m.get("caveat") else []
        gap = abs(computed_year - year)
        if gap:
            caveats.insert(
                0, f"published for {year}; computed on wave {computed_year} (nearest wave)"
            )
            if pub is not None and pub.kind == "number":
                # the tolerance reflects the years between the figure and the wave
                pub = replace(pub, tolerance_pp=pub.tolerance_pp + gap * gap_pp)
        if _group_caveat(m):
            caveats.append(_group_caveat(m))
        row = dict(
            target_id=t["id"],
            role=role_of(t["id"], m, set(calibration)),
            same_as=m.get("same_as", ""),
            year=year,
            computed_year=computed_year if m else pd.NA,
            indicator=indicator or t["indicator_en"],
            group=t["group"],
            published=t["value"],
            published_low=pub.low if pub else np.nan,
            published_high=pub.high if pub else np.nan,
            reproduced=np.nan,
            diff_pp=np.nan,
            tolerance_pp=pub.tolerance_pp if pub else np.nan,
            within_tolerance=pd.NA,
            reference="published",
            reason="",
            caveat="; ".join(caveats),
            source_url=t["source_url"],
            statistic=statistic_of(t["id"], m),
            primary=False,
            decimals=published_decimals(t["value"], t["unit"]),
        )
        value = np.nan
        if not m:
            row["reason"] = f"not computable: the panel has no variable for '{t['indicator_en']}'"
        elif computed_year not in waves:
            row["reason"] = (
                f"not computable: {computed_year} is not a configured wave"
                if computed_year == year
                else f"not computable: {year} is not a wave and its nearest wave "
                f"{computed_year} is not configured"
            )
        elif gap > max_gap:
            row["reason"] = (
                f"not compared: published for {year}, a year without a wave; the nearest wave "
                f"({computed_year}) is {gap} year(s) away and replication.year_gap.max_years "
                f"is {max_gap}"
            )
        elif frame_pub is not None:
            if panel is None:
                row["reason"] = "not computable: no panel given"
            else:
                value, _ = panel_value(panel, m, computed_year, rules, t["id"])
                # a count checked against the municipality frame, not a survey share
                row.update(published_low=frame_pub, published_high=frame_pub, tolerance_pp=0.0)
                row.update(reproduced=value, diff_pp=np.nan, within_tolerance=value == frame_pub)
                row["reference"] = "frame"
                rows.append(row)
                continue
        elif pub is None:
            row["reason"] = "not computable: published as a count without a denominator"
        elif _needs_panel(m):
            if panel is None:
                row["reason"] = "not computable: no panel given"
            else:
                value, n = panel_value(panel, m, computed_year, rules, t["id"])
                if n == 0:
                    row["reason"] = "not computable: no respondents in this group"
        elif "indicator" in m:
            hit = nat[(nat["indicator"] == m["indicator"]) & (nat["year"] == computed_year)]
            if hit.empty:
                row["reason"] = f"not computable: indicator {m['indicator']} has no estimate"
            else:
                value = float(hit["estimate"].iloc[0])
        else:
            status, level = m["crosstab"]
            hit = crosstab[
                (crosstab["year"] == computed_year)
                & (crosstab["status"] == status)
                & (crosstab["level"] == level)
            ]
            if hit.empty:
                row["reason"] = "not computable: cross-tab cell empty"
            else:
                value = float(hit["estimate"].iloc[0])
        if not np.isnan(value):
            row["reproduced"] = value
            # compared at the precision the figure was published with
            shown = at_published_precision(value, row["decimals"])
            if pub.point is not None:
                row["diff_pp"] = 100 * (shown - pub.point)
            row["within_tolerance"] = bool(pub.contains(shown))
        rows.append(row)
    out = pd.DataFrame(rows, columns=COLUMNS)
    _proxy_caveats(out)
    out = mark_primary(out)
    if statbank:
        extra = statbank_rows(statbank, nat, rep.get("statbank", []), tolerances["percent"], waves)
        cal = out[out["role"] == CALIBRATION]
        used = set(zip(cal["indicator"], cal["year"], strict=True))
        extra["role"] = [
            CALIBRATION if (i, y) in used else VALIDATION
            for i, y in zip(extra["indicator"], extra["year"], strict=True)
        ]
        out = pd.concat([out, extra.astype({"primary": bool})], ignore_index=True)
    return out


def _proxy_caveats(card: pd.DataFrame) -> None:
    """A validation row computed on another wave whose value for that indicator the
    generator is calibrated to checks the change between the years, not the generator."""
    cal = card[card["role"] == CALIBRATION]
    for i, r in card[(card["role"] == VALIDATION) & card["reproduced"].notna()].iterrows():
        if r["computed_year"] == r["year"]:
            continue
        hit = cal[(cal["indicator"] == r["indicator"]) & (cal["year"] == r["computed_year"])]
        if not hit.empty:
            note = (
                f"wave {r['computed_year']} is calibrated to {hit['target_id'].iloc[0]}: "
                "this checks the change between the years, not the generator"
            )
            card.at[i, "caveat"] = "; ".join(x for x in (r["caveat"], note) if x)


def statbank_rows(
    tables: dict[str, pd.DataFrame],
    nat: pd.DataFrame,
    mapping: list[dict],
    tol_pp: float,
    waves: list[int],
) -> pd.DataFrame:
    """Official StatBank values as a second reference (reference = "statbank")."""
    rows = []
    for m in mapping:
        df = tables.get(str(m["table"]))
        if df is None:
            continue
        sel = df
        for dim, code in m["where"].items():
            if dim not in sel.columns:
                raise ConfigError(
                    f"config/indicators.yaml replication.statbank: table {m['table']} "
                    f"has no dimension '{dim}' (has: {', '.join(df.columns)})"
                )
            sel = sel[sel[dim].astype(str) == str(code)]
        item = ("replication", "statbank", "[]")  # the schema's defaults, then the entry
        m = {k: schema_default(SCHEMA, *item, k) for k in ("scale", "time_dimension")} | m
        tdim = m["time_dimension"]
        for _, r in sel.iterrows():
            year = int(str(r[tdim])[:4])
            official = r["value"] * m["scale"] if pd.notna(r["value"]) else np.nan
            hit = nat[(nat["indicator"] == m["indicator"]) & (nat["year"] == year)]
            value = float(hit["estimate"].iloc[0]) if not hit.empty else np.nan
            reason = "" if year in waves else f"not computable: {year} is not a configured wave"
            if np.isnan(official):
                reason = f"official value missing (status {r.get('status', '')!s})"
            ok = (
                pd.NA
                if np.isnan(value) or np.isnan(official)
                else abs(value - official) * 100 <= tol_pp
            )
            rows.append(
                dict(
                    target_id=f"statbank_{m['table']}_"
                    + "_".join(str(v) for v in m["where"].values())
                    + f"_{year}",
                    year=year,
                    indicator=m["indicator"],
                    group="all municipalities",
                    published=official,
                    published_low=official - tol_pp / 100,
                    published_high=official + tol_pp / 100,
                    reproduced=value,
                    diff_pp=100 * (value - official) if not np.isnan(value) else np.nan,
                    tolerance_pp=tol_pp,
                    within_tolerance=ok,
                    reference="statbank",
                    reason=reason,
                    caveat="",
                    same_as="",
                    source_url=f"StatBank table {m['table']}",
                    computed_year=year,
                    statistic=f"statbank_{m['table']}",
                    primary=False,
                    decimals=np.nan,
                )
            )
    return pd.DataFrame(rows, columns=COLUMNS)


# results/simulation/validation.csv (written by the simulation stage): per target id, the
# predictive check over the S simulated panels: the central 95 % range of the panels'
# values, the published figure's percentile among them and whether it lies outside.
SEED_COLUMNS = ["target_id", "n_seeds", "pred_low", "pred_high", "percentile", "outside"]
# the central share of the simulated panels' values a validation figure is checked against
PREDICTIVE_LEVEL = 0.95


def read_seed_validation(path) -> pd.DataFrame | None:
    """The predictive check of each validation figure over the simulated panels, or None
    when the file does not exist (real microdata, or no simulation run). A file without
    the contract's columns, a non-number, a range with low above high or a percentile
    outside [0, 1] stops the report."""
    from pathlib import Path

    from .errors import InputDataError

    path = Path(path)
    if not path.exists():
        return None
    df = pd.read_csv(path)
    missing = [c for c in SEED_COLUMNS if c not in df.columns]
    if missing:
        raise InputDataError(f"{path}: missing column(s) {', '.join(missing)}")
    df = df[SEED_COLUMNS].copy()
    df["target_id"] = df["target_id"].astype(str)
    for col in ("n_seeds", "pred_low", "pred_high", "percentile"):
        bad = pd.to_numeric(df[col], errors="coerce").isna()
        if bad.any():
            i = int(bad.idxmax())
            raise InputDataError(
                f"{path}: field {col} of target {df.at[i, 'target_id']}: "
                f"'{df.at[i, col]}' is not a number"
            )
        df[col] = pd.to_numeric(df[col])
    wrong = (df["pred_low"] > df["pred_high"]) | ~df["percentile"].between(0, 1)
    if wrong.any():
        r = df[wrong].iloc[0]
        raise InputDataError(
            f"{path}: target {r.target_id}: range {r.pred_low}-{r.pred_high} or percentile "
            f"{r.percentile} is not valid"
        )
    df["outside"] = df["outside"].astype(str).str.lower().eq("true")
    return df.set_index("target_id")


def seed_pass(card: pd.DataFrame, seeds: pd.DataFrame | None) -> pd.Series:
    """The predictive check (pred_low, pred_high, percentile) of each scorecard row's
    statistic, by row index: the row's own target id, else another published form of the
    same statistic."""
    out = pd.Series([None] * len(card), index=card.index, dtype=object)
    if seeds is None:
        return out
    for i, r in card.iterrows():
        ids = [r["target_id"]] + card.loc[card["statistic"] == r["statistic"], "target_id"].tolist()
        hit = next((t for t in ids if t in seeds.index), None)
        if hit is not None:
            out[i] = tuple(float(seeds.at[hit, c]) for c in ("pred_low", "pred_high", "percentile"))
    return out
