"""Rule indicator_figures: the figures of the indicator stage."""

from digikom.rules import run
from digikom.rules.indicators import indicator_figures

run(snakemake, indicator_figures)  # noqa: F821 (Snakemake injects `snakemake`)
