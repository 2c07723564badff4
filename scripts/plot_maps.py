"""Rule map_figures: the maps (PNG, SVG, alt text)."""

import os

from digikom.io import run_rule
from digikom.maps import run_figures

run_rule(
    snakemake,
    run_figures,
    frame_path=snakemake.input.frame,
    counties_path=snakemake.input.counties,
    municipalities_path=snakemake.input.get("municipalities"),
    municipalities_geo=snakemake.input.geo_municipalities,
    counties_geo=snakemake.input.geo_counties,
    config=snakemake.config,
    lang=snakemake.params.lang,
    synthetic=snakemake.params.synthetic,
    outdir=os.path.dirname(snakemake.output.png[0]),
)
