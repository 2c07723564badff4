"""The synthetic municipality panel: a seeded generator on the real municipality frames,
calibrated to the published figures (intercepts solved on the realised sample).

It is a panel: every municipality of the 2024 structure carries persistent latent traits
(one per variable), so a municipality's answers are correlated across waves. The latent
error of variable v for municipality i in wave t is

    e_ivt = LOGIT_SD * (sqrt(rho) * trait_iv + sqrt(1 - rho) * fresh_ivt)

with trait and fresh standard normal, so corr(e_ivt, e_ivs) = rho for any two waves
(``persistence.correlation`` in config/synthetic.yaml). Municipalities of earlier waves get
the trait of their 2024 successor (crosswalk; the first one for a split).

Output is in "digikom panel format" (responding municipalities only), so it passes through
the same validation as a user's real microdata file."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from .errors import ConfigError
from .published import resolve_share

log = logging.getLogger(__name__)

# Standard deviation of the standard logistic distribution: latent errors keep the scale
# the slopes in config/synthetic.yaml were written for (logit units).
LOGIT_SD = float(np.pi / np.sqrt(3.0))

# Variables with a persistent municipality trait (fixed order: part of the seeded stream).
TRAIT_VARIABLES = [
    "response",
    "internal_functions",
    "competence_barrier",
    "tried_recruit",
    "recruit_problems",
    "has_strategy",
    "strategy_areas",
    "project_areas",
    "cloud_use",
    "eprocurement",
    "digital_services",
]

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


def spec_wave(years, year: int) -> int:
    """The wave whose value a wave uses, of the waves ``years`` that have one: its own; for
    a wave without one (e.g. a new wave) the latest earlier wave, else the first."""
    keys = sorted(int(k) for k in years)
    if year in keys:
        return year
    earlier = [k for k in keys if k < year] or keys[:1]
    return earlier[-1]


def wave_spec(by_wave: dict, year: int, where: str):
    """The spec for ``year`` (:func:`spec_wave`; a carried-over value with a warning in
    the log)."""
    use = spec_wave(by_wave, year)
    if use == year:
        return by_wave[year] if year in by_wave else by_wave[str(year)]
    log.warning("%s: no value for wave %s; using wave %s", where, year, use)
    return by_wave[use] if use in by_wave else by_wave[str(use)]


def top_k(latent: np.ndarray, mask: np.ndarray, share: float, cuts=None, key=None) -> np.ndarray:
    """1 for the round(share * n) highest latent scores within ``mask``, else 0.
    This is solving for the intercept on the realised sample. With ``cuts`` (a
    :class:`Cuts`), see there: the cut-point under ``key`` is recorded or applied."""
    if cuts is not None and not cuts.record:
        return ((latent > cuts.values[key]) & mask).astype(int)
    out = np.zeros(len(latent), dtype=int)
    idx = np.flatnonzero(mask)
    k = int(round(min(max(share, 0.0), 1.0) * len(idx)))
    order = idx[np.argsort(-latent[idx], kind="stable")]
    if k > 0:
        out[order[:k]] = 1
    if cuts is not None:  # the cut between the k-th and the (k+1)-th highest score
        v = np.concatenate([[np.inf], latent[order], [-np.inf]])[k : k + 2]
        cuts.values[key] = float(v.mean() if np.isfinite(v).all() else v[1])
    return out


class Cuts:
    """Latent cut-points of the calibrated outcomes (``variable/year[/level]``). ``Cuts()``
    records them as each share is solved on the realised sample; ``Cuts(values)`` applies
    them: 1 where the latent score exceeds the fixed cut, so rows are drawn independently
    (the superpopulation generator of the simulation study, digikom.superpop)."""

    def __init__(self, values: dict | None = None):
        self.record = values is None
        self.values = dict(values or {})


def calibrated_binary(latent, eligible, overall, within=None, levels=None, cuts=None, key=""):
    """Binary outcome among ``eligible`` rows: within-level shares met exactly, the
    overall share fixes the remaining rows (``cuts``: see :class:`Cuts`)."""
    out = np.zeros(len(latent), dtype=int)
    rest = eligible.copy()
    k_fixed = 0
    for level, share in (within or {}).items():
        m = eligible & (levels == level)
        out |= top_k(latent, m, share, cuts, f"{key}/{level}")
        k_fixed += int(out[m].sum())
        rest &= ~m
    if rest.any():
        k_total = int(round(overall * eligible.sum()))
        share_rest = (k_total - k_fixed) / rest.sum()
        out |= top_k(latent, rest, share_rest, cuts, f"{key}/rest")
    return out


def _row_cuts(cuts, key: str, within: dict, levels) -> np.ndarray | float:
    """The cut-point each row's latent score is compared with (the level's, else the
    rest's): for the expected outcomes of the study."""
    cut = np.full(len(levels), cuts.values.get(f"{key}/rest", np.inf))
    for level in within or {}:
        cut[levels == level] = cuts.values[f"{key}/{level}"]
    return cut


