"""Models stage: fit the model specifications of config/models.yaml to the panel.

Plain functions, no Snakemake: build the estimation frame of one spec, fit it by family
(logit, binomial, ordinal_logit, linear), and derive tidy outputs:

* a coefficient table (log-odds scale for logit/binomial/ordinal; ordinal thresholds as
  cut-points, marked ``term_type == "threshold"``),
* average predictions by wave and size group (averaged over the observed municipalities of
  the cell, not at the mean) and average marginal effects of ``competence_large`` (0 -> 1)
  and of a doubling of population, with 95 % delta-method CIs,
* fit statistics (JSON) and the statsmodels summary text.

Nothing here raises on a statistical problem: an empty subset, an unknown column, a constant
outcome, separation, a term with no cases, a singular design or non-convergence is caught
and recorded (``status`` failed | warning | ok, ``warnings``) so the report can show it.
"""

from __future__ import annotations

import copy
import io
import logging
import math
import re
import statistics
import time
import tokenize
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

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
PRED_COLUMNS = [
    "model",
    "outcome",
    "family",
    "quantity",  # prediction | ame
    "effect",  # for ame: competence_large | population_doubling
    "year",
    "size_group",
    "category",  # ordinal: outcome level; empty otherwise
    "estimate",
    "std_error",
    "conf_low",
    "conf_high",
    "n_obs",
]
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
ROBUST_EXTRA = ["main_estimate", "status", "variant_nb", "variant_en"]

FAMILIES = ("logit", "binomial", "ordinal_logit", "linear")
LEVEL = 0.95
Z = statistics.NormalDist().inv_cdf(0.5 + LEVEL / 2)  # stdlib: keeps this module light to import
LN2 = math.log(2.0)
# |log-odds| beyond this, or a standard error beyond SE_HUGE, signals (quasi-)separation.
COEF_HUGE = 15.0
SE_HUGE = 1e3
# Names allowed in a formula that are functions or namespaces, not panel columns.
FORMULA_FUNCTIONS = {"C", "I", "Q", "np", "center", "standardize", "scale", "bs", "cr", "cc"}


class ModelFailure(Exception):
    """A model that cannot be estimated; the message goes into the model JSON."""


@dataclass
class ModelFit:
    spec: dict
    status: str = "ok"
    warnings: list[str] = field(default_factory=list)
    coefficients: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=COEF_COLUMNS + COEF_EXTRA)
    )
    predictions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PRED_COLUMNS))
    stats: dict = field(default_factory=dict)
    summary: str = ""
    # internals kept for predictions and robustness
    result: Any = None
    frame: pd.DataFrame | None = None
    design_info: Any = None
    kept_columns: list[str] = field(default_factory=list)
    weights: np.ndarray | None = None
    categories: list = field(default_factory=list)

    def warn(self, msg: str) -> None:
        log.warning("model %s: %s", self.spec.get("id"), msg)
        self.warnings.append(msg)
        if self.status == "ok":
            self.status = "warning"


# --------------------------------------------------------------------------- spec helpers


def formula_names(formula: str) -> list[str]:
    """Bare names in a patsy right-hand side that should be panel columns (function names,
    keyword arguments, attribute access and string literals are skipped)."""
    try:
        toks = [
            t
            for t in tokenize.generate_tokens(io.StringIO(formula).readline)
            if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER)
        ]
    except (tokenize.TokenError, IndentationError) as exc:
        raise ModelFailure(f"formula '{formula}' cannot be parsed: {exc}") from exc
    names = []
    for i, tok in enumerate(toks):
        if tok.type != tokenize.NAME:
            continue
        nxt = toks[i + 1].string if i + 1 < len(toks) else ""
        prev = toks[i - 1].string if i > 0 else ""
        if nxt in ("(", "=", ".") or prev == "." or tok.string in FORMULA_FUNCTIONS:
            continue
        if tok.string not in names:
            names.append(tok.string)
    return names


