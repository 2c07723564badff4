"""Rule replication_figure: published against reproduced values."""

from digikom.io import run_rule
from digikom.stages import replication_figure

run_rule(
    snakemake,
    replication_figure,
    scorecard=snakemake.input.scorecard,
    lang=snakemake.params.lang,
    synthetic=snakemake.params.synthetic,
    out=dict(snakemake.output.items()),
)
