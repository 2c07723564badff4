"""Rule build_panel: validate the microdata and join it to the municipality frames."""

from digikom import rules

rules.run(snakemake, rules.build_panel)
