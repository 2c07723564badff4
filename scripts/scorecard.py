"""Rule scorecard: published figures next to the reproduced ones."""

from digikom import rules

rules.run(snakemake, rules.scorecard)
