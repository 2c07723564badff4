"""Rule map_figures: the maps (PNG, SVG, alt text)."""

from digikom import rules

rules.run(snakemake, rules.map_figures)
