"""Rule robustness: refit the main models under each robustness variant (one table)."""

from digikom import rules

rules.run(snakemake, rules.robustness)