def resolve_spec(spec: dict, codebook: dict | None) -> dict:
    """Copy of ``spec`` with what the codebook adds: ``trials_max`` when trials is the
    codebook maximum, ``levels`` (the answer scale) of an ordinal outcome."""
    spec = copy.deepcopy(spec)
    var = (codebook or {}).get("variables", {}).get(spec["outcome"], {})
    if spec["family"] == "ordinal_logit" and "values" in var and "levels" not in spec:
        spec["levels"] = sorted(int(v) for v in var["values"])
    if (
        spec["family"] == "binomial"
        and spec.get("trials") == "codebook"
        and "trials_max" not in spec
    ):
        if codebook is None:
            raise ModelFailure("trials: codebook needs the codebook")
        if "max" not in var:
            raise ModelFailure(
                f"trials: codebook, but codebook variable '{spec['outcome']}' has no item maximum"
            )
        spec["trials_max"] = int(var["max"])
    return spec


def full_formula(spec: dict) -> str:
    return f"{spec['outcome']} ~ {spec['formula']}"


def cluster_column(panel: pd.DataFrame) -> str:
    """Municipality identity across waves: the code harmonised to 2024 (so a municipality
    whose number changed in a reform is one cluster); kommunenr if that column is absent."""
    return "kommunenr_2024" if "kommunenr_2024" in panel.columns else "kommunenr"


# --------------------------------------------------------------------------- estimation frame


def estimation_frame(panel: pd.DataFrame, spec: dict) -> tuple[pd.DataFrame, dict]:
    """Respondents only, the spec's subset, complete cases on the outcome, the formula's
    variables, trials and weights. Returns the frame and counts for the JSON."""
    info: dict[str, Any] = {"n_panel": len(panel)}
    df = panel
    if "responded" in df.columns:
        df = df[df["responded"].astype(bool)]
    info["n_respondents"] = len(df)
    if spec.get("subset"):
        try:
            df = df.query(spec["subset"], engine="python")
        except Exception as exc:
            raise ModelFailure(f"subset '{spec['subset']}' cannot be evaluated: {exc}") from exc
    info["n_subset"] = len(df)
    names = formula_names(spec["formula"])
    needed = [spec["outcome"], *names]
    trials_col = None
    if spec["family"] == "binomial" and spec.get("trials") != "codebook":
        trials_col = spec.get("trials")
        needed.append(trials_col)
    if spec.get("weights") == "nonresponse":
        needed.append("weight")
    unknown = [c for c in needed if c not in df.columns]
    if unknown:
        raise ModelFailure(
            f"unknown column(s) in model: {', '.join(unknown)} (not in the panel; "
            f"check outcome/formula/trials in config/models.yaml)"
        )
    cols = list(dict.fromkeys(needed + [cluster_column(df), "year", "size_group"]))
    cols = [c for c in cols if c in df.columns]
    df = df[cols].copy()
    na = df[needed].isna()
    info["dropped_by_column"] = {c: int(n) for c, n in na.sum().items() if n}
    df = df[~na.any(axis=1)]
    if spec.get("weights") == "nonresponse":
        bad = df["weight"] <= 0
        if bad.any():
            info["dropped_by_column"]["weight<=0"] = int(bad.sum())
            df = df[~bad]
    info["n_dropped_missing"] = info["n_subset"] - len(df)
    # Complete cases: nullable integers/booleans become plain numpy types so that patsy
    # prints C(year)[T.2020] rather than C(year)[T.2020.0].
    for c in df.columns:
        s = df[c]
        if pd.api.types.is_bool_dtype(s):
            df[c] = s.astype("int64")
        elif pd.api.types.is_integer_dtype(s):
            df[c] = s.astype("int64")
        elif pd.api.types.is_float_dtype(s):
            df[c] = s.astype("float64")
        elif isinstance(s.dtype, pd.StringDtype):
            df[c] = s.astype(object)
    info["n_obs"] = len(df)
    return df.reset_index(drop=True), info


# --------------------------------------------------------------------------- design


def _design(frame: pd.DataFrame, spec: dict):
    import patsy

    try:
        X = patsy.dmatrix(spec["formula"], frame, return_type="dataframe", NA_action="raise")
    except Exception as exc:  # patsy.PatsyError, NameError, ...
        raise ModelFailure(f"formula '{spec['formula']}' cannot be built: {exc}") from exc
    return X, X.design_info


