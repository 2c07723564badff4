"""Rule synthesize_microdata: the seeded synthetic panel in digikom panel format."""

from digikom.rules import run
from digikom.rules.data import synthesize_microdata

run(snakemake, synthesize_microdata)  # noqa: F821 (Snakemake injects `snakemake`)
