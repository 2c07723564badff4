"""Rule report: render reports/report.qmd to HTML and PDF with the chosen renderer, and write
the records of that report (provenance.json, context.json)."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import shutil
from pathlib import Path

from .render import pick_renderer, render, renderer_version
from .text import Text

log = logging.getLogger(__name__)


def render_report(qmd, inputs, config, targets, results, lang, choice, out, settings=None):
    """Render ``qmd`` in language ``lang`` to ``out["html"]`` and ``out["pdf"]``, and write
    its records ``out["provenance"]`` (every file in ``inputs`` hashed; ``config`` recorded)
    and ``out["context"]`` (from ``settings``, digikom.report_context.context_settings;
    derived from ``config`` when not given). ``choice`` is the renderer the workflow
    resolved; it is checked to be available here. The records are written after the
    report, so a failed render never leaves records newer than the report they sit beside."""
    from . import report_context
    from .io import write_json
    from .provenance import build_provenance

    if settings is None:
        from .config import load_all

        settings = report_context.context_settings(load_all(config))
    renderer = pick_renderer(choice)
    version = renderer_version(renderer)
    prov = build_provenance(inputs, config, renderer, settings["data_mode"])
    ctx = report_context.build(settings, targets)
    tx = Text(lang)
    comparison = ctx["evidence"]["comparison"]  # resolved within the configured waves
    update = comparison["update"]
    key = "common.subtitle" + ("_update" if update else "")
    subtitle = tx(
        key,
        first=comparison["from"],
        last=comparison["to"],
        update=update[-1] if update else comparison["to"],
    )
    if prov["data_mode"] == "synthetic":
        subtitle = tx("common.subtitle_synthetic", subtitle=subtitle)
    meta = {
        "title": tx("common.title"),
        "subtitle": subtitle,
        # written out in the report's language by Babel, for both renderers (Quarto's
        # date formats have no nynorsk: it wrote "December 2, 2026" in the nn report)
        "date": tx.date(prov["created_utc"]),
        "lang": lang,
        "author": "digikom",
        "toc-title": tx("common.contents"),
        # Quarto's callout titles (its own nb and nn translations are not the report's)
        "language": {
            "callout-warning-title": tx("common.callout_warning"),
            "callout-note-title": tx("common.callout_note"),
        },
    }
    log.info("rendering %s with %s (%s)", qmd, renderer, version)
    # The report reads its records from the build area until it has been written (kept
    # there after a failure, for debugging, like the build directory itself).
    records = Path(out["html"]).parent / "_build" / f"{Path(out['html']).stem}.records"
    shutil.rmtree(records, ignore_errors=True)
    paths = {"provenance": records / "provenance.json", "context": records / "context.json"}
    write_json(paths["provenance"], prov)
    write_json(paths["context"], ctx)
    params = {
        "results": str(results),
        "lang": lang,
        "renderer": renderer,
        "renderer_version": version,
        "provenance": str(paths["provenance"]),
        "context": str(paths["context"]),
    }
    render(
        qmd, params, meta, renderer, out["html"], out["pdf"], workdir=os.getcwd(),
        date=prov["created_utc"][:10],
    )  # fmt: skip
    shutil.rmtree(records)
    with contextlib.suppress(OSError):
        records.parent.rmdir()  # _build/, unless another language is being built
    write_json(out["provenance"], prov)
    write_json(out["context"], ctx)
    log.info("wrote %s and %s on %s", out["html"], out["pdf"], dt.date.today())
