"""Rule entry points: synthesize_microdata, build_panel."""

from __future__ import annotations

import logging

from ..io import write_csv

log = logging.getLogger(__name__)


def synthesize_microdata(job) -> None:
    from .. import panel as P
    from .. import synthetic as S
    from ..published import read_targets

    p = job.params
    frames = P.read_frames(dict(zip(p.waves, job.input.frames, strict=True)))
    micro = S.generate(
        frames, dict(p.synthetic), dict(p.codebook), read_targets(job.input.targets),
        p.seed, P.read_crosswalk(job.input.crosswalk),
    )  # fmt: skip
    write_csv(micro, job.output[0])


def build_panel(job) -> None:
    from .. import panel as P

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
