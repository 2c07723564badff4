"""Rule bootstrap_chunk: one chunk of cluster-bootstrap replicates of one model."""

from digikom import rules

rules.run(snakemake, rules.bootstrap_chunk)
