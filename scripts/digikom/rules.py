"""The rule entry points, one function per Snakemake rule, in one module.

Each rule script in scripts/ is three lines: it calls :func:`run` with its ``snakemake``
object and the function of its rule. :func:`run` logs to the rule's log file and turns a
:class:`~digikom.errors.DigikomError` into a one-line message and a non-zero exit. A rule
function reads ``job.input``, ``job.output``, ``job.params`` and ``job.wildcards`` (the
``snakemake`` object, or any object with those attributes in a test), calls the plain
functions of the package and writes its outputs atomically (``digikom.io``).

Every rule gets what it needs as params, built from ``digikom.config.Settings`` in the
workflow (workflow/rules/common.smk), and reads nothing else of the configuration; the
report also gets the whole configuration, which its provenance.json records.
"""

from __future__ import annotations

import gc
import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .io import run_rule, write_csv, write_json, write_text

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)


def run(snakemake, func) -> None:
    """Run the rule function ``func`` for this ``snakemake`` job."""
    run_rule(snakemake, func, snakemake)
    # The job's process ends next. Python's last garbage collection would walk every
    # object pandas, matplotlib and statsmodels created (0.3-0.45 s per job here, measured
    # in docs/benchmarks.md); frozen objects are skipped, and files, logs and atexit
    # handlers still close as usual.
    gc.freeze()


# --------------------------------------------------------------------------- data


def synthesize_microdata(job) -> None:
    from . import panel as P
    from . import synthetic as S
    from .published import read_targets

    p = job.params
    frames = P.read_frames(dict(zip(p.waves, job.input.frames, strict=True)))
    micro = S.generate(
        frames, dict(p.synthetic), dict(p.codebook), read_targets(job.input.targets),
        p.seed, P.read_crosswalk(job.input.crosswalk),
    )  # fmt: skip
    write_csv(micro, job.output[0])


def build_panel(job) -> None:
    from . import panel as P

    p = job.params
    codebook, waves = dict(p.codebook), list(p.waves)
    microdata = job.input.microdata
    frames = P.read_frames(dict(zip(waves, job.input.frames, strict=True)))
    raw = P.read_microdata(microdata)
    typed = P.validate_microdata(raw, codebook, frames, waves, str(microdata))
    log.info("microdata %s: %d valid rows", microdata, len(typed))
    pan = P.build_panel(
        typed, frames, [dict(g) for g in p.size_groups], codebook,
        P.read_crosswalk(job.input.crosswalk),
    )  # fmt: skip
    for year, g in pan.groupby("year"):
        log.info(
            "wave %s: frame %d, respondents %d (%.1f %%)",
            year,
            len(g),
            g["responded"].sum(),
            100 * g["responded"].mean(),
        )
    write_csv(pan, job.output[0])


def statbank_fetch(job) -> None:
    from .statbank.fetch import fetch_table_to_csv

    fetch_table_to_csv(
        table=job.wildcards.table,
        selection=job.params.selection,
        settings=job.params.settings,
        raw_dir=job.params.raw_dir,
        out_csv=job.output.csv,
        out_meta=job.output.meta,
    )


def statbank_figure(job) -> None:
    from .statbank.figure import statbank_figure as draw

    draw(
        csv=job.input.csv,
        meta=job.input.meta,
        report=job.params.report,
        table=job.wildcards.table,
        lang=job.params.lang,
        out=dict(job.output.items()),
    )


# --------------------------------------------------------------------------- indicators


def indicators(job) -> None:
    from . import indicators as ind
    from .panel import read_panel

    p = job.params
    pan = read_panel(job.input.panel)
    write_csv(ind.compute_shares(pan, p.indicators, p.codebook), job.output.shares)
    write_csv(ind.compute_composites(pan, p.indicators), job.output.composites)
    write_csv(ind.compute_crosstab(pan, p.indicators, p.codebook), job.output.crosstab)


def scorecard(job) -> None:
    import pandas as pd

    from .panel import read_panel
    from .published import read_targets
    from .replication import scorecard as make_scorecard

    p = job.params
    tables = {
        Path(p).stem: pd.read_csv(p, dtype=str).assign(
            value=lambda d: pd.to_numeric(d["value"], errors="coerce")
        )
        for p in job.input.statbank
    }
    card = make_scorecard(
        read_targets(job.input.targets),
        pd.read_csv(job.input.shares),
        pd.read_csv(job.input.crosstab),
        p.indicators,
        p.waves,
        statbank=tables,
        panel=read_panel(job.input.panel),
        calibration=set(p.calibration),
    )
    n_ok = int(card["within_tolerance"].eq(True).sum())
    n_comp = int(card["reproduced"].notna().sum())
    log.info(
        "scorecard: %d of %d computable targets within tolerance; %d not computable",
        n_ok,
        n_comp,
        len(card) - n_comp,
    )
    for role, g in card[card["reproduced"].notna()].groupby("role"):
        log.info(
            "  %s: %d computed, %d within tolerance",
            role,
            len(g),
            int(g["within_tolerance"].eq(True).sum()),
        )
    write_csv(card, job.output[0])


