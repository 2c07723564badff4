"""Rule bootstrap_combine: percentile CIs per model x size group x wave."""

from digikom.rules import run
from digikom.rules.models import bootstrap_combine

run(snakemake, bootstrap_combine)  # noqa: F821 (Snakemake injects `snakemake`)
