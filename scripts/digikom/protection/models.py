"""Model outputs in the public form, protected with the tables they restate.

A model's prediction for a size group and wave is hidden when the matching cell of the
public shares table is hidden (a saturated model's predictions *are* those cells), and by
the rule for single predictions (:func:`digikom.disclosure.protect_predictions`: fewer than
``min_cell`` observations, or a predicted 0 % / 100 %). A model whose terms are all
categorical (``C(size_group) * C(year)``) is a smoothed or saturated table: when any of its
predictions is hidden, its coefficients are hidden too, since they restate the cells.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import disclosure
from ..models.spec import categorical_names, formula_names
from .public import NOT_AVAILABLE, SUPPRESSED

ALL = "all"
PRED_COLUMNS = ["model", "outcome", "quantity", "effect", "year", "size_group", "category"]
PRED_COLUMNS += ["n_obs", "estimate", "std_error", "conf_low", "conf_high"]
COEF_COLUMNS = ["model", "outcome", "family", "term", "term_type", "n_obs", "estimate"]
COEF_COLUMNS += ["std_error", "conf_low", "conf_high", "p_value", "flag"]


def cell_indicators(spec: dict, rules: dict) -> dict:
    """category ('' for a binary outcome) -> the indicator whose cells the model's
    predictions of ``spec['outcome']`` estimate."""
    out = spec["outcome"]
    ids = {s["id"] for s in rules["shares"] + rules["means"]}
    found = {"": out} if out in ids else {}
    for s in rules["shares"] + rules["means"]:
        if (
            not found
            and s["variable"] == out
            and not s.get("among")
            and s.get("values", [1]) == [1]
        ):
            found[""] = s["id"]
    for d in rules.get("distributions", []):
        if d["variable"] == out:
            found["*"] = d["id"]
    return found


def categorical_only(spec: dict) -> bool:
    names = formula_names(spec["formula"])
    return bool(names) and set(names) <= set(categorical_names(spec["formula"]))


def protect_model(
    pred: pd.DataFrame,
    coef: pd.DataFrame,
    spec: dict,
    rules: dict,
    hidden_cells: set,
    *,
    min_cell: int | None,
    decimals: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The model's predictions and coefficients in the public form. ``hidden_cells``:
    (indicator, wave, group) of the hidden unweighted cells of the public shares table;
    ``min_cell`` None (synthetic default) hides nothing."""
    pred = pred.reindex(columns=list(dict.fromkeys([*pred.columns, *PRED_COLUMNS])))
    coef = coef.reindex(columns=list(dict.fromkeys([*coef.columns, *COEF_COLUMNS])))
    hide = pd.Series(False, index=pred.index)
    if min_cell:
        hide = disclosure.protect_predictions(pred, min_cell).copy()
        inds = cell_indicators(spec, rules)
        for i, r in pred.iterrows():
            if r["quantity"] not in ("prediction", None) and not pd.isna(r["quantity"]):
                continue
            cat = "" if pd.isna(r.get("category")) or r.get("category") == "" else str(r.category)
            ind = inds.get("") if not cat else f"{inds['*']}_{cat}" if "*" in inds else None
            if ind and (ind, int(r.year), str(r.size_group)) in hidden_cells:
                hide.loc[i] = True
    hide_coef = np.full(len(coef), bool(min_cell) and categorical_only(spec) and hide.any())
    p = pd.DataFrame(
        {
            "table": "predictions",
            "model": pred.model,
            "indicator": pred.outcome,
            "quantity": pred.quantity,
            "effect": pred.effect,
            "wave": pred.year,
            "group": pred.size_group,
            "category": pred.category,
            "n": pred.n_obs,
            "value": pred.estimate,
            "std_error": pred.std_error,
            "conf_low": pred.conf_low,
            "conf_high": pred.conf_high,
        }
    )
    c = pd.DataFrame(
        {
            "table": "coefficients",
            "model": coef.model,
            "indicator": coef.outcome,
            "family": coef.family,
            "term": coef.term,
            "term_type": coef.term_type,
            "n": coef.n_obs,
            "value": coef.estimate,
            "std_error": coef.std_error,
            "conf_low": coef.conf_low,
            "conf_high": coef.conf_high,
            "p_value": coef.p_value,
            "flag": coef.flag,
        }
    )
    return _blank(p, hide.to_numpy(), decimals), _blank(c, hide_coef, decimals)


def _blank(df: pd.DataFrame, hide: np.ndarray, decimals: int) -> pd.DataFrame:
    df = df.reset_index(drop=True)
    df["status"] = np.where(hide, SUPPRESSED, np.where(df["value"].isna(), NOT_AVAILABLE, ""))
    for col in ("value", "std_error", "conf_low", "conf_high", "p_value"):
        if col in df.columns:
            df[col] = df[col].astype(float).round(max(decimals, 4)).where(~hide, np.nan)
    return df


_BACK = {
    "predictions": {
        "indicator": "outcome",
        "wave": "year",
        "group": "size_group",
        "n": "n_obs",
        "value": "estimate",
    },
    "coefficients": {"indicator": "outcome", "n": "n_obs", "value": "estimate"},
}


def read_model_table(path, name: str) -> pd.DataFrame:
    """A public model table in the columns of results/models/<id>/<name>.csv, with a
    boolean ``suppressed``."""
    df = pd.read_csv(path, dtype={"group": str, "status": str})
    status = df["status"].fillna("").eq(SUPPRESSED).to_numpy()
    out = df.drop(columns=["table", "status"]).rename(columns=_BACK[name])
    out["suppressed"] = status
    return out
