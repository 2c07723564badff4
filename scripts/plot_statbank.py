"""Rule statbank_figure: the report view and figure of one StatBank table."""

from digikom import rules

rules.run(snakemake, rules.statbank_figure)
