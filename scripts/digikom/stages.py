"""Entry points of the rules: each reads files, calls the plain functions of the package
and writes its outputs atomically. The per-rule scripts in scripts/ call these."""

from __future__ import annotations

import logging

from . import panel as P
from . import synthetic as S
from .config import load_all
from .io import write_csv
from .published import read_targets

log = logging.getLogger(__name__)


def frames_from(paths, waves):
    return P.read_frames(dict(zip(waves, paths, strict=True)))


def synthesize(frames, config, targets_path, out, crosswalk=None):
    settings = load_all(config)
    frames = frames_from(frames, config["waves"])
    targets = read_targets(targets_path)
    cw = P.read_crosswalk(crosswalk) if crosswalk else None
    micro = S.generate(frames, settings.synthetic, settings.codebook, targets, config["seed"], cw)
    write_csv(micro, out)


def panel(microdata, frames, crosswalk, config, out):
    settings = load_all(config)
    frames = frames_from(frames, config["waves"])
    raw = P.read_microdata(microdata)
    typed = P.validate_microdata(raw, settings.codebook, frames, config["waves"], str(microdata))
    log.info("microdata %s: %d valid rows", microdata, len(typed))
    pan = P.build_panel(
        typed, frames, settings.size_groups, settings.codebook, P.read_crosswalk(crosswalk)
    )
    for year, g in pan.groupby("year"):
        log.info(
            "wave %s: frame %d, respondents %d (%.1f %%)",
            year,
            len(g),
            g["responded"].sum(),
            100 * g["responded"].mean(),
        )
    write_csv(pan, out)


def indicators(panel_path, config, out_shares, out_composites, out_crosstab):
    from . import indicators as ind
    from .panel import read_panel

    settings = load_all(config)
    pan = read_panel(panel_path)
    write_csv(ind.compute_shares(pan, settings.indicators, settings.codebook), out_shares)
    write_csv(ind.compute_composites(pan, settings.indicators), out_composites)
    write_csv(ind.compute_crosstab(pan, settings.indicators, settings.codebook), out_crosstab)


def replication(shares, crosstab, targets_path, config, out, statbank=(), panel_path=None):
    import pandas as pd

    from .panel import read_panel
    from .replication import scorecard

    settings = load_all(config)
    synthetic = config.get("microdata") is None
    calibration = S.calibration_ids(settings.synthetic) if synthetic else set()
    from pathlib import Path

    tables = {
        Path(p).stem: pd.read_csv(p, dtype=str).assign(
            value=lambda d: pd.to_numeric(d["value"], errors="coerce")
        )
        for p in statbank
    }
    card = scorecard(
        read_targets(targets_path),
        pd.read_csv(shares),
        pd.read_csv(crosstab),
        settings.indicators,
        config["waves"],
        statbank=tables,
        panel=read_panel(panel_path) if panel_path else None,
        calibration=calibration,
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
    write_csv(card, out)


def indicator_figures(shares, composites, crosstab, config, outdir, synthetic):
    """Figures of the indicator stage; disclosure control applies to real microdata."""
    import pandas as pd

    from .indicator_plots import draw_all

    settings = load_all(config)
    made = draw_all(
        pd.read_csv(shares),
        pd.read_csv(composites),
        pd.read_csv(crosstab),
        settings,
        outdir,
        synthetic,
        min_cell=None if synthetic else config["report"]["min_cell"],
    )
    log.info("drew %d figures: %s", len(made), ", ".join(made))


def replication_figure(scorecard, lang, synthetic, out):
    import pandas as pd

    from .figures import save_figure, setup_style
    from .indicator_plots import plot_replication

    setup_style()
    fig, alt = plot_replication(pd.read_csv(scorecard), lang)
    save_figure(fig, out["png"], out["svg"], out["alt"], alt, lang, synthetic)
