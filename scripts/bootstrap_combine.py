"""Rule bootstrap_combine: percentile CIs per model x size group x wave."""

from digikom import rules

rules.run(snakemake, rules.bootstrap_combine)