def _prune_columns(X: pd.DataFrame, fit: ModelFit, ordinal: bool) -> list[str]:
    """Drop terms without cases and columns collinear with earlier ones (singular design);
    each drop is recorded as a warning. Returns the kept column names."""
    kept: list[str] = []
    base = [np.ones(len(X))] if ordinal else []
    for col in X.columns:
        v = X[col].to_numpy(dtype=float)
        if col != "Intercept" and np.all(v == 0):
            fit.warn(f"term '{col}' has no cases in the estimation sample; dropped")
            continue
        cand = np.column_stack([*base, *(X[k].to_numpy(float) for k in kept), v])
        if np.linalg.matrix_rank(cand) < cand.shape[1]:
            what = "the thresholds" if ordinal and np.ptp(v) == 0 else "earlier terms"
            fit.warn(f"term '{col}' is collinear with {what} (singular design); dropped")
            continue
        kept.append(col)
    return kept


def _separation_terms(X: pd.DataFrame, y: np.ndarray, family: str, trials=None) -> dict[str, str]:
    """0/1 columns whose cases (or non-cases) all sit at one end of the outcome: the
    maximum-likelihood estimate of that term diverges (quasi-complete separation)."""
    out = {}
    if family == "binomial":
        lo, hi = y == 0, y == trials
    else:
        lo, hi = y == np.min(y), y == np.max(y)
    for col in X.columns:
        if col == "Intercept":
            continue
        v = X[col].to_numpy(float)
        if not np.all(np.isin(v, (0.0, 1.0))):
            continue
        for val in (1.0, 0.0):
            m = v == val
            if m.sum() == 0 or m.all():
                continue
            if lo[m].all() or hi[m].all():
                end = "lowest" if lo[m].all() else "highest"
                out[col] = (
                    f"quasi-complete separation: all {int(m.sum())} observations with "
                    f"{col} = {int(val)} have the {end} outcome value; its estimate diverges "
                    f"and is not reported"
                )
                break
    return out


# --------------------------------------------------------------------------- fitting


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
    import statsmodels.api as sm

    if spec["family"] == "binomial":
        endog = np.column_stack([y, trials - y])
    else:
        endog = y
    model = sm.GLM(endog, X, family=sm.families.Binomial(), var_weights=weights)
    res = model.fit(maxiter=100, **_cov_args(spec, frame, fit))
    fit.stats["converged"] = bool(getattr(res, "converged", True))
    fit.stats["optimizer"] = "IRLS"
    return model, res


def _fit_ordinal(y, X, spec, frame, weights, fit: ModelFit):
    from statsmodels.miscmodels.ordinal_model import OrderedModel

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
    import statsmodels.api as sm

    model = sm.WLS(y, X, weights=weights) if weights is not None else sm.OLS(y, X)
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
) -> ModelFit:
    """Fit one model spec. Never raises on a statistical or specification problem: the
    returned ModelFit carries status, warnings and (possibly empty) output tables."""
    t0 = time.perf_counter()
    fit = ModelFit(spec=spec)
    fit.stats.update(_base_stats(spec, seed))
    try:
        spec = resolve_spec(spec, codebook)
        fit.spec = spec
        _fit_into(fit, panel, spec, predict)
    except ModelFailure as exc:
        _fail(fit, str(exc))
    except Exception as exc:  # numerical failures (LinAlgError, overflow) must not crash
        log.exception("model %s failed", spec.get("id"))
        _fail(fit, f"estimation failed: {type(exc).__name__}: {exc}")
    fit.stats["status"] = fit.status
    fit.stats["warnings"] = fit.warnings
    fit.stats["fit_seconds"] = round(time.perf_counter() - t0, 3)
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


def _base_stats(spec: dict, seed) -> dict:
    import statsmodels

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
        "seed": seed,
        "ci_method": "delta method (predictions on the logit scale), 95 %",
        "label": {"nb": spec.get("nb"), "en": spec.get("en")},
        "statsmodels_version": statsmodels.__version__,
    }