def evidence_tables(job) -> None:
    """Paired change, unit and item nonresponse, reform sensitivity, composite rules."""
    from .evidence_tables import write_tables

    p = job.params
    write_tables(
        job.input.panel,
        dict(job.output),
        rules=p.indicators,
        codebook=p.codebook,
        size_groups=p.size_groups,
        waves=p.waves,
        comparison=p.comparison,
    )


def indicator_figures(job) -> None:
    """Figures of the indicator stage; disclosure control applies to real microdata."""
    import pandas as pd

    from .config import Settings
    from .indicator_plots import draw_all

    p = job.params
    # the parts of the settings the figures show (their params; no other configuration)
    settings = Settings(
        config={"lang": p.lang, "waves": p.waves, "report": {"comparison": p.comparison}},
        codebook=p.codebook,
        indicators=p.indicators,
        models=[],
        robustness={},
        synthetic={},
        size_groups=p.size_groups,
    )
    synthetic = p.synthetic
    made = draw_all(
        pd.read_csv(job.input.shares),
        pd.read_csv(job.input.composites),
        pd.read_csv(job.input.crosstab),
        settings,
        os.path.dirname(job.output.png[0]),
        synthetic,
        min_cell=None if synthetic else job.params.min_cell,
        scorecard=pd.read_csv(job.input.scorecard),
    )
    log.info("drew %d figures: %s", len(made), ", ".join(made))


def replication_figure(job) -> None:
    import pandas as pd

    from .figures import save_figure, setup_style
    from .published_plots import plot_replication

    setup_style()
    lang = job.params.lang
    card = pd.read_csv(job.input.scorecard)
    out = job.output
    for role in ("validation", "calibration"):
        fig, alt = plot_replication(card, lang, role)
        save_figure(
            fig,
            out[f"{role}_png"],
            out[f"{role}_svg"],
            out[f"{role}_alt"],
            alt,
            lang,
            job.params.synthetic,
        )


# --------------------------------------------------------------------------- models


def fit_model(job) -> None:
    """Fit one model spec (params.spec, resolved) and write its four outputs, also when
    the model failed (then the tables are empty and the JSON says why). The fit's wall
    time goes to the log (and Snakemake's benchmark file), not into the results."""
    from .models.fit import fit_model as fit_one
    from .models.fit import json_stats
    from .panel import read_panel

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


def _concat(paths, columns) -> pd.DataFrame:
    import pandas as pd

    frames = [pd.read_csv(p, dtype={"category": str, "size_group": str}) for p in paths]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)


def collect_models(job) -> None:
    """Concatenate the per-model coefficient and prediction tables."""
    from .models.fit import COEF_COLUMNS, COEF_EXTRA
    from .models.margins import PRED_COLUMNS

    write_csv(_concat(job.input.coefficients, COEF_COLUMNS + COEF_EXTRA), job.output.coefficients)
    pred = _concat(job.input.predictions, PRED_COLUMNS)
    if "year" in pred:
        pred["year"] = pred["year"].astype("Int64")
    write_csv(pred, job.output.predictions)


def robustness(job) -> None:
    """Refit the main models under each robustness variant (one table)."""
    from .models.robustness import robustness_table
    from .panel import read_panel

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
    from .model_plots import plot_coefficients

    o, p = job.output, job.params
    plot_coefficients(
        job.input.coefficients, job.input.json, p.spec, p.labels, p.lang, p.confidence,
        p.synthetic, o.png, o.svg, o.alt,
    )  # fmt: skip


def plot_predictions(job) -> None:
    from .model_plots import plot_predictions as plot

    o, p = job.output, job.params
    plot(
        list(job.input.predictions), list(job.input.json), p.labels, p.lang, p.confidence,
        p.synthetic, o.png, o.svg, o.alt, min_cell=None if p.synthetic else p.min_cell,
    )  # fmt: skip


def bootstrap_chunk(job) -> None:
    from .bootstrap import run_chunk

    p = job.params
    run_chunk(
        job.input.panel, p.spec, p.seed, int(job.wildcards.chunk), p.replicates, p.chunks,
        job.output[0],
    )  # fmt: skip


