"""The synthetic municipality panel: a seeded generator on the real municipality frames,
calibrated to the published figures (intercepts solved on the realised sample).

Output is in "digikom panel format" (responding municipalities only), so it passes through
the same validation as a user's real microdata file."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from .published import resolve_share

log = logging.getLogger(__name__)

INPUT_ORDER = [
    "kommunenr",
    "year",
    "has_strategy",
    "strategy_areas",
    "project_areas",
    "internal_functions",
    "competence_barrier",
    "tried_recruit",
    "recruit_problems",
    "cloud_use",
    "eprocurement",
    "digital_services",
]


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def wave_spec(by_wave: dict, year: int, where: str):
    """The spec for ``year``; for a wave without one (e.g. a new wave) the latest earlier
    wave's spec is used, with a warning in the log."""
    keys = sorted(int(k) for k in by_wave)
    if year in keys:
        return by_wave[year] if year in by_wave else by_wave[str(year)]
    earlier = [k for k in keys if k < year] or keys[:1]
    use = earlier[-1]
    log.warning("%s: no value for wave %s; using wave %s", where, year, use)
    return by_wave[use] if use in by_wave else by_wave[str(use)]


def top_k(latent: np.ndarray, mask: np.ndarray, share: float) -> np.ndarray:
    """1 for the round(share * n) highest latent scores within ``mask``, else 0.
    This is solving for the intercept on the realised sample."""
    out = np.zeros(len(latent), dtype=int)
    idx = np.flatnonzero(mask)
    k = int(round(min(max(share, 0.0), 1.0) * len(idx)))
    if k > 0:
        order = idx[np.argsort(-latent[idx], kind="stable")]
        out[order[:k]] = 1
    return out


def calibrated_binary(latent, eligible, overall, within=None, levels=None):
    """Binary outcome among ``eligible`` rows: within-level shares met exactly, the
    overall share fixes the remaining rows."""
    out = np.zeros(len(latent), dtype=int)
    rest = eligible.copy()
    k_fixed = 0
    for level, share in (within or {}).items():
        m = eligible & (levels == level)
        out |= top_k(latent, m, share)
        k_fixed += int(out[m].sum())
        rest &= ~m
    if rest.any():
        k_total = int(round(overall * eligible.sum()))
        share_rest = (k_total - k_fixed) / rest.sum()
        out |= top_k(latent, rest, share_rest)
    return out


