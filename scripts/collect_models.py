"""Rule collect_models: concatenate the per-model coefficient and prediction tables."""

from digikom.rules import run
from digikom.rules.models import collect_models

run(snakemake, collect_models)  # noqa: F821 (Snakemake injects `snakemake`)
