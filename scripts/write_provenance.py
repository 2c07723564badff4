"""Rule provenance: results/provenance.json (git, time, config, packages, input hashes)."""

from digikom.io import run_rule
from digikom.provenance import write_provenance

run_rule(
    snakemake,
    write_provenance,
    inputs=list(snakemake.input.files),
    config=snakemake.config,
    renderer=snakemake.params.renderer,
    out=snakemake.output[0],
)
