"""Cluster-bootstrap confidence intervals of the model predictions (scale-out example).

B replicates are split into chunks; each chunk is one Snakemake job, so heavy inference
scales out through the executor (local cores or SLURM) instead of a Python loop. A
replicate resamples municipalities (clusters: the code harmonised to 2024, all waves of a
municipality together) with replacement, refits the model with
:func:`digikom.models.fit_model` and keeps its average predictions by wave x size group.
The combine step turns the replicates into percentile CIs around the point estimate of
results/models/predictions.csv.

Seeds: chunk ``c`` of a run with config ``seed`` draws from
``numpy.random.SeedSequence(seed, spawn_key=(c,))``, so a chunk gives the same replicates
whenever it is re-run (and on whichever machine), independent of the other chunks.
"""

from __future__ import annotations

import logging
import os

import numpy as np
import pandas as pd

from .models.fit import fit_model
from .models.spec import cluster_column

log = logging.getLogger(__name__)

KEYS = ["model", "outcome", "family", "year", "size_group", "category"]
REPLICATE_COLUMNS = [*KEYS, "replicate", "estimate"]
CI_COLUMNS = [
    *KEYS,
    "estimate",
    "boot_mean",
    "boot_se",
    "conf_low",
    "conf_high",
    "level",
    "n_replicates",
    "n_failed",
]


def chunk_sizes(replicates: int, chunks: int) -> list[int]:
    """Split B replicates into ``chunks`` near-equal parts (first parts one larger)."""
    if replicates < 0 or chunks < 1:
        raise ValueError("replicates must be >= 0 and chunks >= 1")
    base, extra = divmod(int(replicates), int(chunks))
    return [base + (1 if c < extra else 0) for c in range(int(chunks))]


def chunk_rng(seed: int, chunk: int) -> np.random.Generator:
    """The random generator of one chunk, derived from config ``seed`` and the chunk index."""
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(int(chunk),)))


def resample_clusters(panel: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Draw as many municipalities as the panel has, with replacement, keeping all rows
    (waves) of each; a municipality drawn k times appears as k distinct clusters."""
    col = cluster_column(panel)
    codes, uniques = pd.factorize(panel[col], sort=True)
    draw = rng.integers(0, len(uniques), size=len(uniques))
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    rows, copy_no = [], []
    for j, g in enumerate(draw):
        idx = order[starts[g] : starts[g + 1]]
        rows.append(idx)
        copy_no.append(np.full(len(idx), j))
    rows_a = np.concatenate(rows) if rows else np.array([], dtype=int)
    copy_a = np.concatenate(copy_no) if copy_no else np.array([], dtype=int)
    out = panel.iloc[rows_a].reset_index(drop=True)
    suffix = pd.Series(copy_a).astype(str).radd("#")
    for c in {col, "kommunenr"} & set(out.columns):
        out[c] = out[c].astype(str) + suffix.to_numpy()
    return out


def bootstrap_chunk(
    panel: pd.DataFrame,
    spec: dict,
    seed: int,
    chunk: int,
    replicates: int,
    first_replicate: int = 0,
    codebook: dict | None = None,
) -> pd.DataFrame:
    """Refit ``spec`` on ``replicates`` cluster-bootstrap samples; the prediction rows of
    every successful replicate (columns REPLICATE_COLUMNS). A failed replicate leaves a row
    with NaN estimate so the combine step can count it."""
    rng = chunk_rng(seed, chunk)
    parts = []
    for r in range(int(replicates)):
        sample = resample_clusters(panel, rng)
        # point estimates only: the interval comes from the replicates' spread, so no
        # replicate needs a covariance, a delta-method Jacobian or a summary text
        fit = fit_model(
            sample, spec, codebook, seed, predict=True, confidence=None, point_only=True
        )
        rep = first_replicate + r
        pred = fit.predictions
        if fit.status == "failed" or pred is None or pred.empty:
            log.warning("model %s replicate %d failed: %s", spec.get("id"), rep, fit.warnings)
            parts.append(
                pd.DataFrame([{"model": spec.get("id"), "replicate": rep, "estimate": np.nan}])
            )
            continue
        pred = pred[pred["quantity"] == "prediction"]
        part = pred[KEYS].copy()
        part["replicate"] = rep
        part["estimate"] = pred["estimate"].to_numpy(dtype=float)
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=REPLICATE_COLUMNS)
    out = pd.concat(parts, ignore_index=True).reindex(columns=REPLICATE_COLUMNS)
    out["year"] = out["year"].astype("Int64")
    return out


def percentile_ci(point: pd.DataFrame, replicates: pd.DataFrame, level: float) -> pd.DataFrame:
    """Percentile CIs of every prediction of ``point`` (results/models/predictions.csv
    rows with quantity == prediction) from the bootstrap replicates."""
    point = point[point["quantity"] == "prediction"].copy()
    for df in (point, replicates):
        df["category"] = df["category"].fillna("").astype(str)
        df["year"] = pd.to_numeric(df["year"]).astype("Int64")
        df["size_group"] = df["size_group"].astype(str)
    alpha = (1 - level) / 2
    ok = replicates.dropna(subset=["estimate", "year"])
    failed = replicates[replicates["estimate"].isna()].groupby("model")["replicate"].nunique()
    stats = (
        ok.groupby(KEYS[:1] + KEYS[3:], dropna=False)["estimate"]
        .agg(
            boot_mean="mean",
            boot_se="std",
            conf_low=lambda s: float(np.quantile(s, alpha)),
            conf_high=lambda s: float(np.quantile(s, 1 - alpha)),
            n_replicates="count",
        )
        .reset_index()
    )
    out = point[KEYS + ["estimate"]].merge(stats, on=KEYS[:1] + KEYS[3:], how="left")
    out["level"] = level
    out["n_replicates"] = out["n_replicates"].fillna(0).astype(int)
    out["n_failed"] = out["model"].map(failed).fillna(0).astype(int)
    out = out.sort_values(["model", "year", "size_group", "category"], kind="stable")
    return out[CI_COLUMNS].reset_index(drop=True)


# --------------------------------------------------------------------------- rule entry points


def run_chunk(panel_path, spec, seed, chunk, replicates, chunks, out) -> None:
    """Rule bootstrap_chunk: ``replicates`` is the total B; this chunk does its share."""
    from .io import write_csv
    from .panel import read_panel

    sizes = chunk_sizes(replicates, chunks)
    chunk = int(chunk)
    n = sizes[chunk]
    panel = read_panel(panel_path)
    df = bootstrap_chunk(panel, dict(spec), seed, chunk, n, first_replicate=sum(sizes[:chunk]))
    log.info("model %s chunk %d: %d replicates, %d rows", spec["id"], chunk, n, len(df))
    write_csv(df, out)


def run_combine(point_path, chunk_paths, out, level: float) -> None:
    """Rule bootstrap_combine: percentile CIs per model x size group x wave."""
    from .io import write_csv

    point = pd.read_csv(point_path, dtype={"category": str, "size_group": str})
    reps = [pd.read_csv(p, dtype={"category": str, "size_group": str}) for p in chunk_paths]
    reps = [r for r in reps if len(r)]
    rep = pd.concat(reps, ignore_index=True) if reps else pd.DataFrame(columns=REPLICATE_COLUMNS)
    log.info("combining %d chunk files (%d rows)", len(chunk_paths), len(rep))
    write_csv(percentile_ci(point, rep, level), os.fspath(out))