def units_2024(frame: pd.DataFrame, year: int, crosswalk: pd.DataFrame | None) -> np.ndarray:
    """The 2024-structure municipality of each frame row (the first successor of a split;
    the code itself when the crosswalk is absent or does not list it)."""
    codes = frame["kommunenr"].astype(str).to_numpy()
    if crosswalk is None:
        return codes
    cw = crosswalk[crosswalk["from_year"].astype(int) == int(year)]
    first = cw.sort_values("kommunenummer_2024").groupby("kommunenummer")["kommunenummer_2024"]
    mapping = first.first().to_dict()
    return np.array([mapping.get(c, c) for c in codes], dtype=object)


def draw_traits(units: list[str], seed: int) -> dict[str, pd.Series]:
    """One standard-normal trait per variable and 2024 municipality (seeded; independent
    of which waves are configured)."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0]))
    idx = pd.Index(sorted(units))
    return {v: pd.Series(rng.standard_normal(len(idx)), index=idx) for v in TRAIT_VARIABLES}


def check_persistence(params: dict) -> tuple[float, float]:
    p = params.get("persistence", {})
    rho = float(p.get("correlation", 0.0))
    if not 0.0 <= rho <= 1.0:
        raise ConfigError(
            f"config/synthetic.yaml: key 'persistence/correlation': {rho} is not in [0, 1]"
        )
    return rho, float(p.get("count_sd", 0.0))


def generate_wave(
    frame: pd.DataFrame,
    year: int,
    params: dict,
    codebook: dict,
    targets: pd.DataFrame,
    seed: int,
    wave_index: int,
    traits: dict[str, pd.Series] | None = None,
    units: np.ndarray | None = None,
    cuts: Cuts | None = None,
    latent: dict | None = None,
) -> pd.DataFrame:
    """One wave's respondents. ``cuts``: record or apply (:class:`Cuts`; applied, every
    frame row answers, ``responded`` says who did, and ``latent`` gets each outcome's
    linear predictor without its own error: digikom.superpop)."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(year)]))
    apply = cuts is not None and not cuts.record
    latent = {} if latent is None else latent
    n = len(frame)
    pop = frame["population"].to_numpy(dtype=float)
    z = (np.log(pop) - np.log(params["size_center"])) / params["size_scale"]
    var = codebook["variables"]
    rho, count_sd = check_persistence(params)
    if traits is None or units is None:
        units = frame["kommunenr"].astype(str).to_numpy()
        traits = draw_traits(list(units), seed)

    def error(name: str) -> np.ndarray:
        """Standard-normal latent error of ``name`` with wave-to-wave correlation rho."""
        trait = traits[name].reindex(units).to_numpy(dtype=float)
        return np.sqrt(rho) * trait + np.sqrt(1.0 - rho) * rng.standard_normal(n)

    def noise(name: str) -> np.ndarray:
        return LOGIT_SD * error(name)

    def share(section: str, key: str = "overall", **kw):
        spec = wave_spec(params[section][key], year, f"synthetic.{section}.{key}")
        return resolve_share(spec, targets, f"config/synthetic.yaml {section}.{key}.{year}")

    def binom(section: str, items: int, extra=0.0):
        # every synthetic count is drawn out of the codebook's listed items (binomial), so
        # it never exceeds the list, also for a count the codebook leaves unbounded
        p = params[section]
        base = wave_spec(p["base"], year, f"synthetic.{section}.base")
        effect = count_sd * error(section)
        return rng.binomial(items, _expit(base + p["size_slope"] * z + extra + effect))

    everyone = np.ones(n, dtype=bool)
    key = f"/{year}"
    resp_loc = params["response"]["size_slope"] * z
    responded = top_k(
        resp_loc + noise("response"), everyone, share("response", "targets"), cuts, "response" + key
    ).astype(bool)
    # with fixed cut-points every frame row answers (``responded`` kept aside)
    answering = everyone if apply else responded

    internal = binom("internal_functions", var["internal_functions"]["max"])

    # Competence barrier 1..5 with "don't know" among respondents.
    cb = params["competence_barrier"]
    barrier = np.full(n, np.nan)
    resp_idx = np.flatnonzero(answering)
    dk = np.zeros(n, dtype=bool)
    if apply:
        dk = rng.random(n) < cb["dont_know"]
    else:
        n_dk = int(round(cb["dont_know"] * len(resp_idx)))
        dk[rng.choice(resp_idx, size=n_dk, replace=False)] = True
    answered = answering & ~dk
    ck = "competence_barrier" + key
    if cuts is not None and cuts.record:
        cuts.values[ck + "/centre"] = float(internal[answered].mean())
    centre = cuts.values[ck + "/centre"] if apply else internal[answered].mean()
    loc_cb = cb["internal_slope"] * (internal - centre) + cb["size_slope"] * z
    latent_cb = loc_cb + noise("competence_barrier")
    c_high, c_low = share("competence_barrier", "high"), share("competence_barrier", "low")
    high = top_k(latent_cb, answered, c_high, cuts, ck + "/high").astype(bool)
    low = top_k(-latent_cb, answered, c_low, cuts, ck + "/low").astype(bool)
    low &= ~high
    barrier[answered] = 3
    barrier[high] = 4
    s5, s1 = cb["share_5_within_high"], cb["share_1_within_low"]
    barrier[high & top_k(latent_cb, high, s5, cuts, ck + "/5").astype(bool)] = 5
    barrier[low] = 2
    barrier[low & top_k(-latent_cb, low, s1, cuts, ck + "/1").astype(bool)] = 1
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
        tr["size_slope"] * z + noise("tried_recruit"),
        answering,
        share("tried_recruit"),
        within("tried_recruit"),
        levels,
        cuts,
        "tried_recruit" + key,
    )
    rp = params["recruit_problems"]
    problems = calibrated_binary(
        rp["size_slope"] * z + rp["high_barrier_slope"] * comp_large + noise("recruit_problems"),
        answering & (tried == 1),
        share("recruit_problems"),
        within("recruit_problems"),
        levels,
        cuts,
        "recruit_problems" + key,
    )

    locs = {v: params[v]["size_slope"] * z for v in ("has_strategy", "cloud_use", "eprocurement")}
    strategy = top_k(
        locs["has_strategy"] + noise("has_strategy"),
        answering,
        share("has_strategy"),
        cuts,
        "has_strategy" + key,
    )
    strategy_areas = binom("strategy_areas", var["strategy_areas"]["max"]) * strategy
    pa = params["project_areas"]
    project_areas = binom(
        "project_areas",
        var["project_areas"]["max"],
        extra=pa["small_growth"] * wave_index * (z < 0),
    )
    cloud = top_k(
        locs["cloud_use"] + noise("cloud_use"),
        answering,
        share("cloud_use"),
        cuts,
        "cloud_use" + key,
    )
    eproc = top_k(
        locs["eprocurement"] + noise("eprocurement"),
        answering,
        share("eprocurement"),
        cuts,
        "eprocurement" + key,
    )
    services = binom(
        "digital_services",
        var["digital_services"]["max"],
        extra=params["digital_services"]["competence_large_slope"] * comp_large,
    )
    if apply:  # each outcome's linear predictor without its own error (digikom.superpop)
        for v in locs:
            latent[v] = locs[v] - cuts.values[f"{v}{key}"]
        latent["response"] = resp_loc - cuts.values["response" + key]
        latent["competence_barrier"] = loc_cb
        latent["competence_large"] = loc_cb - cuts.values[ck + "/high"]
        latent["tried_recruit"] = tr["size_slope"] * z - _row_cuts(
            cuts, "tried_recruit" + key, within("tried_recruit"), levels
        )
        for v in ("internal_functions", "digital_services"):
            p = params[v]
            extra = p["competence_large_slope"] * comp_large if v == "digital_services" else 0.0
            latent[v] = wave_spec(p["base"], year, v) + p["size_slope"] * z + extra

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
    if apply:
        return out[INPUT_ORDER].assign(responded=responded)
    return out.loc[responded, INPUT_ORDER].reset_index(drop=True)