def bootstrap_combine(job) -> None:
    from .bootstrap import run_combine

    run_combine(job.input.point, list(job.input.chunks), job.output[0], job.params.confidence)


# --------------------------------------------------------------------------- report


def report(job) -> None:
    """The report in one language, and its records (provenance.json, context.json)."""
    from .report_render import render_report

    o = job.output
    render_report(
        qmd=job.input.qmd,
        inputs=[*job.input.sources, *(f for f in job.input if str(f).startswith("results/"))],
        config=job.params.config,
        targets=job.input.targets,
        results=os.path.dirname(o.provenance),
        lang=job.params.lang,
        choice=job.params.renderer,
        out={"html": o.html, "pdf": o.pdf, "provenance": o.provenance, "context": o.context},
        settings=job.params.context,
    )


# --------------------------------------------------------------------------- maps


def map_tables(job) -> None:
    from .maps.tables import run_tables

    p = job.params
    run_tables(
        panel_path=job.input.panel,
        frame_path=job.input.frame,
        changes_path=job.input.changes,
        crosswalk_path=job.input.crosswalk,
        municipalities_geo=job.input.geo_municipalities,
        counties_geo=job.input.geo_counties,
        maps=p.maps,
        size_groups=[dict(g) for g in p.size_groups],
        min_cell=p.min_cell,
        unit=p.unit_level,
        synthetic=p.synthetic,
        municipality_level=p.municipality_level,
        figures=list(p.figures),
        out=dict(job.output.items()),
    )


def map_boundaries(job) -> None:
    from .maps.boundaries import run_boundaries

    run_boundaries(
        municipalities_geo=job.input.geo_municipalities,
        counties_geo=job.input.geo_counties,
        frame_path=job.input.frame,
        out=dict(job.output.items()),
    )


def map_figures(job) -> None:
    """Each output name of rule map_figures is a figure stem, holding its PNG, SVG and
    alt text (multiext)."""
    from .maps.draw import run_figures

    p = job.params
    run_figures(
        frame_path=job.input.frame,
        counties_path=job.input.counties,
        municipalities_path=job.input.get("municipalities"),
        municipalities_geo=job.input.geo_municipalities,
        counties_geo=job.input.geo_counties,
        maps=p.maps,
        inset=p.inset,
        size_groups=[dict(g) for g in p.size_groups],
        min_cell=p.min_cell,
        lang=p.lang,
        synthetic=p.synthetic,
        out={stem: tuple(files) for stem, files in job.output.items()},
    )


# --------------------------------------------------------------------------- simulation


def _simulation_data(job) -> dict:
    """What a synthetic panel is made of: frames, generator parameters, codebook,
    published targets, crosswalk and the size groups."""
    from . import panel as P
    from .published import read_targets

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

    from .simulation import chunk_indices, simulate_seeds

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


def simulation_truth_panel(job) -> None:
    """The large synthetic panel of the pseudo-true values (truth_scale x the frames)."""
    from .simulation import make_large_panel, truth_seed

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
    write_csv(big, job.output[0])


def simulation_truth(job) -> None:
    """The true value of every term and effect of one model (generator or pseudo-true)."""
    from .panel import read_panel
    from .simulation import truth_table

    t0 = time.perf_counter()
    params = dict(job.params.synthetic)
    spec = dict(job.params.spec)
    truth = truth_table(read_panel(job.input.panel), [spec], params, job.params.confidence)
    log.info("truth %s: %d values, %.2f s", spec["id"], len(truth), time.perf_counter() - t0)
    write_csv(truth, job.output[0])


def simulation_recovery(job) -> None:
    """recovery.csv (per model term and effect) and validation.csv (per check)."""
    import pandas as pd

    from .simulation import (
        ESTIMATE_COLUMNS,
        VALIDATION_COLUMNS,
        recovery_table,
        validation_summary,
    )

    p = job.params
    est = _concat(list(job.input.estimates), ESTIMATE_COLUMNS)
    seen = sorted(set(est["seed_index"].astype(int)))
    if seen != list(range(int(p.seeds))):
        from .errors import DigikomError

        raise DigikomError(
            f"results/simulation/chunks: replicates {seen[:5]}... found, expected 0..{p.seeds - 1}"
        )
    truth = pd.concat(
        [pd.read_csv(f, dtype={"category": str}) for f in job.input.truth], ignore_index=True
    )
    rec = recovery_table(est, truth, p.confidence)
    val = validation_summary(_concat(list(job.input.validation), VALIDATION_COLUMNS))
    log.info(
        "recovery: %d rows over %d seeds; validation: %d checks", len(rec), len(seen), len(val)
    )
    write_csv(rec, job.output.recovery)
    write_csv(val, job.output.validation)
