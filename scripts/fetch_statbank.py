"""Snakemake script of rule statbank_fetch: one StatBank table -> tidy CSV + metadata."""

from digikom.io import run_rule
from digikom.statbank import fetch_table_to_csv

run_rule(
    snakemake,
    fetch_table_to_csv,
    table=snakemake.wildcards.table,
    selection=snakemake.params.selection,
    settings=snakemake.params.settings,
    raw_dir=snakemake.params.raw_dir,
    out_csv=snakemake.output.csv,
    out_meta=snakemake.output.meta,
)
