"""The working models' estimator for the simulation study, on a design matrix built once:
maximum likelihood (logit and binomial by IRLS, ordinal logit by Newton) with the
cluster-robust covariance digikom.models.fit gets from statsmodels,

    V = c * H^-1 (sum_g s_g s_g^T) H^-1,   c = G / (G - 1) * (N - 1) / (N - K),

where H is the information, s_g the score summed over cluster g (a municipality), G the
number of clusters, N the rows and K the parameters (tests/test_simulation.py checks the
numbers against digikom.models.fit). Each call fits one outcome vector; the design, the
clusters and the starting values (the true values: a warm start) are reused across seeds,
so a fit costs a few small matrix products and no formula is parsed.

A fit that does not converge, or whose estimate or standard error is huge (a sign of
separation), returns ``None``: the study counts it as failed (digikom.simulation)."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

COEF_HUGE = 15.0
SE_HUGE = 1e3
MAX_ITER = 50
TOL = 1e-10


def _cluster_cov(bread: np.ndarray, scores: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """c * bread @ meat @ bread with the scores summed by cluster (see the module doc)."""
    n, k = scores.shape
    g = int(groups.max()) + 1
    sg = np.zeros((g, k))
    np.add.at(sg, groups, scores)
    n_g = len(np.unique(groups))
    c = n_g / max(n_g - 1, 1) * (n - 1) / max(n - k, 1)
    return c * bread @ (sg.T @ sg) @ bread


def fit_binomial(X, y, trials, groups, start=None, weights=None):
    """Logit (``trials`` 1) or binomial logit: (estimates, covariance) or None. ``y`` may
    be fractional (the expected outcomes of the pseudo-true values); ``groups`` None:
    no covariance. ``weights``: case weights (the pseudo-true fit over the frame)."""
    k = X.shape[1]
    w0 = np.ones(len(y)) if weights is None else weights
    beta = np.zeros(k) if start is None else np.array(start, dtype=float)
    for _ in range(MAX_ITER):
        mu = expit(X @ beta)
        w = w0 * trials * mu * (1 - mu)
        grad = X.T @ (w0 * (y - trials * mu))
        info = X.T @ (X * w[:, None])
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            return None
        beta = beta + step
        if not np.all(np.isfinite(beta)) or np.max(np.abs(beta)) > 50:
            return None
        if np.max(np.abs(step)) < TOL:
            break
    else:
        return None
    if np.max(np.abs(beta)) > COEF_HUGE:
        return None
    if groups is None:
        return beta, None
    mu = expit(X @ beta)
    info = X.T @ (X * (w0 * trials * mu * (1 - mu))[:, None])
    bread = np.linalg.inv(info)
    cov = _cluster_cov(bread, X * (w0 * (y - trials * mu))[:, None], groups)
    if not np.all(np.isfinite(cov)) or np.sqrt(np.max(np.diag(cov))) > SE_HUGE:
        return None
    return beta, cov


def _ordinal_parts(X, counts, params):
    """Log-likelihood, per-row scores (rows x params) of the ordinal logit with
    P(y <= j) = expit(c_j - x b); ``counts``: rows x categories (one-hot, or expected
    category probabilities)."""
    k = X.shape[1]
    b, cut = params[:k], params[k:]
    eta = X @ b
    n_cat = counts.shape[1]
    bounds = np.column_stack(
        [np.full(len(eta), -np.inf), cut[None, :] - eta[:, None], np.full(len(eta), np.inf)]
    )
    F = expit(bounds)
    f = F * (1 - F)  # density at each bound (0 at +-inf)
    p = np.clip(F[:, 1:] - F[:, :-1], 1e-300, None)  # rows x categories
    ll = float(np.sum(counts * np.log(p)))
    a = counts / p  # d ll / d p per category
    # d p_c / d c_j: +f_j when j is c's upper bound (j = c), -f_j when its lower (j = c - 1)
    d_cut = a[:, : n_cat - 1] * f[:, 1:n_cat] - a[:, 1:] * f[:, 1:n_cat]
    # d p_c / d eta = -(f_upper - f_lower)
    d_eta = -np.sum(a * (f[:, 1:] - f[:, :-1]), axis=1)
    return ll, np.column_stack([X * d_eta[:, None], d_cut])


def _information(X, counts, params):
    """Observed information of the ordinal logit, analytic: sum over categories of
    n g g^T / p^2 (g the gradient of the category's probability p) minus the curvature
    term sum over bounds of f'(b) (n_j / p_j - n_(j+1) / p_(j+1)) D D^T, D = (-x, e_j)."""
    k = X.shape[1]
    n, n_cat = counts.shape
    F = expit(params[k:][None, :] - (X @ params[:k])[:, None])  # rows x bounds
    f = F * (1 - F)
    fu = np.column_stack([f, np.zeros(n)])  # upper bound density per category
    fl = np.column_stack([np.zeros(n), f])  # lower
    p = np.clip(np.diff(np.column_stack([np.zeros(n), F, np.ones(n)]), axis=1), 1e-300, None)
    if np.all(counts.max(axis=1) == counts.sum(axis=1)):
        # observed categories (one per row): only that category's gradient counts
        rows, c = np.arange(n), counts.argmax(axis=1)
        w = np.sqrt(counts[rows, c]) / p[rows, c]
        M = np.zeros((n, k + n_cat - 1))
        M[:, :k] = -((fu[rows, c] - fl[rows, c]) * w)[:, None] * X
        up, lo = c < n_cat - 1, c > 0
        M[rows[up], k + c[up]] = fu[rows[up], c[up]] * w[up]
        M[rows[lo], k + c[lo] - 1] = -fl[rows[lo], c[lo]] * w[lo]
    else:
        G = np.zeros((n, n_cat, k + n_cat - 1))
        G[:, :, :k] = -(fu - fl)[:, :, None] * X[:, None, :]
        idx = np.arange(n_cat - 1)
        G[:, idx, k + idx] = fu[:, idx]
        G[:, idx + 1, k + idx] = -fl[:, idx + 1]
        M = (G * (np.sqrt(counts) / p)[:, :, None]).reshape(-1, G.shape[2])
    info = M.T @ M
    r = counts / p
    a = f * (1 - 2 * F) * (r[:, :-1] - r[:, 1:])  # rows x bounds
    curv = np.zeros_like(info)
    curv[:k, :k] = X.T @ (X * a.sum(axis=1)[:, None])
    curv[:k, k:] = -(X.T @ a)
    curv[k:, :k] = curv[:k, k:].T
    curv[k:, k:] = np.diag(a.sum(axis=0))
    return info - curv


def fit_ordinal(X, counts, groups, start):
    """Ordinal logit by Newton's method (analytic scores and observed information):
    (slopes then cut-points, covariance) or None."""
    params = np.array(start, dtype=float)
    k = X.shape[1]
    for _ in range(MAX_ITER):
        grad = _ordinal_parts(X, counts, params)[1].sum(axis=0)
        try:
            step = np.linalg.solve(_information(X, counts, params), grad)
        except np.linalg.LinAlgError:
            return None
        params = params + step
        if not np.all(np.isfinite(params)) or np.any(np.diff(params[k:]) <= 0):
            return None
        if np.max(np.abs(step)) < 1e-6:  # Newton: the next step would be ~1e-12
            break
    else:
        return None
    if np.max(np.abs(params[:k])) > COEF_HUGE:
        return None
    if groups is None:
        return params, None
    bread = np.linalg.inv(_information(X, counts, params))
    cov = _cluster_cov(bread, _ordinal_parts(X, counts, params)[1], groups)
    if not np.all(np.isfinite(cov)) or np.sqrt(np.max(np.diag(cov))) > SE_HUGE:
        return None
    return params, cov


def fit_binomial_batch(X, Y, trials, groups, start, masks):
    """:func:`fit_binomial` for many outcome vectors at once (rows of ``Y``, the rows
    each uses in ``masks``), vectorised over the seeds: (estimates S x K, covariances
    S x K x K, ok S). A seed whose fit does not converge or looks separated is not ok."""
    S, n = Y.shape
    k = X.shape[1]
    W0 = masks.astype(float)
    XX = (X[:, :, None] * X[:, None, :]).reshape(n, k * k)
    beta = np.tile(np.asarray(start, dtype=float), (S, 1))
    ok = np.ones(S, dtype=bool)
    done = np.zeros(S, dtype=bool)

    def info_at(b):
        mu = expit(b @ X.T)
        return mu, ((W0 * trials * mu * (1 - mu)) @ XX).reshape(S, k, k)

    for _ in range(MAX_ITER):
        mu, info = info_at(beta)
        grad = (W0 * (Y - trials * mu)) @ X
        step = np.zeros_like(beta)
        live = ok & ~done
        try:
            step[live] = np.linalg.solve(info[live], grad[live][:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            for s in np.flatnonzero(live):
                try:
                    step[s] = np.linalg.solve(info[s], grad[s])
                except np.linalg.LinAlgError:
                    ok[s] = False
        beta = beta + step
        bad = ~np.isfinite(beta).all(axis=1) | (np.abs(beta).max(axis=1) > 50)
        ok &= ~bad
        beta[bad] = 0.0
        done |= np.abs(step).max(axis=1) < TOL
        if (done | ~ok).all():
            break
    ok &= done & (np.abs(beta).max(axis=1) <= COEF_HUGE)
    mu, info = info_at(beta)
    cov = np.full((S, k, k), np.nan)
    good = np.flatnonzero(ok)
    if not len(good):
        return beta, cov, ok
    bread = np.linalg.inv(info[good])
    scores = (W0[good] * (Y[good] - trials * mu[good]))[:, :, None] * X[None, :, :]
    g = int(groups.max()) + 1
    idx = (np.arange(len(good))[:, None] * g + groups[None, :]).ravel()
    sg = np.stack(
        [np.bincount(idx, scores[:, :, j].ravel(), len(good) * g) for j in range(k)], axis=1
    ).reshape(len(good), g, k)
    n_g = np.array([len(np.unique(groups[masks[s]])) for s in good])
    n_s = masks[good].sum(axis=1)
    c = n_g / np.maximum(n_g - 1, 1) * (n_s - 1) / np.maximum(n_s - k, 1)
    cov[good] = c[:, None, None] * bread @ np.einsum("sgi,sgj->sij", sg, sg) @ bread
    se_ok = np.isfinite(cov[good]).all(axis=(1, 2))
    se_ok &= np.sqrt(np.diagonal(cov[good], axis1=1, axis2=2).max(axis=1)) <= SE_HUGE
    ok[good[~se_ok]] = False
    return beta, cov, ok
