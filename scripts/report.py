"""Rule report: reports/report.qmd -> results/report/report.<lang>.html and .pdf."""

from digikom.rules import run
from digikom.rules.report import report

run(snakemake, report)  # noqa: F821 (Snakemake injects `snakemake`)
