"""Robustness: each main model refit under the robustness variants of config/models.yaml
(terms replaced, nonresponse weights), compared term by term with the main fit. Variant
labels are looked up by id (config; the main model's label in reports/strings/models.yaml),
not written into the table."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from .fit import fit_model
from .spec import variant_spec

log = logging.getLogger(__name__)

ROBUST_COLUMNS = [
    "model",
    "variant",
    "term",
    "estimate",
    "conf_low",
    "conf_high",
    "same_sign_as_main",
    "ratio_to_main",
]
ROBUST_EXTRA = ["main_estimate", "status"]
MAIN = "main"  # variant id of the main fit


def robustness_table(
    panel: pd.DataFrame,
    specs: list[dict],
    robustness: dict,
    codebook: dict | None = None,
    seed: int | None = None,
    confidence: float | None = None,
) -> pd.DataFrame:
    by_id = {s["id"]: s for s in specs}
    rows = []
    for mid in robustness.get("models", []):
        if mid not in by_id:
            log.warning("robustness: model '%s' is not in config/models.yaml; skipped", mid)
            continue
        main = fit_model(panel, by_id[mid], codebook, seed, False, confidence)
        main_est = dict(zip(main.coefficients["term"], main.coefficients["estimate"], strict=True))
        fits = [(MAIN, main)]
        for var in robustness.get("variants", []):
            vspec = variant_spec(by_id[mid], var)
            if vspec is None:
                continue
            fits.append((var["id"], fit_model(panel, vspec, codebook, seed, False, confidence)))
        for vid, f in fits:
            if f.status == "failed":
                rows.append(
                    {
                        "model": mid,
                        "variant": vid,
                        "term": "",
                        "status": "failed: " + "; ".join(f.warnings),
                    }
                )
                continue
            for _, r in f.coefficients.iterrows():
                if r["term_type"] != "coefficient":
                    continue
                m = main_est.get(r["term"], np.nan)
                est = r["estimate"]
                ok = np.isfinite(m) and np.isfinite(est)
                rows.append(
                    {
                        "model": mid,
                        "variant": vid,
                        "term": r["term"],
                        "estimate": est,
                        "conf_low": r["conf_low"],
                        "conf_high": r["conf_high"],
                        "same_sign_as_main": (bool(np.sign(est) == np.sign(m)) if ok else pd.NA),
                        "ratio_to_main": (est / m if ok and m != 0 else np.nan),
                        "main_estimate": m,
                        "status": f.status + (": " + "; ".join(f.warnings) if f.warnings else ""),
                    }
                )
    df = pd.DataFrame(rows, columns=ROBUST_COLUMNS + ROBUST_EXTRA)
    df["same_sign_as_main"] = df["same_sign_as_main"].astype("boolean")
    return df


# --------------------------------------------------------------------------- rule entry points
