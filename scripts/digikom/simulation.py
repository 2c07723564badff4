"""The parameter-recovery simulation (synthetic default only): do the models of
config/models.yaml recover what the synthetic generator planted, with honest intervals?

Every model is fitted on S synthetic panels (``simulation.seeds``). Panel k (0-based) is
generated with the integer seed :func:`replicate_seed` ``(seed, k)``: the first 32-bit word
of ``numpy.random.SeedSequence(seed, spawn_key=(1, k))``, where ``seed`` is the config's
``seed``. A replicate's seed depends only on (seed, k), so its rows are the same whatever
the chunk size (``simulation.seeds_per_job``) or the order in which chunks run.

True values (:func:`truth_table`), per model term and declared effect of interest:

* ``generator``: the generator's own parameter, where the model has the generator's form:
  a binomial model of a count the generator draws as Binomial(items, expit(base[wave] +
  size_slope * z + slope * competence_large)) with exactly those terms (log population, the
  competence dummy where the generator has that slope, C(year)), no subset, no weights, and
  no municipality effect on the count items (``persistence.count_sd`` = 0). Then the
  log-population coefficient is ``size_slope / size_scale``, a year term ``base[year] -
  base[reference]``, the intercept ``base[reference] - size_slope * ln(size_center) /
  size_scale``.
* ``pseudo_true``: every other term and every effect: the estimate from one fit on a panel
  ``truth_scale`` times as large (each municipality of every frame replicated with new
  codes, its own traits and answers; seed from spawn key (2,)). With a municipality effect
  on the counts (``count_sd`` > 0) or latent errors that are normal rather than logistic
  (the binary items), a model without that effect estimates the population-averaged
  (marginal) coefficient, which is smaller in size than the generator's conditional slope:
  that marginal value is what the model estimates, so it is the truth the intervals are
  judged against. ``planted`` keeps the generator's slope on the model's scale for
  comparison where the generator has one (binomial count models).

The validation checks of the replication scorecard are recomputed on each panel; a
check's pass share over the seeds tells how much a pass or fail depends on the seed.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

# Spawn keys under the config seed: replicate k -> (1, k); the large truth panel -> (2,).
# (digikom.bootstrap uses (c,) for its chunks: a different key, a different stream.)
REPLICATE_KEY = 1
TRUTH_KEY = 2

ESTIMATE_COLUMNS = [
    "seed_index",
    "seed",
    "model",
    "kind",
    "term",
    "category",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "status",
]
VALIDATION_COLUMNS = ["seed_index", "seed", "target_id", "reference", "year", "passed"]
TRUTH_COLUMNS = ["model", "kind", "term", "category", "true", "true_source", "planted"]
RECOVERY_COLUMNS = [
    "model",
    "kind",
    "term",
    "category",
    "true",
    "true_source",
    "planted",
    "mean_estimate",
    "bias",
    "sd_estimate",
    "mean_se",
    "coverage",
    "n_seeds",
    "confidence",
]
SUMMARY_COLUMNS = ["target_id", "reference", "year", "n_seeds", "n_pass", "pass_share"]

# Generator sections drawn as Binomial(items, expit(base[wave] + size_slope * z [+ slope *
# competence_large])) and the slope key of the competence term, if any. Other count
# sections have extra structure (strategy_areas: zero without a strategy; project_areas:
# extra growth below median size), so no model of them has the generator's form.
BINOMIAL_SECTIONS = {"internal_functions": None, "digital_services": "competence_large_slope"}
YEAR_TERM = "C(year)[T.{}]"


# --------------------------------------------------------------------------- seeds


def replicate_seed(seed: int, k: int) -> int:
    """The generator seed of replicate ``k`` (0-based): depends only on (seed, k)."""
    ss = np.random.SeedSequence(int(seed), spawn_key=(REPLICATE_KEY, int(k)))
    return int(ss.generate_state(1, dtype=np.uint32)[0])


def truth_seed(seed: int) -> int:
    """The generator seed of the large panel that gives the pseudo-true values."""
    ss = np.random.SeedSequence(int(seed), spawn_key=(TRUTH_KEY,))
    return int(ss.generate_state(1, dtype=np.uint32)[0])


def n_chunks(seeds: int, per_job: int) -> int:
    return max(1, math.ceil(int(seeds) / int(per_job)))


def chunk_indices(seeds: int, per_job: int, chunk: int) -> list[int]:
    """The replicate indices of chunk ``chunk``: [chunk * per_job, ...) up to S."""
    start = int(chunk) * int(per_job)
    return list(range(start, min(start + int(per_job), int(seeds))))


# --------------------------------------------------------------------------- panels


def make_panel(frames, params, codebook, targets, crosswalk, size_groups, seed) -> pd.DataFrame:
    """One synthetic panel as rules synthesize_microdata and build_panel make it: the
    generator's microdata, typed and validated as a user's file would be, then the panel."""
    from . import panel as P
    from .synthetic import generate

    micro = generate(frames, params, codebook, targets, seed, crosswalk)
    typed = P.validate_microdata(
        P._as_text(micro), codebook, frames, sorted(frames), f"synthetic seed {seed}"
    )
    return P.build_panel(typed, frames, size_groups, codebook, crosswalk)


def replicate_frames(frames: dict, crosswalk: pd.DataFrame | None, factor: int):
    """Every municipality of every frame (and the crosswalk) ``factor`` times, copy r with
    the codes suffixed by r (copy 0 keeps the real codes)."""
    width = len(str(max(int(factor) - 1, 0)))

    def suffix(codes: pd.Series, r: int) -> pd.Series:
        return codes if r == 0 else codes.astype(str) + f"r{r:0{width}d}"

    big = {}
    for year, fr in frames.items():
        big[year] = pd.concat(
            [fr.assign(kommunenr=suffix(fr["kommunenr"], r)) for r in range(int(factor))],
            ignore_index=True,
        )
    cw = None
    if crosswalk is not None:
        cw = pd.concat(
            [
                crosswalk.assign(
                    kommunenummer=suffix(crosswalk["kommunenummer"], r),
                    kommunenummer_2024=suffix(crosswalk["kommunenummer_2024"], r),
                )
                for r in range(int(factor))
            ],
            ignore_index=True,
        )
    return big, cw


def make_large_panel(frames, params, codebook, targets, crosswalk, size_groups, seed, factor):
    """The panel of the pseudo-true values: frames replicated ``factor`` times. Its
    replicated codes are not real municipality numbers, so the generator's microdata go
    straight into the panel (the validation of make_panel would refuse those codes)."""
    from . import panel as P
    from .synthetic import generate

    big, cw = replicate_frames(frames, crosswalk, factor)
    micro = generate(big, params, codebook, targets, seed, cw)
    return P.build_panel(micro, big, size_groups, codebook, cw)


# --------------------------------------------------------------------------- fits


class _Demote(logging.Filter):
    """Fitting warnings of the simulated panels at INFO, counted: S panels would repeat
    the same separation warning S times on the console; one summary line says it."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def filter(self, record):
        if record.levelno == logging.WARNING:
            record.levelno, record.levelname = logging.INFO, "INFO"
            self.count += 1
        return True


