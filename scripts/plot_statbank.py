"""Snakemake script of rule statbank_figure: the report view and figure of one table."""

from digikom.io import run_rule
from digikom.statbank_view import statbank_figure

run_rule(
    snakemake,
    statbank_figure,
    csv=snakemake.input.csv,
    meta=snakemake.input.meta,
    report=snakemake.params.report,
    table=snakemake.wildcards.table,
    lang=snakemake.params.lang,
    out=dict(snakemake.output.items()),
)
