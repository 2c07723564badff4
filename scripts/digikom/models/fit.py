"""Fitting: one model spec by family (logit, binomial, ordinal_logit, linear), and the
tidy results of the fit: the coefficient table (log-odds scale for logit/binomial/ordinal;
ordinal thresholds as cut-points, ``term_type == "threshold"``), fit statistics (JSON) and
the statsmodels summary text.

Nothing here raises on a statistical problem: an empty subset, an unknown column, a constant
outcome, separation, a term with no cases, a singular design or non-convergence is caught
and recorded (``status`` failed | warning | ok, ``warnings``) so the report can show it.
No timing is recorded in the results (forced rebuilds are byte-identical); the log says
how long a fit took.
"""

from __future__ import annotations

import logging
import math
import re
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .design import (
    build_design,
    estimation_frame,
    prune_columns,
    references,
    separation_combination,
    separation_terms,
)
from .margins import PRED_COLUMNS, covariance, jacobian, prediction_table
from .ordinal import ordered_logit_class
from .spec import FAMILIES, ModelFailure, cluster_column, full_formula, resolve_spec

log = logging.getLogger(__name__)

COEF_COLUMNS = [
    "model",
    "outcome",
    "family",
    "term",
    "estimate",
    "std_error",
    "conf_low",
    "conf_high",
    "p_value",
    "n_obs",
]
COEF_EXTRA = ["term_type", "flag"]
# |log-odds| beyond this, or a standard error beyond SE_HUGE, signals (quasi-)separation.
COEF_HUGE = 15.0
SE_HUGE = 1e3


@dataclass
class ModelFit:
    spec: dict
    # the level of the intervals (config/indicators.yaml `confidence`; its one default is in
    # the schema); None: point estimates only, the intervals are NaN
    confidence: float | None
    status: str = "ok"
    warnings: list[str] = field(default_factory=list)
    coefficients: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=COEF_COLUMNS + COEF_EXTRA)
    )
    predictions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PRED_COLUMNS))
    stats: dict = field(default_factory=dict)
    summary: str = ""
    seconds: float = 0.0  # wall time of the fit: logged, never written to results
    # internals kept for predictions and robustness
    result: Any = None
    frame: pd.DataFrame | None = None
    design_info: Any = None
    kept_columns: list[str] = field(default_factory=list)
    weights: np.ndarray | None = None
    categories: list = field(default_factory=list)

    @property
    def z(self) -> float:
        from ..stats import z_value

        return float("nan") if self.confidence is None else z_value(self.confidence)

    def warn(self, msg: str) -> None:
        log.warning("model %s: %s", self.spec.get("id"), msg)
        self.warnings.append(msg)
        if self.status == "ok":
            self.status = "warning"


