"""Rule replication_figure: published against reproduced values."""

from digikom import rules

rules.run(snakemake, rules.replication_figure)