def fit_rows(
    panel: pd.DataFrame, specs: list[dict], confidence: float, point_only: bool = False
) -> pd.DataFrame:
    """Per model: every coefficient (kind ``coefficient``; ordinal thresholds included) and
    every declared effect of interest (kind ``effect``: the average marginal effect, per
    outcome category for an ordinal model), with estimate, se and the interval at
    ``confidence`` (``point_only``: estimates only, se and interval NaN; see
    :func:`digikom.models.fit.fit_model`). A failed fit gives no rows (its status is
    logged)."""
    from .models.fit import fit_model

    rows = []
    for spec in specs:
        # predictions only where the model declares effects (their AMEs are needed)
        fit = fit_model(
            panel, dict(spec), None, None, bool(spec.get("effects")), confidence, point_only
        )
        if fit.status == "failed":
            log.warning("model %s failed: %s", spec["id"], "; ".join(fit.warnings))
            continue
        c = fit.coefficients
        rows.append(
            pd.DataFrame(
                {
                    "model": spec["id"],
                    "kind": "coefficient",
                    "term": c["term"],
                    "category": "",
                    "estimate": c["estimate"],
                    "se": c["std_error"],
                    "ci_low": c["conf_low"],
                    "ci_high": c["conf_high"],
                    "status": fit.status,
                }
            )
        )
        p = fit.predictions
        p = p[p["quantity"] == "ame"]
        rows.append(
            pd.DataFrame(
                {
                    "model": spec["id"],
                    "kind": "effect",
                    "term": p["effect"],
                    "category": p["category"].fillna("").astype(str),
                    "estimate": p["estimate"],
                    "se": p["std_error"],
                    "ci_low": p["conf_low"],
                    "ci_high": p["conf_high"],
                    "status": fit.status,
                }
            )
        )
    cols = ESTIMATE_COLUMNS[2:]
    rows = [r for r in rows if len(r)]
    return pd.concat(rows, ignore_index=True)[cols] if rows else pd.DataFrame(columns=cols)