def _cov_args(spec: dict, frame: pd.DataFrame, fit: ModelFit) -> dict:
    ct = spec.get("cov_type", "cluster")
    if ct == "cluster":
        col = cluster_column(frame)
        groups = pd.factorize(frame[col])[0]
        n_groups = int(groups.max() + 1) if len(groups) else 0
        fit.stats["cluster_variable"] = col
        fit.stats["n_clusters"] = n_groups
        if n_groups < 2:
            fit.warn(f"only {n_groups} cluster(s); non-robust covariance used instead")
            return {"cov_type": "nonrobust"}
        return {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
    return {"cov_type": ct}


def _fit_glm(y, X, spec, frame, weights, trials, fit: ModelFit):
    # the modules themselves, not statsmodels.api (which loads every model family)
    from statsmodels.genmod.families import Binomial
    from statsmodels.genmod.generalized_linear_model import GLM

    if spec["family"] == "binomial":
        endog = np.column_stack([y, trials - y])
    else:
        endog = y
    model = GLM(endog, X, family=Binomial(), var_weights=weights)
    res = model.fit(maxiter=100, **_cov_args(spec, frame, fit))
    fit.stats["converged"] = bool(getattr(res, "converged", True))
    fit.stats["optimizer"] = "IRLS"
    return model, res


def _fit_ordinal(y, X, spec, frame, weights, fit: ModelFit):
    OrderedModel = ordered_logit_class()

    if weights is not None:
        fit.warn(
            "ordinal_logit does not support weights in statsmodels; fitted unweighted "
            "(weights: nonresponse ignored)"
        )
    cats = sorted(np.unique(y).tolist())
    endog = pd.Series(pd.Categorical(y.astype(int), categories=cats, ordered=True))
    model = OrderedModel(endog, X, distr="logit")
    cov = _cov_args(spec, frame, fit)
    if cov["cov_type"] == "HC1":
        cov = {"cov_type": "HC0"}
        fit.warn("HC1 is not available for ordinal_logit; HC0 used")
    res = model.fit(method="bfgs", maxiter=2000, disp=0, **cov)
    fit.stats["converged"] = bool(res.mle_retvals.get("converged", False))
    fit.stats["optimizer"] = "bfgs"
    fit.categories = cats
    return model, res


def _fit_linear(y, X, spec, frame, weights, fit: ModelFit):
    from statsmodels.regression.linear_model import OLS, WLS

    model = WLS(y, X, weights=weights) if weights is not None else OLS(y, X)
    res = model.fit(**_cov_args(spec, frame, fit))
    fit.stats["converged"] = True
    fit.stats["optimizer"] = "least squares"
    return model, res


def fit_model(
    panel: pd.DataFrame,
    spec: dict,
    codebook: dict | None = None,
    seed: int | None = None,
    predict: bool = True,
    confidence: float | None = None,
    point_only: bool = False,
) -> ModelFit:
    """Fit one model spec. Never raises on a statistical or specification problem: the
    returned ModelFit carries status, warnings and (possibly empty) output tables.
    ``confidence`` is the level of the intervals (config/indicators.yaml); without it the
    intervals are NaN (point estimates only, as for a bootstrap replicate).

    ``point_only``: estimates only, for callers that read nothing else (a bootstrap
    replicate's point estimates): the covariance is the model's plain one (no cluster-robust
    sandwich, whose ordinal score and Hessian are numerical), predictions and effects get
    no delta-method Jacobian (standard errors and intervals NaN), and there is no summary
    text. The estimates are the same numbers as in a full fit: the optimiser does not
    depend on the covariance type."""
    t0 = time.perf_counter()
    fit = ModelFit(spec=spec, confidence=confidence)
    fit.stats.update(_base_stats(spec, seed, confidence))
    try:
        spec = resolve_spec(spec, codebook)
        fit.spec = spec
        _fit_into(fit, panel, spec, predict, point_only)
    except ModelFailure as exc:
        _fail(fit, str(exc))
    except Exception as exc:  # numerical failures (LinAlgError, overflow) must not crash
        log.exception("model %s failed", spec.get("id"))
        _fail(fit, f"estimation failed: {type(exc).__name__}: {exc}")
    fit.stats["status"] = fit.status
    fit.stats["warnings"] = fit.warnings
    fit.seconds = time.perf_counter() - t0
    if not fit.summary:
        fit.summary = _failure_summary(fit)
    return fit


def _fail(fit: ModelFit, msg: str) -> None:
    log.error("model %s failed: %s", fit.spec.get("id"), msg)
    fit.status = "failed"
    fit.warnings.append(msg)
    fit.result = None
    fit.coefficients = pd.DataFrame(columns=COEF_COLUMNS + COEF_EXTRA)
    fit.predictions = pd.DataFrame(columns=PRED_COLUMNS)


def _base_stats(spec: dict, seed, confidence: float | None) -> dict:
    import statsmodels

    level = "no intervals" if confidence is None else f"{100 * confidence:g} %"
    return {
        "model": spec.get("id"),
        "status": "ok",
        "warnings": [],
        "outcome": spec.get("outcome"),
        "family": spec.get("family"),
        "formula": full_formula(spec),
        "subset": spec.get("subset"),
        "trials": spec.get("trials"),
        "weights": spec.get("weights", "none"),
        "cov_type": spec.get("cov_type", "cluster"),
        "reference": spec.get("reference") or {},
        "effects": [e["id"] for e in spec.get("effects") or []],
        "seed": seed,
        "confidence": confidence,
        "ci_method": f"delta method (predictions on the logit scale), {level}",
        "statsmodels_version": statsmodels.__version__,
    }


def _fit_into(
    fit: ModelFit, panel: pd.DataFrame, spec: dict, predict: bool, point_only: bool = False
) -> None:
    family = spec["family"]
    if point_only:
        spec = {**spec, "cov_type": "nonrobust"}
    if family not in FAMILIES:
        raise ModelFailure(f"unknown family '{family}' (allowed: {', '.join(FAMILIES)})")
    frame, info = estimation_frame(panel, spec)
    fit.stats.update(info)
    if info["n_dropped_missing"]:
        log.info(
            "model %s: %d rows dropped for missing values", spec["id"], info["n_dropped_missing"]
        )
    if len(frame) == 0:
        raise ModelFailure(
            "empty estimation sample (no respondents with complete data"
            + (f" in subset '{spec['subset']}'" if spec.get("subset") else "")
            + ")"
        )
    y = frame[spec["outcome"]].to_numpy(dtype=float)
    trials = None
    if family == "binomial":
        trials = (
            np.full(len(frame), float(spec["trials_max"]))
            if spec.get("trials") == "codebook"
            else frame[spec["trials"]].to_numpy(dtype=float)
        )
        fit.stats["trials_max"] = spec.get("trials_max")
        if np.any(trials <= 0) or np.any(y < 0) or np.any(y > trials):
            raise ModelFailure(
                f"binomial outcome '{spec['outcome']}' outside 0..trials in "
                f"{int(np.sum((y < 0) | (y > trials) | (trials <= 0)))} rows"
            )
    if family == "logit" and not np.all(np.isin(y, (0.0, 1.0))):
        raise ModelFailure(f"logit outcome '{spec['outcome']}' is not 0/1")
    if family in ("logit", "ordinal_logit") and len(np.unique(y)) < 2:
        raise ModelFailure(
            f"outcome '{spec['outcome']}' takes a single value ({y[0]:g}) in the estimation "
            "sample; nothing to model"
        )
    if family == "binomial" and (np.all(y == 0) or np.all(y == trials)):
        raise ModelFailure(f"outcome '{spec['outcome']}' is 0 or all trials in every row")
    if family == "ordinal_logit":
        levels = sorted(np.unique(y).tolist())
        fit.stats["outcome_levels"] = [int(v) for v in levels]
        spec_levels = spec.get("levels")
        if spec_levels:
            missing = [v for v in spec_levels if v not in levels]
            if missing:
                fit.warn(
                    f"outcome category {', '.join(map(str, missing))} has no cases; "
                    "its threshold is not estimable and is omitted"
                )
    weights = None
    if spec.get("weights") == "nonresponse":
        w = frame["weight"].to_numpy(dtype=float)
        weights = w / w.mean()  # normalised: sum = n, so the log-likelihood keeps its scale

    fit.stats["reference"] = references(frame, spec)
    X_full, design_info = build_design(frame, spec)
    ordinal = family == "ordinal_logit"
    if ordinal and "Intercept" in X_full.columns:
        X_full = X_full.drop(columns="Intercept")
    kept = prune_columns(X_full, fit.warn, ordinal)
    X = X_full[kept]
    fit.stats["terms_dropped"] = [c for c in X_full.columns if c not in kept]
    if X.shape[1] == 0 and not ordinal:
        raise ModelFailure("no estimable terms")
    if X.shape[0] <= X.shape[1]:
        raise ModelFailure(f"{X.shape[0]} observations for {X.shape[1]} parameters")
    separated = {} if family == "linear" else separation_terms(X, y, family, trials)
    if not separated:  # a combination of columns, continuous ones too
        combo = separation_combination(X, y, family, trials)
        for col in combo:
            separated[col] = (
                f"quasi-complete separation: a combination of {', '.join(combo)} predicts "
                "the outcome exactly in some observations; the estimates diverge and are "
                "not reported"
            )
    for msg in dict.fromkeys(separated.values()):
        fit.warn(msg)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if family in ("logit", "binomial"):
            model, res = _fit_glm(y, X, spec, frame, weights, trials, fit)
        elif ordinal:
            model, res = _fit_ordinal(y, X, spec, frame, weights, fit)
        else:
            model, res = _fit_linear(y, X, spec, frame, weights, fit)
    for w in caught:
        text = str(w.message).strip().splitlines()[0]
        cat = w.category.__name__
        if "var_weights" in text and "cov_type" in text:
            if fit.stats.get("cov_type") == "cluster":
                # statsmodels warns for any robust covariance with var_weights, but its
                # cluster covariance is then the linearisation (sandwich) estimator
                # c H^-1 (sum_g s_g s_g^T) H^-1 of the weighted score equations, exactly
                # (tests/test_models.py checks it against a hand computation)
                fit.stats["se_method"] = "linearisation (cluster sandwich, weighted scores)"
                continue
            text = (
                "statsmodels: robust covariance with weights is not fully supported; "
                "standard errors of this weighted fit are approximate"
            )
        msg = f"{cat}: {text}"
        if msg not in fit.warnings:
            fit.warn(msg)
    if not fit.stats.get("converged", True):
        fit.warn("the optimiser did not converge; estimates are unreliable")

    params = np.asarray(res.params, dtype=float)
    bse = np.asarray(res.bse, dtype=float)
    if not np.all(np.isfinite(params)):
        raise ModelFailure("non-finite parameter estimates (singular or degenerate fit)")
    if family != "linear" and not separated:
        names = list(res.model.exog_names) if hasattr(res.model, "exog_names") else kept
        big = [
            n
            for n, b, s in zip(names, params, bse, strict=False)
            if abs(b) > COEF_HUGE or not np.isfinite(s) or s > SE_HUGE
        ]
        if big:
            fit.warn(
                "possible separation or near-singular fit: huge estimate or standard error "
                f"for {', '.join(big)}"
            )
    fit.result = res
    fit.frame = frame
    fit.design_info = design_info
    fit.kept_columns = kept
    fit.weights = weights
    fit.coefficients = coefficient_table(fit, separated)
    if point_only:  # no covariance worth reporting
        fit.coefficients[["std_error", "conf_low", "conf_high", "p_value"]] = np.nan
    if point_only:
        fit.summary = "(point estimates only)"
    else:
        fit.stats.update(fit_statistics(fit))
        try:
            fit.summary = _without_clock(str(res.summary().as_text()))
        except Exception as exc:  # summary must never sink a fit
            fit.summary = f"(summary unavailable: {exc})"
    if predict:
        fit.predictions = prediction_table(fit, intervals=not point_only)


# --------------------------------------------------------------------------- tables


def coefficient_table(fit: ModelFit, separated: dict[str, str] | None = None) -> pd.DataFrame:
    spec, res = fit.spec, fit.result
    separated = separated or {}
    params = np.asarray(res.params, dtype=float)
    names = list(res.params.index) if hasattr(res.params, "index") else list(fit.kept_columns)
    est, se = params.copy(), np.asarray(res.bse, dtype=float).copy()
    pvals = np.asarray(res.pvalues, dtype=float).copy()
    term_type = ["intercept" if n == "Intercept" else "coefficient" for n in names]
    if spec["family"] == "ordinal_logit":
        k_th = len(fit.categories) - 1
        n_ex = len(params) - k_th

        def thresholds(p):
            return res.model.transform_threshold_params(p)[1:-1]

        J = jacobian(thresholds, params)
        th = thresholds(params)
        th_se = np.sqrt(np.clip(np.diag(J @ covariance(fit) @ J.T), 0, None))
        est[n_ex:] = th
        se[n_ex:] = th_se
        with np.errstate(divide="ignore", invalid="ignore"):
            from scipy import stats

            pvals[n_ex:] = 2 * stats.norm.sf(np.abs(th / th_se))
        cats = fit.categories
        names[n_ex:] = [f"{cats[i]:g}/{cats[i + 1]:g}" for i in range(k_th)]
        term_type[n_ex:] = ["threshold"] * k_th
    flag = [""] * len(names)
    for i, n in enumerate(names):
        if n in separated:
            est[i] = se[i] = pvals[i] = np.nan
            flag[i] = "separation"
    df = pd.DataFrame(
        {
            "model": spec["id"],
            "outcome": spec["outcome"],
            "family": spec["family"],
            "term": names,
            "estimate": est,
            "std_error": se,
            "conf_low": est - fit.z * se,
            "conf_high": est + fit.z * se,
            "p_value": pvals,
            "n_obs": int(res.nobs),
            "term_type": term_type,
            "flag": flag,
        }
    )
    return df[COEF_COLUMNS + COEF_EXTRA]


def _finite(x):
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def fit_statistics(fit: ModelFit) -> dict:
    res, family = fit.result, fit.spec["family"]
    out: dict[str, Any] = {"n_obs": int(res.nobs), "n_params": len(np.asarray(res.params))}
    out["log_likelihood"] = _finite(res.llf)
    out["aic"] = _finite(res.aic)
    out["bic"] = _finite(res.bic_llf if hasattr(res, "bic_llf") else res.bic)
    llnull = None
    if family in ("logit", "binomial", "ordinal_logit"):
        try:
            llnull = _finite(res.llnull)
        except Exception as exc:
            fit.warn(f"null log-likelihood unavailable: {exc}")
    out["log_likelihood_null"] = llnull
    out["pseudo_r2_mcfadden"] = _finite(1 - res.llf / llnull) if llnull not in (None, 0) else None
    if family == "linear":
        out["r_squared"] = _finite(res.rsquared)
    out["cov_type_used"] = getattr(res, "cov_type", None)
    if fit.weights is not None:
        out["weights_note"] = "nonresponse weights normalised to mean 1 in the estimation sample"
    return out


_CLOCK = re.compile(r"^(Date:|Time:)(\s+)(\S.*?)(?=\s{2,}|$)", re.M)


def _without_clock(summary: str) -> str:
    """Blank the Date:/Time: values of a statsmodels summary (the wall clock at fitting
    time) so the model .txt files are byte-reproducible; the layout is kept."""
    return _CLOCK.sub(lambda m: m.group(1) + m.group(2) + " " * len(m.group(3)), summary)


def _failure_summary(fit: ModelFit) -> str:
    lines = [
        f"Model {fit.spec.get('id')}: {full_formula(fit.spec)}",
        f"family: {fit.spec.get('family')}",
        f"status: {fit.status}",
    ]
    lines += [f"warning: {w}" for w in fit.warnings]
    return "\n".join(lines) + "\n"


def json_stats(fit: ModelFit) -> dict:
    """The model JSON: fit statistics with non-finite numbers as null."""

    def clean(v):
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [clean(x) for x in v]
        if isinstance(v, float | np.floating):
            return _finite(v)
        if isinstance(v, np.integer):
            return int(v)
        if isinstance(v, np.bool_):
            return bool(v)
        return v

    return clean(fit.stats)
