"""Rule entry points: report."""

from __future__ import annotations

import os


def report(job) -> None:
    """The report in one language, and its records (provenance.json, context.json)."""
    from ..report_render import render_report

    o = job.output
    render_report(
        qmd=job.input.qmd,
        inputs=[*job.input.sources, *(f for f in job.input if str(f).startswith("results/"))],
        config=job.params.config,
        targets=job.input.targets,
        results=os.path.dirname(o.provenance),
        lang=job.params.lang,
        choice=job.params.renderer,
        out={"html": o.html, "pdf": o.pdf, "provenance": o.provenance, "context": o.context},
        settings=job.params.context,
    )
