"""Rule scorecard: published figures next to the reproduced ones."""

from digikom.rules import run
from digikom.rules.indicators import scorecard

run(snakemake, scorecard)  # noqa: F821 (Snakemake injects `snakemake`)
