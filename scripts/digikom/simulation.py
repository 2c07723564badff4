"""The simulation study (synthetic default only; ADEMP design in docs/simulation.md): do
the models of config/models.yaml estimate what the data-generating mechanism implies, with
intervals that cover it as often as they claim?

Per model and scenario (digikom.superpop): the design is built once, each seed draws the
outcome afresh, and the working model is fitted with digikom.study_fit. Seed k of a
scenario uses ``SeedSequence(seed, spawn_key=(1, scenario, k))``, so its draws do not
depend on the chunking (``simulation.seeds_per_job``). Every seed is evaluated: a fit that
fails counts as failed (``n_failed``), it is never dropped.

True values, without Monte Carlo error: ``default`` fits the working model to the expected
outcomes E[y | x] of the respondents' rows (the pseudo-true value of a model that need not
have the generator's form); ``correct`` plants those values and draws the outcome from the
working model itself; ``mnar`` fits E[y | x] over every row of the frames (what the model
would estimate if every municipality answered).

The predictive check of the validation figures draws whole panels from the
superpopulation generator (seed :func:`replicate_seed`) and recomputes the scorecard's
validation figures on each (digikom.simulation_checks).
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

# Spawn keys under the config seed: study draws (1, scenario, k); the cut-points and the
# covariate panel (2,); the validation panels (3, k).
STUDY_KEY = 1
TRUTH_KEY = 2
PANEL_KEY = 3

ESTIMATE_COLUMNS = [
    "scenario",
    "seed_index",
    "model",
    "term",
    "term_type",
    "true",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "status",
]
VALIDATION_COLUMNS = [
    "seed_index",
    "seed",
    "target_id",
    "reference",
    "year",
    "published_low",
    "published_high",
    "reproduced",
]
RECOVERY_COLUMNS = [
    "scenario",
    "model",
    "term",
    "term_type",
    "true",
    "mean_estimate",
    "bias",
    "bias_mcse",
    "sd_estimate",
    "sd_mcse",
    "mean_se",
    "se_ratio",
    "se_rel_error",
    "se_rel_error_mcse",
    "coverage",
    "coverage_mcse",
    "be_coverage",
    "be_coverage_mcse",
    "n_seeds",
    "n_failed",
    "bias_flag",
    "coverage_flag",
    "se_flag",
    "confidence",
]
SUMMARY_COLUMNS = [
    "target_id",
    "reference",
    "year",
    "published",
    "pred_low",
    "pred_median",
    "pred_high",
    "percentile",
    "n_seeds",
    "outside",
]
# a departure from nominal is flagged beyond this many Monte Carlo SEs (both directions)
FLAG_MCSE = 3.0

# --------------------------------------------------------------------------- seeds


def replicate_seed(seed: int, k: int) -> int:
    """The generator seed of validation panel ``k`` (0-based): depends only on (seed, k)."""
    ss = np.random.SeedSequence(int(seed), spawn_key=(PANEL_KEY, int(k)))
    return int(ss.generate_state(1, dtype=np.uint32)[0])


def truth_seed(seed: int) -> int:
    """The generator seed of the cut-points' solve and of the study's covariates."""
    ss = np.random.SeedSequence(int(seed), spawn_key=(TRUTH_KEY,))
    return int(ss.generate_state(1, dtype=np.uint32)[0])


def study_rng(seed: int, scenario: str, k: int) -> np.random.Generator:
    """The random stream of seed ``k`` of ``scenario`` (the same for every chunking)."""
    from .superpop import SCENARIOS

    key = (STUDY_KEY, SCENARIOS.index(scenario), int(k))
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=key))


def n_chunks(seeds: int, per_job: int) -> int:
    return max(1, math.ceil(int(seeds) / int(per_job)))


def chunk_indices(seeds: int, per_job: int, chunk: int) -> list[int]:
    """The replicate indices of chunk ``chunk``: [chunk * per_job, ...) up to S."""
    start = int(chunk) * int(per_job)
    return list(range(start, min(start + int(per_job), int(seeds))))


# --------------------------------------------------------------------------- the study


def _fit(d, y, rows, start, with_cov=True):
    """(estimates, covariance) of the working model on ``rows``, or None (failed)."""
    from .study_fit import fit_binomial, fit_ordinal

    groups = d.groups[rows] if with_cov else None
    if d.kind == "ordinal":
        if y.ndim == 1:  # observed categories -> one-hot counts
            y = (y[:, None] == np.arange(1, 6)[None, :]).astype(float)
        return fit_ordinal(d.X[rows], y[rows], groups, start)
    return fit_binomial(d.X[rows], y[rows], d.trials[rows], groups, start)


def _start(d) -> np.ndarray:
    k = d.X.shape[1]
    return np.concatenate([np.zeros(k), [-2.0, -1.0, 1.0, 2.0]]) if d.kind == "ordinal" else None


def term_names(d) -> tuple[list[str], list[str]]:
    """The terms of a design (ordinal: slopes, then the cut-points 1/2 ... 4/5), and each
    term's type as in the model results (intercept, coefficient, threshold)."""
    names = list(d.names)
    types = ["intercept" if n == "Intercept" else "coefficient" for n in names]
    if d.kind == "ordinal":
        c = d.categories
        names += [f"{c[i]:g}/{c[i + 1]:g}" for i in range(len(c) - 1)]
        types += ["threshold"] * (len(c) - 1)
    return names, types


