"""Rule report: reports/report.qmd -> results/report/report.<lang>.html and .pdf."""

from digikom import rules

rules.run(snakemake, rules.report)
