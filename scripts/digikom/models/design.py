"""Design matrix: the estimation frame of one spec (respondents, subset, complete cases)
and the patsy design built from it, with empty and collinear columns pruned and
separation detected. The formula is checked before patsy evaluates it."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .spec import (
    FormulaError,
    ModelFailure,
    categorical_names,
    check_formula,
    check_subset,
    cluster_column,
    design_formula,
    formula_names,
    plain_term,
)

log = logging.getLogger(__name__)


def estimation_frame(
    panel: pd.DataFrame, spec: dict, keep: tuple[str, ...] = ()
) -> tuple[pd.DataFrame, dict]:
    """Respondents only, the spec's subset, complete cases on the outcome, the formula's
    variables, trials and weights (and the columns ``keep``). Returns the frame and counts
    for the JSON."""
    where = f"model '{spec.get('id')}'"
    try:  # before pandas or patsy evaluates any of it
        check_formula(spec["formula"], panel.columns, f"{where}: formula")
        if spec.get("subset"):
            check_subset(spec["subset"], panel.columns, f"{where}: subset")
    except FormulaError as exc:
        raise ModelFailure(str(exc)) from exc
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
    cols = list(dict.fromkeys(needed + [cluster_column(df), "year", "size_group", *keep]))
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


def present_order(frame: pd.DataFrame, spec: dict) -> dict[str, list]:
    """The natural order of the levels the sample has (an absent group is no term, not an
    empty one); values outside the configured order follow, sorted."""
    out = {}
    for var, levels in (spec.get("category_order") or {}).items():
        if var in frame.columns:
            have = set(frame[var])
            out[var] = [x for x in levels if x in have] + sorted(have - set(levels), key=str)
    return out


def references(frame: pd.DataFrame, spec: dict) -> dict:
    """The reference level of each plain ``C(var)`` of the formula: the configured one
    (which the sample must have), else the first level in natural order that it has."""
    order = present_order(frame, spec)
    out = {}
    for var in categorical_names(spec["formula"]):
        if var not in frame.columns:
            continue
        levels = order.get(var) or sorted(set(frame[var]))
        ref = (spec.get("reference") or {}).get(var)
        if ref is None:
            out[var] = levels[0] if levels else None
        elif not any(str(ref) == str(x) for x in levels):
            raise ModelFailure(
                f"reference '{ref}' of C({var}) has no cases in the estimation sample "
                f"(levels: {', '.join(map(str, levels))}); choose another in config/models.yaml"
            )
        else:
            out[var] = ref
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in out.items()}


def build_design(frame: pd.DataFrame, spec: dict) -> tuple[pd.DataFrame, Any]:
    """The design matrix of ``spec`` on ``frame`` (columns named by :func:`plain_term`).
    The formula is checked against the frame's columns before patsy evaluates it."""
    import patsy

    try:
        check_formula(spec["formula"], frame.columns, f"model '{spec.get('id')}': formula")
    except FormulaError as exc:
        raise ModelFailure(str(exc)) from exc
    rhs = design_formula({**spec, "category_order": present_order(frame, spec)})
    try:
        unique = None if _STATEFUL.search(rhs) else unique_rows(frame, rhs)
        data = frame if unique is None else unique[0]
        X = patsy.dmatrix(rhs, data, return_type="dataframe", NA_action="raise")
    except Exception as exc:  # patsy.PatsyError, NameError, ...
        raise ModelFailure(f"formula '{spec['formula']}' cannot be built: {exc}") from exc
    info = X.design_info
    X = _expanded(X, unique, frame.index)
    X.columns = [plain_term(c) for c in X.columns]
    return X, info


def design_for(design_info, kept_columns: list[str], data: pd.DataFrame) -> np.ndarray:
    """The kept design columns for new data (counterfactual scenarios)."""
    import patsy

    unique = unique_rows(data, " ".join(f.code for f in design_info.factor_infos))
    rows = data if unique is None else unique[0]
    (X,) = patsy.build_design_matrices([design_info], rows, return_type="dataframe")
    X = _expanded(X, unique, data.index)
    X.columns = [plain_term(c) for c in X.columns]
    return X[kept_columns].to_numpy(dtype=float)


