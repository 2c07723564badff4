"""Rule statbank_fetch: one StatBank table -> tidy CSV."""

from digikom import rules

rules.run(snakemake, rules.statbank_fetch)