def generate_wave(
    frame: pd.DataFrame,
    year: int,
    params: dict,
    codebook: dict,
    targets: pd.DataFrame,
    seed: int,
    wave_index: int,
) -> pd.DataFrame:
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(year)]))
    n = len(frame)
    pop = frame["population"].to_numpy(dtype=float)
    z = (np.log(pop) - np.log(params["size_center"])) / params["size_scale"]
    var = codebook["variables"]

    def noise():
        return rng.logistic(size=n)

    def share(section: str, key: str = "overall", **kw):
        spec = wave_spec(params[section][key], year, f"synthetic.{section}.{key}")
        return resolve_share(spec, targets, f"config/synthetic.yaml {section}.{key}.{year}")

    def binom(section: str, items: int, extra=0.0):
        # every synthetic count is drawn out of the codebook's listed items (binomial), so
        # it never exceeds the list, also for a count the codebook leaves unbounded
        p = params[section]
        base = wave_spec(p["base"], year, f"synthetic.{section}.base")
        return rng.binomial(items, _expit(base + p["size_slope"] * z + extra))

    everyone = np.ones(n, dtype=bool)
    responded = top_k(
        params["response"]["size_slope"] * z + noise(), everyone, share("response", "targets")
    ).astype(bool)

    internal = binom("internal_functions", var["internal_functions"]["max"])

    # Competence barrier 1..5 with "don't know" among respondents.
    cb = params["competence_barrier"]
    barrier = np.full(n, np.nan)
    resp_idx = np.flatnonzero(responded)
    n_dk = int(round(cb["dont_know"] * len(resp_idx)))
    dk = np.zeros(n, dtype=bool)
    dk[rng.choice(resp_idx, size=n_dk, replace=False)] = True
    answered = responded & ~dk
    latent_cb = (
        cb["internal_slope"] * (internal - internal[answered].mean())
        + cb["size_slope"] * z
        + noise()
    )
    high = top_k(latent_cb, answered, share("competence_barrier", "high")).astype(bool)
    low = top_k(-latent_cb, answered, share("competence_barrier", "low")).astype(bool)
    low &= ~high
    barrier[answered] = 3
    barrier[high] = 4
    barrier[high & top_k(latent_cb, high, cb["share_5_within_high"]).astype(bool)] = 5
    barrier[low] = 2
    barrier[low & top_k(-latent_cb, low, cb["share_1_within_low"]).astype(bool)] = 1
    levels_cfg = var["competence_barrier"]["levels"]
    levels = np.full(n, None, dtype=object)
    for lvl, spec in levels_cfg.items():
        levels[np.isin(barrier, spec["values"])] = lvl
    comp_large = np.isin(barrier, levels_cfg["high"]["values"]).astype(float)

    def within(section: str):
        by_wave = params[section].get("within_level", {})
        spec = by_wave.get(year, by_wave.get(str(year)))
        if not spec:
            return {}
        return {
            lvl: resolve_share(
                s, targets, f"config/synthetic.yaml {section}.within_level.{year}.{lvl}"
            )
            for lvl, s in spec.items()
        }

    tr = params["tried_recruit"]
    tried = calibrated_binary(
        tr["size_slope"] * z + noise(),
        responded,
        share("tried_recruit"),
        within("tried_recruit"),
        levels,
    )
    rp = params["recruit_problems"]
    problems = calibrated_binary(
        rp["size_slope"] * z + rp["high_barrier_slope"] * comp_large + noise(),
        responded & (tried == 1),
        share("recruit_problems"),
        within("recruit_problems"),
        levels,
    )

    strategy = top_k(
        params["has_strategy"]["size_slope"] * z + noise(), responded, share("has_strategy")
    )
    strategy_areas = binom("strategy_areas", var["strategy_areas"]["max"]) * strategy
    pa = params["project_areas"]
    project_areas = binom(
        "project_areas",
        var["project_areas"]["max"],
        extra=pa["small_growth"] * wave_index * (z < 0),
    )
    cloud = top_k(params["cloud_use"]["size_slope"] * z + noise(), responded, share("cloud_use"))
    eproc = top_k(
        params["eprocurement"]["size_slope"] * z + noise(), responded, share("eprocurement")
    )
    services = binom(
        "digital_services",
        var["digital_services"]["max"],
        extra=params["digital_services"]["competence_large_slope"] * comp_large,
    )

    out = pd.DataFrame(
        {
            "kommunenr": frame["kommunenr"].to_numpy(),
            "year": year,
            "has_strategy": strategy,
            "strategy_areas": strategy_areas,
            "project_areas": project_areas,
            "internal_functions": internal,
            "competence_barrier": pd.array(barrier, dtype="Float64").astype("Int64"),
            "tried_recruit": tried,
            "recruit_problems": pd.array(
                np.where(tried == 1, problems, np.nan), dtype="Float64"
            ).astype("Int64"),
            "cloud_use": cloud,
            "eprocurement": eproc,
            "digital_services": services,
        }
    )
    return out.loc[responded, INPUT_ORDER].reset_index(drop=True)


def generate(
    frames: dict[int, pd.DataFrame], params: dict, codebook: dict, targets: pd.DataFrame, seed: int
) -> pd.DataFrame:
    """The synthetic microdata for all waves (responding municipalities only)."""
    waves = sorted(frames)
    parts = [
        generate_wave(frames[y], y, params, codebook, targets, seed, i) for i, y in enumerate(waves)
    ]
    df = pd.concat(parts, ignore_index=True)
    log.info(
        "synthetic microdata: %d responding municipalities in waves %s (seed %s)",
        len(df),
        waves,
        seed,
    )
    return df
