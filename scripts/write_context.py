"""Rule report_context: the configuration the report describes, as results/report/context.json."""

from digikom import rules

rules.run(snakemake, rules.report_context)
