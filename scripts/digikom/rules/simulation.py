"""Rule entry points: simulate_chunk, simulation_truth, simulation_recovery."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from ..io import concat_tables, write_csv

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


def simulate_chunk(job) -> None:
    """Every model fitted on each synthetic panel of one chunk of replicates, and the
    scorecard's validation checks on each panel."""
    import pandas as pd

    from ..simulation import chunk_indices, simulate_seeds

    p = job.params
    data = _simulation_data(job)
    statbank = {
        Path(f).stem: pd.read_csv(f, dtype=str).assign(
            value=lambda d: pd.to_numeric(d["value"], errors="coerce")
        )
        for f in job.input.statbank
    }
    indices = chunk_indices(p.seeds, p.seeds_per_job, int(job.wildcards.chunk))
    t0 = time.perf_counter()
    est, val = simulate_seeds(
        indices,
        p.seed,
        data,
        [dict(s) for s in p.specs],
        p.confidence,
        validation=dict(
            rules=dict(p.rules),
            waves=list(p.waves),
            calibration=set(p.calibration),
            statbank=statbank,
        ),
    )
    log.info(
        "chunk %s: replicates %s, %d estimates, %.2f s",
        job.wildcards.chunk, indices, len(est), time.perf_counter() - t0,
    )  # fmt: skip
    write_csv(est, job.output.estimates)
    write_csv(val, job.output.validation)


def simulation_truth(job) -> None:
    """The true value of every term and effect of every model (generator or pseudo-true),
    from one large synthetic panel (truth_scale x the frames) built in memory: one file
    per model, named after it."""
    from ..simulation import make_large_panel, truth_seed, truth_table

    p = job.params
    data = _simulation_data(job)
    t0 = time.perf_counter()
    big = make_large_panel(
        data["frames"], data["params"], data["codebook"], data["targets"],
        data["crosswalk"], data["size_groups"], truth_seed(p.seed), p.truth_scale,
    )  # fmt: skip
    log.info(
        "truth panel: %d rows (x%d), %.2f s", len(big), p.truth_scale, time.perf_counter() - t0
    )
    out = {Path(f).stem: f for f in job.output}
    for spec in (dict(s) for s in p.specs):
        t0 = time.perf_counter()
        truth = truth_table(big, [spec], data["params"], p.confidence)
        log.info("truth %s: %d values, %.2f s", spec["id"], len(truth), time.perf_counter() - t0)
        write_csv(truth, out[spec["id"]])


def simulation_recovery(job) -> None:
    """recovery.csv (per model term and effect) and validation.csv (per check)."""
    import pandas as pd

    from ..simulation import (
        ESTIMATE_COLUMNS,
        VALIDATION_COLUMNS,
        recovery_table,
        validation_summary,
    )

    p = job.params
    est = concat_tables(list(job.input.estimates), ESTIMATE_COLUMNS)
    seen = sorted(set(est["seed_index"].astype(int)))
    if seen != list(range(int(p.seeds))):
        from ..errors import DigikomError

        raise DigikomError(
            f"results/simulation/chunks: replicates {seen[:5]}... found, expected 0..{p.seeds - 1}"
        )
    truth = pd.concat(
        [pd.read_csv(f, dtype={"category": str}) for f in job.input.truth], ignore_index=True
    )
    rec = recovery_table(est, truth, p.confidence)
    val = validation_summary(concat_tables(list(job.input.validation), VALIDATION_COLUMNS))
    log.info(
        "recovery: %d rows over %d seeds; validation: %d checks", len(rec), len(seen), len(val)
    )
    write_csv(rec, job.output.recovery)
    write_csv(val, job.output.validation)
