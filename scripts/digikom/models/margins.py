"""Margins: average predictions by wave x size group (averaged over the observed
municipalities of each cell, not at the mean) and average marginal effects of the effects
of interest each model declares in config/models.yaml (``effects``), with delta-method
intervals from the model's (cluster-robust) covariance at the configured confidence."""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .design import design_for
from .spec import shift_value

if TYPE_CHECKING:
    from .fit import ModelFit

log = logging.getLogger(__name__)

PRED_COLUMNS = [
    "model",
    "outcome",
    "family",
    "quantity",  # prediction | ame
    "effect",  # for ame: the id of an effect declared in config/models.yaml
    "year",
    "size_group",
    "category",  # ordinal: outcome level; empty otherwise
    "estimate",
    "std_error",
    "conf_low",
    "conf_high",
    "n_obs",
]


def jacobian(f, params: np.ndarray) -> np.ndarray:
    """Central-difference Jacobian of the vector function f at params."""
    params = np.asarray(params, dtype=float)
    f0 = np.atleast_1d(f(params))
    J = np.empty((f0.size, params.size))
    for j in range(params.size):
        h = 1e-6 * max(1.0, abs(params[j]))
        up, dn = params.copy(), params.copy()
        up[j] += h
        dn[j] -= h
        J[:, j] = (np.atleast_1d(f(up)) - np.atleast_1d(f(dn))) / (2 * h)
    return J


def covariance(fit: ModelFit) -> np.ndarray:
    return np.asarray(fit.result.cov_params(), dtype=float)


def _predictor(fit: ModelFit):
    """f(params, X) -> (n, K) predicted probabilities / shares / means."""
    family, res = fit.spec["family"], fit.result
    if family == "ordinal_logit":
        model = res.model

        def f(p, X):
            return np.asarray(model.predict(p, exog=X), dtype=float)

    elif family == "linear":

        def f(p, X):
            return (X @ p)[:, None]

    else:

        def f(p, X):
            return (1.0 / (1.0 + np.exp(-(X @ p))))[:, None]

    return f


def effect_scenarios(fit: ModelFit) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The design matrices (before, after) of each declared effect: ``from``/``to`` sets
    the variable to two values for every municipality; ``shift`` adds to its observed value
    (``log(2)`` on a logged variable: a doubling)."""
    frame, out = fit.frame, {}

    def X(data):
        return design_for(fit.design_info, fit.kept_columns, data)

    X0 = None
    for eff in fit.spec.get("effects") or []:
        var = eff["variable"]
        if var not in frame.columns:  # config load refuses this; a direct caller may not
            log.info("model %s: effect '%s': '%s' is not in the model; skipped",
                     fit.spec.get("id"), eff["id"], var)  # fmt: skip
            continue
        if "shift" in eff:
            X0 = X(frame) if X0 is None else X0
            out[eff["id"]] = (X0, X(frame.assign(**{var: frame[var] + shift_value(eff["shift"])})))
        else:
            out[eff["id"]] = (
                X(frame.assign(**{var: eff["from"]})),
                X(frame.assign(**{var: eff["to"]})),
            )
    return out


def _cells(fit: ModelFit) -> list[tuple[Any, str, np.ndarray]]:
    frame = fit.frame
    order = (fit.spec.get("category_order") or {}).get("size_group")
    cells: list[tuple[Any, str, np.ndarray]] = []
    for year, g in frame.groupby("year", sort=True):
        cells.append((year, "all", g.index.to_numpy()))
        groups = dict(list(g.groupby("size_group", sort=True)))
        keys = [k for k in order if k in groups] if order else list(groups)
        keys += [k for k in groups if k not in keys]
        cells += [(year, sg, groups[sg].index.to_numpy()) for sg in keys]
    return cells


def prediction_table(fit: ModelFit, intervals: bool = True) -> pd.DataFrame:
    """Average predictions by wave x size group (and all groups), and the average marginal
    effects of the declared effects, with delta-method CIs (``intervals=False``: the
    estimates only, standard errors and bounds NaN; no Jacobian)."""
    spec, frame = fit.spec, fit.frame
    predict = _predictor(fit)
    w = fit.weights if fit.weights is not None else np.ones(len(frame))
    X0 = design_for(fit.design_info, fit.kept_columns, frame)
    scenarios = effect_scenarios(fit)
    cells = _cells(fit)

    def wmean(mat, idx):
        return (w[idx, None] * mat[idx]).sum(axis=0) / w[idx].sum()

    all_idx = np.arange(len(frame))

    def quantities(p):
        P = predict(p, X0)
        out = [wmean(P, idx) for _, _, idx in cells]
        for a, b in scenarios.values():
            out.append(wmean(predict(p, b) - predict(p, a), all_idx))
        return np.concatenate(out)

    params = np.asarray(fit.result.params, dtype=float)
    q = quantities(params)
    if intervals:
        J = jacobian(quantities, params)
        se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", J, covariance(fit), J), 0, None))
    else:
        se = np.full(q.size, np.nan)
    K = q.size // (len(cells) + len(scenarios))
    cat_labels = [f"{c:g}" for c in fit.categories] if K > 1 else [""]
    rows = []
    i = 0
    prob_scale = spec["family"] != "linear"
    for year, sg, idx in cells:
        for k in range(K):
            lo, hi = interval(q[i], se[i], fit.z, logit_scale=prob_scale)
            rows.append(
                ("prediction", "", int(year), sg, cat_labels[k], q[i], se[i], lo, hi, len(idx))
            )
            i += 1
    for effect in scenarios:
        for k in range(K):
            lo, hi = interval(q[i], se[i], fit.z, logit_scale=False)
            rows.append(
                ("ame", effect, pd.NA, "all", cat_labels[k], q[i], se[i], lo, hi, len(frame))
            )
            i += 1
    df = pd.DataFrame(rows, columns=PRED_COLUMNS[3:])
    df.insert(0, "family", spec["family"])
    df.insert(0, "outcome", spec["outcome"])
    df.insert(0, "model", spec["id"])
    df["year"] = df["year"].astype("Int64")
    return df[PRED_COLUMNS]


def interval(est: float, se: float, z: float, logit_scale: bool) -> tuple[float, float]:
    """est -/+ z se; for a probability on the logit scale (stays inside 0..1)."""
    if not np.isfinite(se):
        return (np.nan, np.nan)
    if logit_scale:
        if est <= 0 or est >= 1:
            return (est, est) if se == 0 else (0.0, 1.0)
        eta = math.log(est / (1 - est))
        se_eta = se / (est * (1 - est))
        return (1 / (1 + math.exp(-(eta - z * se_eta))), 1 / (1 + math.exp(-(eta + z * se_eta))))
    return (est - z * se, est + z * se)
