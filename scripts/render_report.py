"""Rule report: reports/report.qmd -> results/report/report.<lang>.html and .pdf."""

import os

from digikom.io import run_rule
from digikom.report_render import render_report

run_rule(
    snakemake,
    render_report,
    qmd=snakemake.input.qmd,
    provenance=snakemake.input.provenance,
    results=os.path.dirname(snakemake.input.provenance),
    lang=snakemake.params.lang,
    choice=snakemake.params.renderer,
    out_html=snakemake.output.html,
    out_pdf=snakemake.output.pdf,
)
