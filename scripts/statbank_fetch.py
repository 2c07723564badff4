"""Rule statbank_fetch: one StatBank table -> tidy CSV."""

from digikom.rules import run
from digikom.rules.statbank import statbank_fetch

run(snakemake, statbank_fetch)  # noqa: F821 (Snakemake injects `snakemake`)
