"""Rule map_boundaries: the boundaries checked against the frame and projected once."""

from digikom.rules import run
from digikom.rules.maps import map_boundaries

run(snakemake, map_boundaries)  # noqa: F821 (Snakemake injects `snakemake`)