def simulate_seeds(indices, seed, data, specs, confidence, validation=None):
    """Estimates and validation checks of the replicates ``indices``.

    ``data``: dict with frames, params, codebook, targets, crosswalk, size_groups.
    ``validation``: dict with rules, waves, calibration, statbank (None: no checks).
    Each replicate is computed on its own (its rows depend only on seed and k)."""
    est, val = [], []
    demote = _Demote()
    fit_log = logging.getLogger("digikom.models.fit")
    fit_log.addFilter(demote)
    try:
        for k in indices:
            _replicate(k, seed, data, specs, confidence, validation, est, val)
    finally:
        fit_log.removeFilter(demote)
    if demote.count:
        log.warning(
            "simulation: %d fitting warning(s) over %d panel(s) (each at INFO in this log); "
            "a diverging term does not count for its seed, and the report's simulation "
            "section gives the seeds per term",
            demote.count,
            len(indices),
        )
    e = pd.concat(est, ignore_index=True) if est else pd.DataFrame(columns=ESTIMATE_COLUMNS)
    v = pd.concat(val, ignore_index=True) if val else pd.DataFrame(columns=VALIDATION_COLUMNS)
    return e[ESTIMATE_COLUMNS], v[VALIDATION_COLUMNS]


def _replicate(k, seed, data, specs, confidence, validation, est, val):
    """Replicate k: its panel, fits and validation checks, appended to est and val."""
    # imported here: the truth rules, which use this module too, run no validation check
    # (digikom.codedeps then does not tie them to digikom.replication)
    from .simulation_checks import validation_rows

    s = replicate_seed(seed, k)
    panel = make_panel(
        data["frames"], data["params"], data["codebook"], data["targets"],
        data["crosswalk"], data["size_groups"], s,
    )  # fmt: skip
    rows = fit_rows(panel, specs, confidence)
    rows.insert(0, "seed", s)
    rows.insert(0, "seed_index", k)
    est.append(rows)
    if validation is not None:
        v = validation_rows(
            panel, data["targets"], validation["rules"], data["codebook"],
            validation["waves"], validation["calibration"], validation.get("statbank"),
        )  # fmt: skip
        v.insert(0, "seed", s)
        v.insert(0, "seed_index", k)
        val.append(v)
    log.info("replicate %d (seed %d): %d estimates", k, s, len(rows))


# --------------------------------------------------------------------------- truth


def _terms(formula: str) -> list[str]:
    return sorted(t.strip() for t in formula.split("+"))


def generator_truth(spec: dict, params: dict) -> dict[str, float]:
    """{term: value} of the generator's parameters on the model's scale where the model
    has the generator's form (see the module doc); {} otherwise."""
    section = spec["outcome"]
    if (
        spec["family"] != "binomial"
        or section not in BINOMIAL_SECTIONS
        or spec.get("subset")
        or spec.get("weights", "none") != "none"
        or float(params.get("persistence", {}).get("count_sd", 0.0)) != 0.0
        or (spec.get("reference") or {}).get("year") is not None
    ):
        return {}
    slope_key = BINOMIAL_SECTIONS[section]
    expected = ["C(year)", "log_population"] + (["competence_large"] if slope_key else [])
    if _terms(spec["formula"]) != sorted(expected):
        return {}
    p = params[section]
    scale, centre = float(params["size_scale"]), float(params["size_center"])
    base = {int(y): float(v) for y, v in p["base"].items()}
    ref = min(base)
    out = {
        "Intercept": base[ref] - float(p["size_slope"]) * math.log(centre) / scale,
        "log_population": float(p["size_slope"]) / scale,
    }
    if slope_key:
        out["competence_large"] = float(p[slope_key])
    for y in sorted(base):
        if y != ref:
            out[YEAR_TERM.format(y)] = base[y] - base[ref]
    return out


def planted_values(spec: dict, params: dict) -> dict[str, float]:
    """The generator's slopes on the scale of a binomial model of a binomial section
    (conditional on the municipality effect), whatever the model's form: for comparison
    with the true value the model estimates."""
    section = spec["outcome"]
    if spec["family"] != "binomial" or section not in BINOMIAL_SECTIONS:
        return {}
    p = params[section]
    out = {"log_population": float(p["size_slope"]) / float(params["size_scale"])}
    if BINOMIAL_SECTIONS[section]:
        out["competence_large"] = float(p[BINOMIAL_SECTIONS[section]])
    return out


