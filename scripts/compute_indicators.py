"""Rule indicators: shares, means, composites and the barrier x recruitment cross-tab."""

from digikom.io import run_rule
from digikom.stages import indicators

run_rule(
    snakemake,
    indicators,
    panel_path=snakemake.input.panel,
    config=snakemake.config,
    out_shares=snakemake.output.shares,
    out_composites=snakemake.output.composites,
    out_crosstab=snakemake.output.crosstab,
)
