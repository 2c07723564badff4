"""Rule indicator_figures: the figures of the indicator stage."""

import os

from digikom.io import run_rule
from digikom.stages import indicator_figures

run_rule(
    snakemake,
    indicator_figures,
    shares=snakemake.input.shares,
    composites=snakemake.input.composites,
    crosstab=snakemake.input.crosstab,
    config=snakemake.config,
    outdir=os.path.dirname(snakemake.output.png[0]),
    synthetic=snakemake.params.synthetic,
)
