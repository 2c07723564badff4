"""Rule entry points: simulation_cuts, simulate_model, simulation_validation,
simulation_recovery."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from ..io import concat_tables, write_csv, write_json

log = logging.getLogger(__name__)


def _simulation_data(job) -> dict:
    """What a synthetic panel is made of: frames, generator parameters, codebook,
    published targets, crosswalk and the size groups."""
    from .. import panel as P
    from ..published import read_targets

    p = job.params
    return dict(
        frames=P.read_frames(dict(zip(list(p.waves), job.input.frames, strict=True))),
        params=dict(p.synthetic),
        codebook=dict(p.codebook),
        targets=read_targets(job.input.targets),
        crosswalk=P.read_crosswalk(job.input.crosswalk),
        size_groups=[dict(g) for g in p.size_groups],
    )


def _cuts(job) -> dict:
    with open(job.input.cuts, encoding="utf-8") as fh:
        return json.load(fh)


def simulation_cuts(job) -> None:
    """The superpopulation generator's cut-points, solved once (digikom.superpop)."""
    from ..simulation import truth_seed
    from ..superpop import solve_cuts

    p, d = job.params, _simulation_data(job)
    t0 = time.perf_counter()
    cuts = solve_cuts(
        d["frames"], d["params"], d["codebook"], d["targets"], d["crosswalk"],
        truth_seed(p.seed), p.truth_scale,
    )  # fmt: skip
    log.info("cut-points: %d, %.2f s", len(cuts), time.perf_counter() - t0)
    write_json(job.output[0], dict(sorted(cuts.items())))


def simulate_model(job) -> None:
    """One model on one chunk of seeds of every scenario (digikom.simulation)."""
    from ..simulation import chunk_indices, simulate_model, truth_seed
    from ..superpop import covariate_panel

    p, d = job.params, _simulation_data(job)
    cuts = _cuts(job)
    t0 = time.perf_counter()
    panel, latent = covariate_panel(
        d["frames"], d["params"], d["codebook"], d["targets"], d["crosswalk"],
        d["size_groups"], cuts, truth_seed(p.seed),
    )  # fmt: skip
    indices = chunk_indices(p.seeds, p.seeds_per_job, int(job.wildcards.chunk))
    est = simulate_model(
        dict(p.spec), panel, latent, cuts, d["params"], list(p.scenarios), indices,
        p.seed, p.confidence, p.mnar_slope,
    )  # fmt: skip
    log.info(
        "model %s, chunk %s: seeds %d-%d, %.2f s", job.wildcards.model, job.wildcards.chunk,
        indices[0], indices[-1], time.perf_counter() - t0,
    )  # fmt: skip
    write_csv(est, job.output[0])


def simulation_validation(job) -> None:
    """The validation figures on one chunk of whole superpopulation panels."""
    import pandas as pd

    from ..simulation import chunk_indices, validation_panels

    p, d = job.params, _simulation_data(job)
    statbank = {
        Path(f).stem: pd.read_csv(f, dtype=str).assign(
            value=lambda x: pd.to_numeric(x["value"], errors="coerce")
        )
        for f in job.input.statbank
    }
    indices = chunk_indices(p.seeds, p.seeds_per_job, int(job.wildcards.chunk))
    t0 = time.perf_counter()
    val = validation_panels(
        indices, p.seed, d, _cuts(job),
        dict(rules=dict(p.rules), waves=list(p.waves), calibration=set(p.calibration),
             statbank=statbank),
    )  # fmt: skip
    log.info("validation panels %s: %.2f s", len(indices), time.perf_counter() - t0)
    write_csv(val, job.output[0])


def simulation_recovery(job) -> None:
    """recovery.csv (per scenario, model and term) and validation.csv (per figure)."""
    from ..errors import DigikomError
    from ..simulation import (
        ESTIMATE_COLUMNS,
        VALIDATION_COLUMNS,
        recovery_table,
        validation_summary,
    )

    p = job.params
    est = concat_tables(list(job.input.estimates), ESTIMATE_COLUMNS)
    for (scenario, model), g in est.groupby(["scenario", "model"]):
        seen = sorted(set(g["seed_index"].astype(int)))
        if seen != list(range(int(p.seeds))):
            raise DigikomError(
                f"results/simulation/estimates/{model}: scenario {scenario} has seeds "
                f"{seen[:5]}..., expected 0..{p.seeds - 1}"
            )
    rec = recovery_table(est, p.confidence)
    val = validation_summary(concat_tables(list(job.input.validation), VALIDATION_COLUMNS))
    log.info("recovery: %d rows; validation: %d figures", len(rec), len(val))
    write_csv(rec, job.output.recovery)
    write_csv(val, job.output.validation)