def _fit_into(fit: ModelFit, panel: pd.DataFrame, spec: dict, predict: bool) -> None:
    family = spec["family"]
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

    X_full, design_info = _design(frame, spec)
    ordinal = family == "ordinal_logit"
    if ordinal and "Intercept" in X_full.columns:
        X_full = X_full.drop(columns="Intercept")
    kept = _prune_columns(X_full, fit, ordinal)
    X = X_full[kept]
    fit.stats["terms_dropped"] = [c for c in X_full.columns if c not in kept]
    if X.shape[1] == 0 and not ordinal:
        raise ModelFailure("no estimable terms")
    if X.shape[0] <= X.shape[1]:
        raise ModelFailure(f"{X.shape[0]} observations for {X.shape[1]} parameters")
    separated = {} if family == "linear" else _separation_terms(X, y, family, trials)
    for msg in separated.values():
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
    fit.stats.update(fit_statistics(fit))
    try:
        fit.summary = _without_clock(str(res.summary().as_text()))
    except Exception as exc:  # summary must never sink a fit
        fit.summary = f"(summary unavailable: {exc})"
    if predict:
        fit.predictions = prediction_table(fit)


# --------------------------------------------------------------------------- tables


def _jacobian(f, params: np.ndarray) -> np.ndarray:
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


def _cov(fit: ModelFit) -> np.ndarray:
    return np.asarray(fit.result.cov_params(), dtype=float)


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

        J = _jacobian(thresholds, params)
        th = thresholds(params)
        th_se = np.sqrt(np.clip(np.diag(J @ _cov(fit) @ J.T), 0, None))
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
            "conf_low": est - Z * se,
            "conf_high": est + Z * se,
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


def _design_for(fit: ModelFit, data: pd.DataFrame) -> np.ndarray:
    import patsy

    (X,) = patsy.build_design_matrices([fit.design_info], data, return_type="dataframe")
    return X[fit.kept_columns].to_numpy(dtype=float)


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


def prediction_table(fit: ModelFit) -> pd.DataFrame:
    """Average predictions by wave x size group (and all groups), and average marginal
    effects, with delta-method 95 % CIs from the model's (cluster-robust) covariance."""
    spec, frame = fit.spec, fit.frame
    predict = _predictor(fit)
    w = fit.weights if fit.weights is not None else np.ones(len(frame))
    X0 = _design_for(fit, frame)
    names = formula_names(spec["formula"])
    scenarios = {}
    if "competence_large" in names:
        d0, d1 = frame.copy(), frame.copy()
        d0["competence_large"] = 0
        d1["competence_large"] = 1
        scenarios["competence_large"] = (_design_for(fit, d0), _design_for(fit, d1))
    if "log_population" in names:
        d1 = frame.copy()
        d1["log_population"] = d1["log_population"] + LN2
        scenarios["population_doubling"] = (X0, _design_for(fit, d1))

    cells: list[tuple[Any, str, np.ndarray]] = []
    for year, g in frame.groupby("year", sort=True):
        cells.append((year, "all", g.index.to_numpy()))
        for sg, gg in g.groupby("size_group", sort=True):
            cells.append((year, sg, gg.index.to_numpy()))

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
    J = _jacobian(quantities, params)
    se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", J, _cov(fit), J), 0, None))
    K = q.size // (len(cells) + len(scenarios))
    cat_labels = [f"{c:g}" for c in fit.categories] if K > 1 else [""]
    rows = []
    i = 0
    prob_scale = spec["family"] != "linear"
    for year, sg, idx in cells:
        for k in range(K):
            lo, hi = _ci(q[i], se[i], logit_scale=prob_scale)
            rows.append(
                ("prediction", "", int(year), sg, cat_labels[k], q[i], se[i], lo, hi, len(idx))
            )
            i += 1
    for effect in scenarios:
        for k in range(K):
            lo, hi = _ci(q[i], se[i], logit_scale=False)
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


def _ci(est: float, se: float, logit_scale: bool) -> tuple[float, float]:
    """95 % CI; for a probability on the logit scale (stays inside 0..1)."""
    if not np.isfinite(se):
        return (np.nan, np.nan)
    if logit_scale:
        if est <= 0 or est >= 1:
            return (est, est) if se == 0 else (0.0, 1.0)
        eta = math.log(est / (1 - est))
        se_eta = se / (est * (1 - est))
        return (1 / (1 + math.exp(-(eta - Z * se_eta))), 1 / (1 + math.exp(-(eta + Z * se_eta))))
    return (est - Z * se, est + Z * se)


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


