"""Rule entry points: statbank_fetch, statbank_figure."""

from __future__ import annotations


def statbank_fetch(job) -> None:
    from ..statbank.fetch import fetch_table_to_csv

    fetch_table_to_csv(
        table=job.wildcards.table,
        selection=job.params.selection,
        settings=job.params.settings,
        raw_dir=job.params.raw_dir,
        out_csv=job.output.csv,
        out_meta=job.output.meta,
    )


def statbank_figure(job) -> None:
    from ..statbank.figure import statbank_figure as draw

    draw(
        csv=job.input.csv,
        meta=job.input.meta,
        report=job.params.report,
        table=job.wildcards.table,
        lang=job.params.lang,
        out=dict(job.output.items()),
    )
