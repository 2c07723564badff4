"""Rule report_context: the configuration the report describes, as results/report/context.json."""

from digikom.io import run_rule
from digikom.provenance import write_context

run_rule(
    snakemake,
    write_context,
    config=snakemake.config,
    targets_path=snakemake.input.targets,
    out=snakemake.output[0],
)
