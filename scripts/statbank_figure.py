"""Rule statbank_figure: the report view and figure of one StatBank table."""

from digikom.rules import run
from digikom.rules.statbank import statbank_figure

run(snakemake, statbank_figure)  # noqa: F821 (Snakemake injects `snakemake`)