# patsy's stateful transforms: their value in a row depends on the other rows of the fit.
_STATEFUL = re.compile(r"\b(center|standardize)\s*\(")


def unique_rows(data: pd.DataFrame, code: str) -> tuple[pd.DataFrame, np.ndarray] | None:
    """(the distinct rows of the columns ``code`` names, each row's position among them),
    or None when under half the rows repeat or a value is missing. A design row depends
    only on its own row's values (without stateful transforms, or with a fitted design's
    frozen ones), so patsy builds the distinct rows and they are copied to the others: the
    same matrix, bit for bit, without patsy's per-row Python loop over every repeat (the
    10x and 100x benchmark panels repeat each municipality's covariates; a model of
    size group x year has a few dozen distinct rows)."""
    cols = [c for c in data.columns if re.search(rf"\b{re.escape(str(c))}\b", code)]
    if not cols or len(data) == 0:
        return None
    key = data[cols]
    if key.isna().any().any():
        return None
    codes = np.zeros(len(key), dtype=np.int64)
    for c in cols:  # row codes in order of first appearance, one column at a time
        k, levels = pd.factorize(key[c])
        codes = pd.factorize(codes * len(levels) + k)[0]
    if 2 * (int(codes.max()) + 1) > len(data):
        return None
    first = np.unique(codes, return_index=True)[1]  # in code order
    return data.iloc[first], codes


def _expanded(X: pd.DataFrame, unique, index) -> pd.DataFrame:
    if unique is None:
        return X
    return pd.DataFrame(X.to_numpy()[unique[1]], index=index, columns=X.columns)


def prune_columns(X: pd.DataFrame, warn: Callable[[str], None], ordinal: bool) -> list[str]:
    """Drop terms without cases and columns collinear with earlier ones (singular design);
    each drop is reported through ``warn``. Returns the kept column names."""
    kept: list[str] = []
    base = [np.ones(len(X))] if ordinal else []
    for col in X.columns:
        v = X[col].to_numpy(dtype=float)
        if col != "Intercept" and np.all(v == 0):
            warn(f"term '{col}' has no cases in the estimation sample; dropped")
            continue
        cand = np.column_stack([*base, *(X[k].to_numpy(float) for k in kept), v])
        if np.linalg.matrix_rank(cand) < cand.shape[1]:
            what = "the thresholds" if ordinal and np.ptp(v) == 0 else "earlier terms"
            warn(f"term '{col}' is collinear with {what} (singular design); dropped")
            continue
        kept.append(col)
    return kept


def separation_terms(X: pd.DataFrame, y: np.ndarray, family: str, trials=None) -> dict[str, str]:
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


def separation_combination(X: pd.DataFrame, y: np.ndarray, family: str, trials=None) -> list:
    """The terms of a direction b in which every row's linear predictor x b lies on the
    side of its outcome (x b >= 0 where the outcome is at its highest, <= 0 at its lowest,
    = 0 in between), with some strictly: (quasi-)complete separation by any combination of
    columns, continuous ones too, where the maximum-likelihood estimate does not exist.
    A linear programme (Konis 2007): maximise the sum of the signed x b with |b| <= 1.
    Empty when there is none (or for an ordinal or linear model)."""
    from scipy.optimize import linprog

    if family not in ("logit", "binomial") or X.shape[1] == 0:
        return []
    A = X.to_numpy(dtype=float)
    top = y == (trials if family == "binomial" else 1)
    bottom = y == 0
    inner = ~(top | bottom)
    signed = np.vstack([A[top], -A[bottom]])
    res = linprog(
        -signed.sum(axis=0),
        A_ub=-signed,
        b_ub=np.zeros(len(signed)),
        A_eq=A[inner] if inner.any() else None,
        b_eq=np.zeros(int(inner.sum())) if inner.any() else None,
        bounds=[(-1, 1)] * A.shape[1],
        method="highs",
    )
    if res.status != 0 or -res.fun <= 1e-7 * max(1, len(signed)):
        return []
    return [c for c, b in zip(X.columns, res.x, strict=True) if abs(b) > 1e-6 and c != "Intercept"]
