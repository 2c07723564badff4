"""Rule report: reports/report.qmd -> results/report/report.html and report.pdf."""

from digikom import rules

rules.run(snakemake, rules.report)
