"""Rule scorecard: published figures next to the reproduced ones."""

from digikom.io import run_rule
from digikom.stages import replication

run_rule(
    snakemake,
    replication,
    shares=snakemake.input.shares,
    crosstab=snakemake.input.crosstab,
    targets_path=snakemake.input.targets,
    config=snakemake.config,
    out=snakemake.output[0],
    statbank=list(snakemake.input.statbank),
    panel_path=snakemake.input.panel,
)
