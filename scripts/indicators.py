"""Rule indicators: shares, means, composites and the barrier x recruitment cross-tab."""

from digikom.rules import run
from digikom.rules.indicators import indicators

run(snakemake, indicators)  # noqa: F821 (Snakemake injects `snakemake`)