def generate(
    frames: dict[int, pd.DataFrame],
    params: dict,
    codebook: dict,
    targets: pd.DataFrame,
    seed: int,
    crosswalk: pd.DataFrame | None = None,
    cuts: Cuts | None = None,
    latent: dict | None = None,
) -> pd.DataFrame:
    """The synthetic microdata for all waves (responding municipalities only). With the
    crosswalk, a municipality keeps its traits across the 2020 and 2024 reforms.
    ``cuts``/``latent``: see :func:`generate_wave` (``latent`` gets per variable one array
    over the rows of all waves, in the output's row order)."""
    check_provenance(params)
    waves = sorted(frames)
    units = {y: units_2024(frames[y], y, crosswalk) for y in waves}
    traits = draw_traits(sorted({u for y in waves for u in units[y]}), seed)
    lat = [{} for _ in waves]
    parts = [
        generate_wave(
            frames[y], y, params, codebook, targets, seed, i, traits, units[y], cuts, lat[i]
        )
        for i, y in enumerate(waves)
    ]
    if latent is not None:
        for v in lat[0]:
            latent[v] = np.concatenate([d[v] for d in lat])
        latent["unit"] = np.concatenate([units[y] for y in waves])
    df = pd.concat(parts, ignore_index=True)
    log.info(
        "synthetic microdata: %d responding municipalities in waves %s (seed %s)",
        len(df),
        waves,
        seed,
    )
    return df


