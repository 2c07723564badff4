"""Rule indicator_figures: the figures of the indicator stage."""

from digikom import rules

rules.run(snakemake, rules.indicator_figures)
