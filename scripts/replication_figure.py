"""Rule replication_figure: published against reproduced values, one figure for the
validation statistics and one for the calibration ones."""

from digikom.rules import run
from digikom.rules.indicators import replication_figure

run(snakemake, replication_figure)  # noqa: F821 (Snakemake injects `snakemake`)
