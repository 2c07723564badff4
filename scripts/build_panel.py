"""Rule build_panel: validate the microdata and join it to the municipality frames."""

from digikom.rules import run
from digikom.rules.data import build_panel

run(snakemake, build_panel)  # noqa: F821 (Snakemake injects `snakemake`)
