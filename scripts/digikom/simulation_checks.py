"""The scorecard's validation checks on one simulated panel (digikom.simulation): only
what the checks read is computed (the indicators and cross-tab waves they use)."""

from __future__ import annotations

import pandas as pd


def scorecard_rules(rules: dict) -> dict:
    """The indicator rules cut to the share and mean indicators the scorecard reads (the
    replication map's and the StatBank entries' ``indicator``): the same scorecard rows,
    without computing every other indicator on every replicate."""
    rep = rules["replication"]
    used = {m["indicator"] for m in rep["map"].values() if "indicator" in m}
    used |= {e["indicator"] for e in rep.get("statbank", []) if "indicator" in e}
    out = dict(rules)
    out["shares"] = [s for s in rules["shares"] if s["id"] in used]
    out["means"] = [s for s in rules["means"] if s["id"] in used]
    out["distributions"] = [
        d for d in rules.get("distributions", []) if any(u.startswith(d["id"]) for u in used)
    ]
    return out


def crosstab_waves(targets: pd.DataFrame, rules: dict, calibration) -> set[int]:
    """The waves whose cross-tab a *validation* check reads (the cross-tab cells of
    calibration targets are not checked, so a replicate need not compute them)."""
    from .replication import VALIDATION, role_of

    out = set()
    for tid, m in rules["replication"]["map"].items():
        if "crosstab" in m and tid in targets.index:
            if role_of(tid, m, set(calibration)) == VALIDATION:
                out.add(int(m.get("wave", targets.loc[tid, "wave_year"])))
    return out


def validation_rows(panel, targets, rules, codebook, waves, calibration, statbank=None):
    """Each computable validation check of the scorecard on this panel: the published
    figure's bounds (the range its published precision or words allow) and the panel's
    value."""
    from .indicators import compute_crosstab, compute_shares
    from .replication import VALIDATION, scorecard

    years = crosstab_waves(targets, rules, calibration)
    crosstab = (
        compute_crosstab(panel[panel["year"].isin(years)], rules, codebook)
        if years
        else pd.DataFrame(columns=["year", "level", "status", "estimate"])
    )
    card = scorecard(
        targets,
        compute_shares(panel, scorecard_rules(rules), codebook),
        crosstab,
        rules,
        waves,
        statbank=statbank,
        panel=panel,
        calibration=calibration,
    )
    card = card[(card["role"] == VALIDATION) & card["within_tolerance"].notna()]
    return pd.DataFrame(
        {
            "target_id": card["target_id"].astype(str),
            "reference": card["reference"].astype(str),
            "year": card["year"].astype(int),
            "published_low": pd.to_numeric(card["published_low"], errors="coerce"),
            "published_high": pd.to_numeric(card["published_high"], errors="coerce"),
            "reproduced": card["reproduced"].astype(float),
        }
    )