def truth_table(large_panel: pd.DataFrame, specs: list[dict], params: dict, confidence: float):
    """True value of every coefficient and effect (see the module doc for the sources).
    Only the estimates are read, so the fits are point-only (the same estimates, without
    the cluster-robust covariance and delta-method Jacobians of the large panel)."""
    fits = fit_rows(large_panel, specs, confidence, point_only=True)
    rows = []
    for spec in specs:
        gen = generator_truth(spec, params)
        planted = planted_values(spec, params)
        f = fits[fits["model"] == spec["id"]]
        for r in f.itertuples(index=False):
            coef = r.kind == "coefficient"
            use_gen = coef and r.term in gen
            rows.append(
                dict(
                    model=spec["id"],
                    kind=r.kind,
                    term=r.term,
                    category=r.category,
                    true=gen[r.term] if use_gen else r.estimate,
                    true_source="generator" if use_gen else "pseudo_true",
                    planted=planted.get(r.term, np.nan) if coef else np.nan,
                )
            )
    return pd.DataFrame(rows, columns=TRUTH_COLUMNS)


# --------------------------------------------------------------------------- summaries


def recovery_table(estimates: pd.DataFrame, truth: pd.DataFrame, confidence: float):
    """Per model x kind x term x category: the true value, mean estimate, bias (mean
    estimate - true), SD of the estimates (ddof 1), mean standard error, coverage (share of
    seeds whose interval holds the true value) and n_seeds (seeds with a finite estimate)."""
    keys = ["model", "kind", "term", "category"]
    est = estimates.copy()
    est["category"] = est["category"].fillna("").astype(str)
    tr = truth.copy()
    tr["category"] = tr["category"].fillna("").astype(str)
    m = est.merge(tr, on=keys, how="inner")
    m = m[np.isfinite(m["estimate"].astype(float))]
    m["covered"] = (m["ci_low"] <= m["true"]) & (m["true"] <= m["ci_high"])
    g = m.groupby(keys, sort=False)
    out = g.agg(
        true=("true", "first"),
        true_source=("true_source", "first"),
        planted=("planted", "first"),
        mean_estimate=("estimate", "mean"),
        sd_estimate=("estimate", lambda s: s.std(ddof=1) if len(s) > 1 else np.nan),
        mean_se=("se", "mean"),
        coverage=("covered", "mean"),
        n_seeds=("estimate", "size"),
    ).reset_index()
    out["bias"] = out["mean_estimate"] - out["true"]
    out["confidence"] = float(confidence)
    # model order of the truth table (config order), then its term order
    order = tr[keys].reset_index(drop=True).reset_index().rename(columns={"index": "_o"})
    out = out.merge(order, on=keys, how="left").sort_values("_o").drop(columns="_o")
    return out[RECOVERY_COLUMNS].reset_index(drop=True)


def validation_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Per validation check: over how many seeds it was computable, how often it passed."""
    if rows.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    r = rows.assign(passed=rows["passed"].astype(str).str.lower().eq("true"))
    g = r.groupby(["target_id", "reference", "year"], sort=True)["passed"]
    out = g.agg(n_seeds="size", n_pass="sum").reset_index()
    out["n_pass"] = out["n_pass"].astype(int)
    out["pass_share"] = out["n_pass"] / out["n_seeds"]
    return out[SUMMARY_COLUMNS]


def far_from_nominal(recovery: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """Rows whose coverage lies outside the central 95 % range of a binomial(n_seeds,
    confidence) count of covering intervals, i.e. further from nominal than seed noise of
    n_seeds replicates explains."""
    from scipy.stats import binom

    n = recovery["n_seeds"].astype(int)
    lo = binom.ppf(0.025, n, confidence) / n
    hi = binom.ppf(0.975, n, confidence) / n
    bad = (recovery["coverage"] < lo) | (recovery["coverage"] > hi)
    return recovery[bad]


def se_mismatch(recovery: pd.DataFrame) -> pd.DataFrame:
    """Rows whose SD of the estimates over seeds differs from the mean standard error by
    more than seed noise explains: SD / mean SE outside the central 95 % range of
    sqrt(chi2(n - 1) / (n - 1)) (below: the intervals are too wide; above: too narrow)."""
    from scipy.stats import chi2

    df = (recovery["n_seeds"].astype(int) - 1).clip(lower=1)
    ratio = recovery["sd_estimate"] / recovery["mean_se"]
    lo = np.sqrt(chi2.ppf(0.025, df) / df)
    hi = np.sqrt(chi2.ppf(0.975, df) / df)
    out = recovery[(ratio < lo) | (ratio > hi)].copy()
    out["se_ratio"] = ratio[out.index]
    return out
