"""Rule report: render reports/report.qmd to HTML and PDF with the chosen renderer."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from pathlib import Path

from .errors import RenderError
from .render import pick_renderer, render, renderer_version
from .text import Text

log = logging.getLogger(__name__)


def render_report(qmd, provenance, results, lang, choice, out_html, out_pdf):
    """Render ``qmd`` in language ``lang``. ``choice`` is the renderer the workflow resolved
    (the one recorded in provenance.json); it is checked to be available here."""
    renderer = pick_renderer(choice)
    version = renderer_version(renderer)
    prov = json.loads(Path(provenance).read_text(encoding="utf-8"))
    if prov.get("renderer") != renderer:
        raise RenderError(
            f"{provenance}: renderer is {prov.get('renderer')!r} but this render uses "
            f"{renderer!r}; re-run the workflow so that both agree"
        )
    tx = Text(lang)
    waves = sorted(prov["config"]["waves"])
    first, last = (prov["config"].get("report") or {}).get("comparison") or [waves[0], waves[-1]]
    key = "common.subtitle" + ("_update" if waves[-1] > last else "")
    subtitle = tx(key, first=first, last=last, update=waves[-1])
    if prov["data_mode"] == "synthetic":
        subtitle = tx("common.subtitle_synthetic", subtitle=subtitle)
    meta = {
        "title": tx("common.title"),
        "subtitle": subtitle,
        "date": prov["created_utc"][:10],
        "lang": lang,
        "author": "digikom",
        "toc-title": tx("common.contents"),
    }
    params = {"results": results, "lang": lang, "renderer": renderer, "renderer_version": version}
    log.info("rendering %s with %s (%s)", qmd, renderer, version)
    render(qmd, params, meta, renderer, out_html, out_pdf, workdir=os.getcwd())
    log.info("wrote %s and %s on %s", out_html, out_pdf, dt.date.today())
