"""Rule robustness: refit the main models under each robustness variant (one table)."""

from digikom.rules import run
from digikom.rules.models import robustness

run(snakemake, robustness)  # noqa: F821 (Snakemake injects `snakemake`)
