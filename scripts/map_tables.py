"""Rule map_tables: frame, county and (if allowed) municipality values of the maps."""

from digikom.rules import run
from digikom.rules.maps import map_tables

run(snakemake, map_tables)  # noqa: F821 (Snakemake injects `snakemake`)
