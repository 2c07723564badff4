"""Rule evidence_tables: paired change, nonresponse, reform sensitivity, composite rules."""

from digikom.evidence import write_tables
from digikom.io import run_rule

run_rule(
    snakemake,
    write_tables,
    panel_path=snakemake.input.panel,
    config=snakemake.config,
    out=dict(snakemake.output),
)
