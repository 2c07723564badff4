"""Rule map_tables: frame, county and (if allowed) municipality values of the maps."""

from digikom import rules

rules.run(snakemake, rules.map_tables)
