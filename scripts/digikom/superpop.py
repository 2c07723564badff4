"""The superpopulation of the simulation study (docs/simulation.md): the report's generator
with its cut-points (intercepts) solved once and then held fixed, so every outcome is drawn
independently for each simulated panel, and the scenarios built on it.

* :func:`solve_cuts`: the generator's cut-points, solved once against the target shares on
  the frames replicated ``factor`` times (digikom.synthetic.Cuts).
* :func:`covariate_panel`: one superpopulation draw over every frame row (non-respondents
  included), with each outcome's linear predictor without its own error (``latent``).
* :class:`Design`: one model in one scenario: its design matrix (built once, through
  digikom.models.design), clusters, the rows that answer, and how its outcome is drawn.
  The covariates are held fixed over the seeds (a fixed-design study); each seed draws
  the model's outcome afresh (and, in scenario ``mnar``, who answers).

Scenarios: ``default`` draws the outcome from the report's generator (each municipality's
persistent trait and a fresh error per wave, the generator's own conditional distribution
given the other variables); ``correct`` draws it from the working model itself at the
planted values (the default scenario's true values); ``mnar`` is ``default`` with an answer
whose probability depends on the outcome (``mnar_slope`` logit units per unit of the
outcome's share scale)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import norm

from .synthetic import LOGIT_SD, Cuts, generate

# outcomes the study can draw from the generator, by kind
BINARY = ("cloud_use", "eprocurement", "has_strategy", "competence_large", "tried_recruit")
COUNTS = ("internal_functions", "digital_services")
ORDINAL = ("competence_barrier",)
SCENARIOS = ("correct", "default", "mnar")
# Gauss-Hermite nodes for E[expit(eta + sd * e)], e standard normal
_GH = np.polynomial.hermite_e.hermegauss(40)


def solve_cuts(frames, params, codebook, targets, crosswalk, seed, factor) -> dict:
    """The cut-points of every calibrated outcome, solved on the realised sample of the
    frames replicated ``factor`` times (the share error is about 1/sqrt(factor) of one
    panel's sampling error, and it is fixed for the whole study)."""

    big, cw = replicate_frames(frames, crosswalk, factor)
    cuts = Cuts()
    generate(big, params, codebook, targets, seed, cw, cuts=cuts)
    return cuts.values


def covariate_panel(frames, params, codebook, targets, crosswalk, size_groups, cuts, seed):
    """(panel of every frame row as if all answered, the generator's ``responded`` per
    panel row, ``latent`` per panel row): one superpopulation draw."""
    from .panel import build_panel

    lat: dict = {}
    micro = generate(frames, params, codebook, targets, seed, crosswalk, Cuts(cuts), lat)
    responded = micro.pop("responded").to_numpy(bool)
    panel = build_panel(micro, frames, size_groups, codebook, crosswalk)
    key = micro["kommunenr"].astype(str) + "/" + micro["year"].astype(str)
    pos = pd.Series(np.arange(len(micro)), index=key.to_numpy())
    order = pos[(panel["kommunenr"].astype(str) + "/" + panel["year"].astype(str)).to_numpy()]
    order = order.to_numpy()
    latent = {k: np.asarray(v)[order] for k, v in lat.items()}
    latent["responded"] = responded[order]
    return panel, latent


@dataclass
class Design:
    """One model in one scenario (see the module doc)."""

    spec: dict
    scenario: str
    kind: str  # binary | count | ordinal
    X: np.ndarray
    names: list[str]
    groups: np.ndarray
    trials: np.ndarray
    eta: np.ndarray  # the outcome's linear predictor without its own error
    units: np.ndarray  # municipality (trait) index of each row
    n_units: int
    answers: np.ndarray  # rows that answer (fixed; mnar: redrawn per seed)
    resp_eta: np.ndarray
    cuts: np.ndarray | None = None  # ordinal: per row (1, 2, 4, 5 boundaries)
    categories: list = field(default_factory=list)


def _kind(outcome: str) -> str:
    from .errors import ConfigError

    for kind, names in (("binary", BINARY), ("count", COUNTS), ("ordinal", ORDINAL)):
        if outcome in names:
            return kind
    raise ConfigError(
        f"config/models.yaml: outcome '{outcome}': the simulation study cannot draw it "
        f"from the generator (it can: {', '.join(BINARY + COUNTS + ORDINAL)})"
    )


def build_design(panel, latent, spec, scenario, cuts) -> Design:
    """The design of ``spec`` over every frame row with the outcome's covariates (the
    respondent filter is the scenario's, see :class:`Design`)."""
    from .models.design import build_design as patsy_design
    from .models.design import estimation_frame, prune_columns

    kind = _kind(spec["outcome"])
    pan = panel.assign(responded=True, _row=np.arange(len(panel)))
    frame, _ = estimation_frame(pan, spec, keep=("_row",))
    rows = frame["_row"].to_numpy()
    X_full, _ = patsy_design(frame, spec)
    if kind == "ordinal" and "Intercept" in X_full.columns:
        X_full = X_full.drop(columns="Intercept")
    kept = prune_columns(X_full, lambda msg: None, kind == "ordinal")
    m = spec.get("trials_max", 1) if kind == "count" else 1
    units = pd.factorize(pd.Series(latent["unit"][rows]))[0]
    d = Design(
        spec=spec,
        scenario=scenario,
        kind=kind,
        X=X_full[kept].to_numpy(float),
        names=list(kept),
        groups=pd.factorize(frame["kommunenr_2024" if "kommunenr_2024" in frame else "kommunenr"])[
            0
        ],
        trials=np.full(len(rows), float(m)),
        eta=latent[spec["outcome"]][rows],
        units=units,
        n_units=int(units.max()) + 1,
        answers=latent["responded"][rows],
        resp_eta=latent["response"][rows],
    )
    if kind == "ordinal":
        years = frame["year"].to_numpy()
        d.cuts = np.array(
            [
                [
                    -cuts[f"competence_barrier/{y}/1"],
                    -cuts[f"competence_barrier/{y}/low"],
                    cuts[f"competence_barrier/{y}/high"],
                    cuts[f"competence_barrier/{y}/5"],
                ]
                for y in years
            ]
        )
        d.categories = [1, 2, 3, 4, 5]
    return d


# --------------------------------------------------------------------------- expectations


def expected(d: Design, params: dict) -> np.ndarray:
    """E[outcome | covariates] per row under the generator: the share scale for binary
    and count outcomes (times the trials), category probabilities (rows x 5) for the
    ordinal one. The outcome's own error is integrated out exactly (normal, with the
    persistent trait included: it is part of the error's marginal distribution)."""
    if d.kind == "binary":
        return norm.cdf(d.eta / LOGIT_SD)
    if d.kind == "count":
        sd = float(params.get("persistence", {}).get("count_sd", 0.0))
        x, w = _GH
        return d.trials * (expit(d.eta[:, None] + sd * x[None, :]) @ w) / w.sum()
    F = norm.cdf((d.cuts - d.eta[:, None]) / LOGIT_SD)  # P(latent <= boundary)
    F = np.column_stack([np.zeros(len(F)), F, np.ones(len(F))])
    return np.diff(F, axis=1)


def share_scale(d: Design, y: np.ndarray) -> np.ndarray:
    """The outcome on a 0-1 scale (for the outcome-dependent answering of ``mnar``)."""
    if d.kind == "ordinal":
        return (y - 1) / 4
    return y / d.trials


# --------------------------------------------------------------------------- draws


def _errors(d: Design, rng, rho: float) -> np.ndarray:
    """Standard-normal errors with wave-to-wave correlation rho within a municipality."""
    trait = rng.standard_normal(d.n_units)[d.units]
    return np.sqrt(rho) * trait + np.sqrt(1 - rho) * rng.standard_normal(len(d.eta))


def draw(d: Design, rng, params: dict, planted: np.ndarray | None = None, mnar: float = 0.0):
    """One seed: (outcome per row, rows that answer)."""
    rho = float(params.get("persistence", {}).get("correlation", 0.0))
    if d.scenario == "correct":
        k = d.X.shape[1]
        eta = d.X @ planted[:k]
        if d.kind == "ordinal":
            lat = eta + rng.logistic(size=len(eta))
            y = 1 + np.sum(lat[:, None] > planted[k:][None, :], axis=1)
        else:
            y = rng.binomial(d.trials.astype(int), expit(eta)).astype(float)
        return y.astype(float), d.answers
    e = _errors(d, rng, rho)
    if d.kind == "binary":
        y = (d.eta + LOGIT_SD * e > 0).astype(float)
    elif d.kind == "count":
        sd = float(params.get("persistence", {}).get("count_sd", 0.0))
        y = rng.binomial(d.trials.astype(int), expit(d.eta + sd * e)).astype(float)
    else:
        lat = d.eta + LOGIT_SD * e
        y = 1.0 + np.sum(lat[:, None] > d.cuts, axis=1)
    if d.scenario != "mnar":
        return y, d.answers
    centre = float(np.mean(share_scale(d, _mean_outcome(d, params))))
    r = d.resp_eta + mnar * (share_scale(d, y) - centre) + LOGIT_SD * _errors(d, rng, rho)
    return y, r > 0


def _mean_outcome(d: Design, params: dict) -> np.ndarray:
    ex = expected(d, params)
    return ex @ np.arange(1, 6) if d.kind == "ordinal" else ex


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
