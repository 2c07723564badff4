"""Rule map_tables: frame, county and (if allowed) municipality values of the maps."""

from digikom.io import run_rule
from digikom.maps import run_tables

run_rule(
    snakemake,
    run_tables,
    panel_path=snakemake.input.panel,
    frame_path=snakemake.input.frame,
    changes_path=snakemake.input.changes,
    crosswalk_path=snakemake.input.crosswalk,
    municipalities_geo=snakemake.input.geo_municipalities,
    counties_geo=snakemake.input.geo_counties,
    config=snakemake.config,
    out=dict(snakemake.output.items()),
)
