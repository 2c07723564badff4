"""Rule report_context: the configuration the report describes, with where its numbers
come from (comparison waves, synthetic parameters and their provenance), as
results/report/context.json."""

from digikom.evidence import write_context
from digikom.io import run_rule

run_rule(
    snakemake,
    write_context,
    config=snakemake.config,
    targets_path=snakemake.input.targets,
    out=snakemake.output[0],
)