# --------------------------------------------------------------------------- provenance
# Keys of a section that hold share specs ({target | value + note | ratio_of | derived_from}).
SHARE_KEYS = ("targets", "overall", "high", "low", "within_level")


def _share_specs(params: dict):
    """(section, key, year, level, spec) for every share spec in the parameters."""
    for section, body in params.items():
        if not isinstance(body, dict) or section == "provenance":
            continue
        for key in SHARE_KEYS:
            for year, spec in (body.get(key) or {}).items():
                if key == "within_level":
                    for level, s in spec.items():
                        yield section, key, int(year), level, s
                else:
                    yield section, key, int(year), None, spec


def calibration_ids(params: dict) -> set[str]:
    """Every published target id the generator uses (target, ratio_of, derived_from)."""
    ids: set[str] = set()
    for *_, spec in _share_specs(params):
        if "target" in spec:
            ids.add(spec["target"])
        ids.update(spec.get("ratio_of", []))
        ids.update(spec.get("derived_from", []))
    return ids


def parameter_paths(params: dict) -> list[str]:
    """Dotted paths of every parameter that is not a share spec (these need a provenance)."""
    paths = []
    for section, body in params.items():
        if section == "provenance":
            continue
        if isinstance(body, int | float):
            paths.append(section)
        elif isinstance(body, dict):
            paths += [f"{section}.{k}" for k in body if k not in SHARE_KEYS]
    return paths


def check_provenance(params: dict, source: str = "config/synthetic.yaml") -> None:
    """Every non-share parameter has exactly one provenance entry, and no entry is stale."""
    declared = set(params.get("provenance", {}))
    needed = set(parameter_paths(params))
    missing, stale = sorted(needed - declared), sorted(declared - needed)
    if missing or stale:
        parts = []
        if missing:
            parts.append(f"no provenance for {', '.join(missing)}")
        if stale:
            parts.append(f"provenance for unknown parameter(s) {', '.join(stale)}")
        raise ConfigError(f"{source}: key 'provenance': " + "; ".join(parts))


def parameter_provenance(params: dict, targets: pd.DataFrame) -> list[dict]:
    """One row per parameter: path, value, provenance class (published | derived | assumed),
    the target ids it rests on and the reason/note."""
    rows = []
    for section, key, year, level, spec in _share_specs(params):
        path = f"{section}.{key}.{year}" + (f".{level}" if level else "")
        ids = ([spec["target"]] if "target" in spec else []) + list(spec.get("ratio_of", []))
        derived = list(spec.get("derived_from", []))
        cls = "published" if ids and "value" not in spec else "assumed"
        if ids and "value" in spec:
            cls = "published_bound"  # a value chosen inside a published interval
        if derived:
            cls = "derived"
        rows.append(
            dict(
                parameter=path,
                value=resolve_share(spec, targets, f"config/synthetic.yaml {path}"),
                provenance=cls,
                target_ids=ids + derived,
                note=spec.get("note", ""),
            )
        )
    for path, prov in params.get("provenance", {}).items():
        section, _, key = path.partition(".")
        value = params[section][key] if key else params[section]
        rows.append(
            dict(
                parameter=path,
                value=value,
                provenance="published" if "target" in prov else "assumed",
                target_ids=[prov["target"]] if "target" in prov else [],
                note=prov.get("assumed", ""),
            )
        )
    return rows
