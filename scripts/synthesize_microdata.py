"""Rule synthesize_microdata: the seeded synthetic panel in digikom panel format."""

from digikom.io import run_rule
from digikom.stages import synthesize

run_rule(
    snakemake,
    synthesize,
    frames=list(snakemake.input.frames),
    config=snakemake.config,
    targets_path=snakemake.input.targets,
    crosswalk=snakemake.input.crosswalk,
    out=snakemake.output[0],
)