# --------------------------------------------------------------------------- robustness


def variant_spec(spec: dict, variant: dict) -> dict | None:
    """The spec refit under a robustness variant, or None if the variant changes nothing."""
    new = copy.deepcopy(spec)
    rhs = spec["formula"]
    for old, repl in (variant.get("replace") or {}).items():
        rhs = re.sub(rf"(?<![\w.]){re.escape(old)}(?![\w(])", repl, rhs)
    new["formula"] = rhs
    if variant.get("weights"):
        new["weights"] = variant["weights"]
    if new["formula"] == spec["formula"] and new.get("weights", "none") == spec.get(
        "weights", "none"
    ):
        return None
    new["id"] = spec["id"]
    return new


def robustness_table(
    panel: pd.DataFrame,
    specs: list[dict],
    robustness: dict,
    codebook: dict | None = None,
    seed: int | None = None,
) -> pd.DataFrame:
    by_id = {s["id"]: s for s in specs}
    rows = []
    for mid in robustness.get("models", []):
        if mid not in by_id:
            log.warning("robustness: model '%s' is not in config/models.yaml; skipped", mid)
            continue
        main = fit_model(panel, by_id[mid], codebook, seed, predict=False)
        main_est = dict(zip(main.coefficients["term"], main.coefficients["estimate"], strict=True))
        fits = [("main", {"nb": "Hovedmodell", "en": "Main model"}, main)]
        for var in robustness.get("variants", []):
            vspec = variant_spec(by_id[mid], var)
            if vspec is None:
                continue
            fits.append((var["id"], var, fit_model(panel, vspec, codebook, seed, predict=False)))
        for vid, var, f in fits:
            if f.status == "failed":
                rows.append(
                    {
                        "model": mid,
                        "variant": vid,
                        "term": "",
                        "status": "failed: " + "; ".join(f.warnings),
                        "variant_nb": var.get("nb"),
                        "variant_en": var.get("en"),
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
                        "variant_nb": var.get("nb"),
                        "variant_en": var.get("en"),
                    }
                )
    df = pd.DataFrame(rows, columns=ROBUST_COLUMNS + ROBUST_EXTRA)
    df["same_sign_as_main"] = df["same_sign_as_main"].astype("boolean")
    return df


# --------------------------------------------------------------------------- rule entry points


def run_fit(panel_path, spec, seed, out_coef, out_pred, out_json, out_txt):
    """Rule fit_model: fit one (resolved) spec and write its four outputs, also when the
    model failed (then the tables are empty and the JSON says why)."""
    from .io import write_csv, write_json, write_text
    from .panel import read_panel

    spec = dict(spec)
    panel = read_panel(panel_path)
    fit = fit_model(panel, spec, None, seed)
    log.info(
        "model %s: status %s, n=%s, %.2f s",
        spec["id"],
        fit.status,
        fit.stats.get("n_obs"),
        fit.stats["fit_seconds"],
    )
    write_csv(fit.coefficients, out_coef)
    write_csv(fit.predictions, out_pred)
    write_json(out_json, json_stats(fit))
    write_text(out_txt, fit.summary)
    return fit


def collect(coef_paths, pred_paths, out_coef, out_pred):
    from .io import write_csv

    def cat(paths, cols):
        frames = [pd.read_csv(p, dtype={"category": str}) for p in paths]
        frames = [f for f in frames if len(f)]
        if not frames:
            return pd.DataFrame(columns=cols)
        return pd.concat(frames, ignore_index=True)

    write_csv(cat(coef_paths, COEF_COLUMNS + COEF_EXTRA), out_coef)
    pred = cat(pred_paths, PRED_COLUMNS)
    if "year" in pred:
        pred["year"] = pred["year"].astype("Int64")
    write_csv(pred, out_pred)


def run_robustness(panel_path, specs, robustness, seed, out):
    from .io import write_csv
    from .panel import read_panel

    panel = read_panel(panel_path)
    write_csv(robustness_table(panel, specs, robustness, None, seed), out)
