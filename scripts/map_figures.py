"""Rule map_figures: the maps (PNG, SVG, alt text)."""

from digikom.rules import run
from digikom.rules.maps import map_figures

run(snakemake, map_figures)  # noqa: F821 (Snakemake injects `snakemake`)
