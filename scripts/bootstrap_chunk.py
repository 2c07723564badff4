"""Rule bootstrap_chunk: one chunk of cluster-bootstrap replicates of one model."""

from digikom.bootstrap import run_chunk
from digikom.io import run_rule

run_rule(
    snakemake,
    run_chunk,
    panel_path=snakemake.input.panel,
    spec=snakemake.params.spec,
    seed=snakemake.params.seed,
    chunk=int(snakemake.wildcards.chunk),
    replicates=snakemake.params.replicates,
    chunks=snakemake.params.chunks,
    out=snakemake.output[0],
)
