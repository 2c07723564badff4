"""Rule replication_figure: published against reproduced values, one figure for the
validation statistics and one for the calibration ones."""

from digikom import rules

rules.run(snakemake, rules.replication_figure)