def true_values(designs: dict, params: dict) -> dict[str, np.ndarray]:
    """Per scenario, the true parameter vector (see the module doc): the working model
    fitted to the expected outcomes, no Monte Carlo error."""
    from .superpop import expected

    out = {}
    dflt = designs.get("default") or next(iter(designs.values()))
    ex = expected(dflt, params)
    base = _fit(dflt, ex, dflt.answers, _start(dflt), with_cov=False)
    for scenario, d in designs.items():
        if scenario == "mnar":
            every = np.ones(len(d.eta), dtype=bool)
            fit = _fit(d, expected(d, params), every, _start(d), with_cov=False)
            out[scenario] = None if fit is None else fit[0]
        else:  # default, and correct, which plants the default's values
            out[scenario] = None if base is None else base[0]
    return out


def simulate_model(spec, panel, latent, cuts, params, scenarios, indices, seed, confidence,
                   mnar_slope) -> pd.DataFrame:  # fmt: skip
    """Estimates of one model over the seeds ``indices`` of every scenario: one row per
    seed and term, a failed fit's rows with status ``failed`` and no estimate."""
    from .stats import z_value
    from .superpop import build_design, draw

    z = z_value(confidence)
    designs = {s: build_design(panel, latent, spec, s, cuts) for s in scenarios}
    truth = true_values(designs, params)
    parts = []
    for scenario, d in designs.items():
        names, types = term_names(d)
        true = truth[scenario]
        est = np.full((len(indices), len(names)), np.nan)
        se = est.copy()
        if true is not None:
            draws = [
                draw(d, study_rng(seed, scenario, k), params, true, mnar_slope) for k in indices
            ]
            if d.kind == "ordinal":
                for i, (y, rows) in enumerate(draws):
                    fit = _fit(d, y, rows, true)
                    if fit is not None:
                        est[i], se[i] = fit[0], np.sqrt(np.diag(fit[1]))
            elif draws:  # all seeds at once (digikom.study_fit.fit_binomial_batch)
                from .study_fit import fit_binomial_batch

                Y = np.array([y for y, _ in draws])
                masks = np.array([rows for _, rows in draws])
                b, cov, ok = fit_binomial_batch(d.X, Y, d.trials, d.groups, true, masks)
                est[ok] = b[ok]
                se[ok] = np.sqrt(np.diagonal(cov[ok], axis1=1, axis2=2))
        failed = ~np.isfinite(est).all(axis=1)
        est[failed] = se[failed] = np.nan
        parts.append(
            pd.DataFrame(
                {
                    "scenario": scenario,
                    "seed_index": np.repeat(list(indices), len(names)),
                    "model": spec["id"],
                    "term": names * len(indices),
                    "term_type": types * len(indices),
                    "true": np.tile(
                        np.full(len(names), np.nan) if true is None else true, len(indices)
                    ),
                    "estimate": est.ravel(),
                    "se": se.ravel(),
                    "ci_low": (est - z * se).ravel(),
                    "ci_high": (est + z * se).ravel(),
                    "status": np.repeat(np.where(failed, "failed", "ok"), len(names)),
                }
            )
        )
        log.info(
            "model %s, %s: %d seeds, %d failed", spec["id"], scenario, len(indices), failed.sum()
        )
    return pd.concat(parts, ignore_index=True)[ESTIMATE_COLUMNS]


