"""Rule build_panel: validate the microdata and join it to the municipality frames."""

from digikom.io import run_rule
from digikom.stages import panel

run_rule(
    snakemake,
    panel,
    microdata=snakemake.input.microdata,
    frames=list(snakemake.input.frames),
    crosswalk=snakemake.input.crosswalk,
    config=snakemake.config,
    out=snakemake.output[0],
)
