"""Rule entry points: indicators, scorecard, evidence_tables, indicator_figures, replication_figure."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ..io import write_csv

log = logging.getLogger(__name__)


def indicators(job) -> None:
    from .. import indicators as ind
    from ..panel import read_panel

    p = job.params
    pan = read_panel(job.input.panel)
    write_csv(ind.compute_shares(pan, p.indicators, p.codebook), job.output.shares)
    write_csv(ind.compute_composites(pan, p.indicators), job.output.composites)
    write_csv(ind.compute_crosstab(pan, p.indicators, p.codebook), job.output.crosstab)


def scorecard(job) -> None:
    import pandas as pd

    from ..panel import read_panel
    from ..protection.public import read_public
    from ..published import read_targets
    from ..replication import scorecard as make_scorecard

    p = job.params
    tables = {
        Path(p).stem: pd.read_csv(p, dtype=str).assign(
            value=lambda d: pd.to_numeric(d["value"], errors="coerce")
        )
        for p in job.input.statbank
    }
    card = make_scorecard(
        read_targets(job.input.targets),
        read_public(job.input.shares, "shares"),
        read_public(job.input.crosstab, "crosstab"),
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
    from ..evidence_tables import write_tables

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
    """Figures of the indicator stage, drawn from the public (protected) tables."""
    import pandas as pd

    from ..config import Settings
    from ..indicator_plots import draw_all
    from ..protection.public import read_public

    p = job.params
    # the parts of the settings the figures show (their params; no other configuration);
    # p.comparison is Settings.comparison, resolved within the waves
    configured = p.comparison["configured"]
    settings = Settings(
        config={"lang": p.lang, "waves": p.waves, "report": {"comparison": configured}},
        codebook=p.codebook,
        indicators=p.indicators,
        models=[],
        robustness={},
        synthetic={},
        size_groups=p.size_groups,
    )
    synthetic = p.synthetic
    made = draw_all(
        read_public(job.input.shares, "shares"),
        read_public(job.input.composites, "composites"),
        read_public(job.input.crosstab, "crosstab"),
        settings,
        os.path.dirname(job.output[0]),
        synthetic,
        scorecard=pd.read_csv(job.input.scorecard),
    )
    log.info("drew %d figures: %s", len(made), ", ".join(made))


def replication_figure(job) -> None:
    import pandas as pd

    from ..figures import save_figure, setup_style
    from ..published_plots import plot_replication

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
