"""Where every number comes from, and the tables that say what the estimates mean.

Provenance classes of a statistic (``classify``):

* ``published``: SSB published it. In synthetic mode this is the case when a *calibration*
  target of the scorecard gives it (the synthetic panel reproduces it by construction).
* ``assumed``: synthetic mode, no calibration target: the value is what the synthetic
  parameters (config/synthetic.yaml) make it. It is not evidence, and an interval around it
  describes the generator's noise, not knowledge about municipalities.
* ``estimated``: computed from real microdata.

The evidence tables themselves (rule ``evidence_tables``) are in
:mod:`digikom.evidence_tables`."""

from __future__ import annotations

import math

import pandas as pd

from .indicators import ALL

PUBLISHED, ASSUMED, ESTIMATED = "published", "assumed", "estimated"


def _complements(rules: dict | None) -> dict[str, str]:
    """indicator id -> the id of its complement (both directions), from `complement_of`."""
    out: dict[str, str] = {}
    for s in (rules or {}).get("shares", []):
        if s.get("complement_of"):
            out[s["id"]] = s["complement_of"]
            out[s["complement_of"]] = s["id"]
    return out


def scorecard_rows(scorecard: pd.DataFrame | list[dict]) -> list[dict]:
    """The scorecard as plain rows (what :func:`classify` searches). A report classifies
    dozens of statistics: converting once and filtering rows in Python costs microseconds
    per statistic, where filtering the DataFrame costs milliseconds."""
    if not isinstance(scorecard, pd.DataFrame):
        return scorecard
    return scorecard.astype(object).where(scorecard.notna(), None).to_dict("records")


def _matches(rows: list[dict], indicator: str, year: int, group: str | None, roles) -> list[dict]:
    """The published figures of ``indicator`` in ``year`` for ``group`` that the scorecard
    reproduced, with one of ``roles``; the most precise first (not an alias of another
    figure, then the smallest tolerance), then in file order."""
    want = "all municipalities" if group == ALL else group

    def ok(r: dict) -> bool:
        return (
            r["indicator"] == indicator
            and r.get("reference", "published") == "published"
            and (group is None or r["group"] == want)
            and r["year"] is not None
            and int(r["year"]) == int(year)
            and r["computed_year"] is not None
            and int(r["computed_year"]) == int(year)
            and r["role"] in roles
            and r["reproduced"] is not None
        )

    def precision(r: dict) -> tuple:
        tol = r.get("tolerance_pp")
        missing = tol is None or math.isnan(float(tol))
        return (bool(str(r.get("same_as") or "")), missing, 0.0 if missing else float(tol))

    return sorted((r for r in rows if ok(r)), key=precision)  # sorted() is stable


def classify(
    indicator: str,
    year: int,
    group: str | None,
    synthetic: bool,
    scorecard: pd.DataFrame,
    rules: dict | None = None,
) -> dict:
    """The provenance of one statistic (indicator, wave, group = "all", a scorecard group
    text, or None for any group, e.g. a cross-tab cell "not_tried/high"). Returns class, target_id, published (the value as published), source_url,
    complement (True when the published figure is of the complementary share) and
    validation_target (a published figure the statistic can be checked against, if any)."""
    out = dict(
        indicator=indicator,
        year=int(year),
        group=group,
        target_id=None,
        published=None,
        source_url=None,
        complement=False,
        validation_target=None,
    )
    rows = scorecard_rows(scorecard)
    names = [(indicator, False)]
    comp = _complements(rules).get(indicator)
    if comp:
        names.append((comp, True))
    for name, is_comp in names:
        # synthetic: only what the generator is calibrated to is published; with microdata
        # any published figure of the same statistic is shown beside the estimate
        roles = ["calibration"] if synthetic else ["calibration", "validation"]
        hit = _matches(rows, name, year, group, roles)
        if hit:
            r = hit[0]
            out.update(
                target_id=r["target_id"],
                published=str(r["published"]),
                source_url=r["source_url"],
                complement=is_comp,
            )
            break
    for name, _ in names:
        val = _matches(rows, name, year, group, ["validation"])
        if val:
            out["validation_target"] = val[0]["target_id"]
            break
    if not synthetic:
        out["class"] = ESTIMATED
    else:
        out["class"] = PUBLISHED if out["target_id"] else ASSUMED
    return out
