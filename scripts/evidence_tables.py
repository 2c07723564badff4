"""Rule evidence_tables: paired change, nonresponse, reform sensitivity, composite rules."""

from digikom.rules import run
from digikom.rules.indicators import evidence_tables

run(snakemake, evidence_tables)  # noqa: F821 (Snakemake injects `snakemake`)
