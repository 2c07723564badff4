"""Rule bootstrap_chunk: one chunk of cluster-bootstrap replicates of one model."""

from digikom.rules import run
from digikom.rules.models import bootstrap_chunk

run(snakemake, bootstrap_chunk)  # noqa: F821 (Snakemake injects `snakemake`)
