"""Rule map_boundaries: the boundaries checked against the frame and projected once."""

from digikom import rules

rules.run(snakemake, rules.map_boundaries)
