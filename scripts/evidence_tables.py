"""Rule evidence_tables: paired change, nonresponse, reform sensitivity, composite rules."""

from digikom import rules

rules.run(snakemake, rules.evidence_tables)
