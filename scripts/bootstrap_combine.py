"""Rule bootstrap_combine: percentile CIs per model x size group x wave."""

from digikom.bootstrap import run_combine
from digikom.io import run_rule

run_rule(
    snakemake,
    run_combine,
    point_path=snakemake.input.point,
    chunk_paths=list(snakemake.input.chunks),
    out=snakemake.output[0],
)
