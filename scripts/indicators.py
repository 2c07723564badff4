"""Rule indicators: shares, means, composites and the barrier x recruitment cross-tab."""

from digikom import rules

rules.run(snakemake, rules.indicators)
