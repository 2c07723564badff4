"""Rule entry points: fit_model, collect_models, robustness, plot_model, plot_predictions, bootstrap_chunk, bootstrap_combine."""

from __future__ import annotations

import logging
import time

from ..io import concat_tables, write_csv, write_json, write_text

log = logging.getLogger(__name__)


def fit_model(job) -> None:
    """Fit one model spec (params.spec, resolved) and write its four outputs, also when
    the model failed (then the tables are empty and the JSON says why). The fit's wall
    time goes to the log (and Snakemake's benchmark file), not into the results."""
    from ..models.fit import fit_model as fit_one
    from ..models.fit import json_stats
    from ..panel import read_panel

    spec = dict(job.params.spec)
    fit = fit_one(
        read_panel(job.input.panel), spec, None, job.params.seed, True, job.params.confidence
    )
    log.info(
        "model %s: status %s, n=%s, %.2f s",
        spec["id"],
        fit.status,
        fit.stats.get("n_obs"),
        fit.seconds,
    )
    out = job.output
    write_csv(fit.coefficients, out.coefficients)
    write_csv(fit.predictions, out.predictions)
    write_json(out.json, json_stats(fit))
    write_text(out.txt, fit.summary)


def collect_models(job) -> None:
    """Concatenate the per-model coefficient and prediction tables."""
    from ..models.fit import COEF_COLUMNS, COEF_EXTRA
    from ..models.margins import PRED_COLUMNS

    write_csv(
        concat_tables(job.input.coefficients, COEF_COLUMNS + COEF_EXTRA), job.output.coefficients
    )
    pred = concat_tables(job.input.predictions, PRED_COLUMNS)
    if "year" in pred:
        pred["year"] = pred["year"].astype("Int64")
    write_csv(pred, job.output.predictions)


def robustness(job) -> None:
    """Refit the main models under each robustness variant (one table)."""
    from ..models.robustness import robustness_table
    from ..panel import read_panel

    t0 = time.perf_counter()
    p = job.params
    table = robustness_table(
        read_panel(job.input.panel),
        [dict(s) for s in p.specs],
        dict(p.robustness),
        None,
        p.seed,
        p.confidence,
    )
    log.info("robustness: %d rows, %.2f s", len(table), time.perf_counter() - t0)
    write_csv(table, job.output[0])


def plot_model(job) -> None:
    from ..model_plots import plot_coefficients

    o, p = job.output, job.params
    plot_coefficients(
        job.input.coefficients, job.input.json, p.spec, p.labels, p.lang, p.confidence,
        p.synthetic, o.png, o.svg, o.alt,
    )  # fmt: skip


def plot_predictions(job) -> None:
    from ..model_plots import plot_predictions as plot

    o, p = job.output, job.params
    plot(
        list(job.input.predictions), list(job.input.json), p.labels, p.lang, p.confidence,
        p.synthetic, o.png, o.svg, o.alt,
    )  # fmt: skip


def bootstrap_chunk(job) -> None:
    from ..bootstrap import run_chunk

    p = job.params
    run_chunk(
        job.input.panel, p.spec, p.seed, int(job.wildcards.chunk), p.replicates, p.chunks,
        job.output[0],
    )  # fmt: skip


def bootstrap_combine(job) -> None:
    from ..bootstrap import run_combine

    run_combine(job.input.point, list(job.input.chunks), job.output[0], job.params.confidence)