# --------------------------------------------------------------------------- summaries


def recovery_table(estimates: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """Per scenario, model and term, the performance measures of Morris, White & Crowther
    (2019) with their Monte Carlo SEs (n = seeds whose fit worked):

    bias = mean(est) - true, MCSE sd / sqrt(n); empirical SE sd (ddof 1), MCSE
    sd / sqrt(2 (n - 1)); model SE sqrt(mean(se^2)) and its relative error model/sd - 1,
    MCSE (model/sd) sqrt(var(se^2) / (4 n model^4) + 1 / (2 (n - 1))); coverage of the true
    value and bias-eliminated coverage (of the mean estimate), MCSE sqrt(c (1 - c) / n);
    n_failed = seeds whose fit failed. A flag marks a departure beyond 3 MCSE from nominal
    (bias 0, relative error 0, coverage = confidence with MCSE at the nominal level)."""
    keys = ["scenario", "model", "term"]
    rows = []
    for (scenario, model, term), g in estimates.groupby(keys, sort=False):
        ok = g[np.isfinite(g["estimate"].astype(float))]
        n = len(ok)
        est, se = ok["estimate"].to_numpy(float), ok["se"].to_numpy(float)
        lo, hi = ok["ci_low"].to_numpy(float), ok["ci_high"].to_numpy(float)
        true = float(g["true"].iloc[0])
        sd = float(np.std(est, ddof=1)) if n > 1 else np.nan
        mean = float(np.mean(est)) if n else np.nan
        model_se = float(np.sqrt(np.mean(se**2))) if n else np.nan
        ratio = model_se / sd if n > 1 and sd > 0 else np.nan
        rel_mcse = (
            ratio * math.sqrt(np.var(se**2, ddof=1) / (4 * n * model_se**4) + 1 / (2 * (n - 1)))
            if n > 1 and np.isfinite(ratio)
            else np.nan
        )
        cov = float(np.mean((lo <= true) & (true <= hi))) if n else np.nan
        be = float(np.mean((lo <= mean) & (mean <= hi))) if n else np.nan
        rows.append(
            dict(
                scenario=scenario,
                model=model,
                term=term,
                term_type=g["term_type"].iloc[0],
                true=true,
                mean_estimate=mean,
                bias=mean - true,
                bias_mcse=sd / math.sqrt(n) if n > 1 else np.nan,
                sd_estimate=sd,
                sd_mcse=sd / math.sqrt(2 * (n - 1)) if n > 1 else np.nan,
                mean_se=float(np.mean(se)) if n else np.nan,
                se_ratio=sd / model_se if n > 1 else np.nan,
                se_rel_error=ratio - 1,
                se_rel_error_mcse=rel_mcse,
                coverage=cov,
                coverage_mcse=math.sqrt(cov * (1 - cov) / n) if n else np.nan,
                be_coverage=be,
                be_coverage_mcse=math.sqrt(be * (1 - be) / n) if n else np.nan,
                n_seeds=n,
                n_failed=len(g) - n,
            )
        )
    out = pd.DataFrame(rows, columns=RECOVERY_COLUMNS)
    nominal_mcse = np.sqrt(confidence * (1 - confidence) / out["n_seeds"].clip(lower=1))
    out["bias_flag"] = (out["bias"].abs() > FLAG_MCSE * out["bias_mcse"]).astype(bool)
    out["coverage_flag"] = ((out["coverage"] - confidence).abs() > FLAG_MCSE * nominal_mcse).astype(
        bool
    )
    out["se_flag"] = (out["se_rel_error"].abs() > FLAG_MCSE * out["se_rel_error_mcse"]).astype(bool)
    out["confidence"] = float(confidence)
    return out[RECOVERY_COLUMNS]


def validation_summary(rows: pd.DataFrame, level: float | None = None) -> pd.DataFrame:
    """Per validation figure, the predictive check over the simulated panels: the central
    ``level`` range of the panels' values (pred_low, pred_high), the published figure's
    percentile among them (ties count half; the figure is the middle of the range its
    published precision or words allow) and ``outside``: all of that range lies outside
    the central range (``level``: digikom.replication.PREDICTIVE_LEVEL)."""
    from .replication import PREDICTIVE_LEVEL

    level = PREDICTIVE_LEVEL if level is None else level
    rows = rows[rows["reference"].astype(str) != "frame"]  # a frame count is no survey figure
    if rows.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    a = (1 - level) / 2
    out = []
    for (tid, ref, year), g in rows.groupby(["target_id", "reference", "year"], sort=True):
        v = g["reproduced"].astype(float).dropna().to_numpy()
        lo_pub, hi_pub = float(g["published_low"].iloc[0]), float(g["published_high"].iloc[0])
        if not len(v) or not (np.isfinite(lo_pub) and np.isfinite(hi_pub)):
            continue
        pub = (lo_pub + hi_pub) / 2
        lo, med, hi = np.quantile(v, [a, 0.5, 1 - a])
        pct = float(np.mean(v < pub) + 0.5 * np.mean(v == pub))
        outside = bool(hi_pub < lo or lo_pub > hi)
        out.append(
            dict(
                target_id=tid,
                reference=ref,
                year=int(year),
                published=pub,
                pred_low=lo,
                pred_median=med,
                pred_high=hi,
                percentile=pct,
                n_seeds=len(v),
                outside=outside,
            )  # fmt: skip
        )
    return pd.DataFrame(out, columns=SUMMARY_COLUMNS)


class PanelTemplate:
    """A whole panel built once (digikom.panel.build_panel: frames, size groups, codes in
    the 2024 structure); each simulated panel only sets its answers, who responded, the
    competence dummy and the nonresponse weights, as build_panel would (tested against
    it in tests/test_simulation.py)."""

    def __init__(self, micro: pd.DataFrame, data: dict):
        from .panel import build_panel

        self.codebook = data["codebook"]
        self.panel = build_panel(
            micro.drop(columns="responded"), data["frames"], data["size_groups"],
            data["codebook"], data["crosswalk"],
        )  # fmt: skip
        key = micro["kommunenr"].astype(str) + "/" + micro["year"].astype(str)
        pos = pd.Series(np.arange(len(micro)), index=key.to_numpy())
        pk = self.panel["kommunenr"].astype(str) + "/" + self.panel["year"].astype(str)
        self.order = pos[pk.to_numpy()].to_numpy()
        self.answers = [c for c in micro.columns if c not in ("kommunenr", "year", "responded")]

    def fill(self, micro: pd.DataFrame) -> pd.DataFrame:
        from .panel import nonresponse_weights

        panel = self.panel.copy()
        responded = micro["responded"].to_numpy(bool)[self.order]
        for c in self.answers:
            v = micro[c].to_numpy()[self.order]
            panel[c] = pd.array(v, dtype="Int64").astype("Int64")
            panel.loc[~responded, c] = pd.NA
        panel["responded"] = responded
        high = self.codebook["variables"]["competence_barrier"]["levels"]["high"]["values"]
        cb = panel["competence_barrier"]
        panel["competence_large"] = cb.isin(high).astype("Int64").where(cb.notna())
        panel["weight"] = nonresponse_weights(panel)
        return panel


def validation_panels(indices, seed, data, cuts, validation) -> pd.DataFrame:
    """The validation figures of the superpopulation panels ``indices`` (each a whole
    panel: responding municipalities, as a survey would see them)."""
    from .simulation_checks import validation_rows
    from .synthetic import Cuts, generate

    out = []
    template = None
    for k in indices:
        s = replicate_seed(seed, k)
        micro = generate(
            data["frames"], data["params"], data["codebook"], data["targets"], s,
            data["crosswalk"], Cuts(cuts),
        )  # fmt: skip
        template = template or PanelTemplate(micro, data)
        panel = template.fill(micro)
        v = validation_rows(
            panel, data["targets"], validation["rules"], data["codebook"],
            validation["waves"], validation["calibration"], validation.get("statbank"),
        )  # fmt: skip
        v.insert(0, "seed", s)
        v.insert(0, "seed_index", k)
        out.append(v)
    if not out:
        return pd.DataFrame(columns=VALIDATION_COLUMNS)
    return pd.concat(out, ignore_index=True)[VALIDATION_COLUMNS]
