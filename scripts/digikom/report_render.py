"""Rule report: render reports/report.qmd to HTML and PDF with the chosen renderer."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os

from .errors import RenderError
from .render import pick_renderer, render, renderer_version

log = logging.getLogger(__name__)

TITLES = {
    "nb": ("Digitalisering i kommunene", "Utviklingen fra {first} til {last}"),
    "en": ("Digitalisation in the municipalities", "Development from {first} to {last}"),
}


def render_report(qmd, provenance, results, lang, choice, out_html, out_pdf):
    """Render ``qmd`` in language ``lang``. ``choice`` is the renderer the workflow resolved
    (the one recorded in provenance.json); it is checked to be available here."""
    renderer = pick_renderer(choice)
    version = renderer_version(renderer)
    prov = json.loads(open(provenance, encoding="utf-8").read())
    if prov.get("renderer") != renderer:
        raise RenderError(
            f"{provenance}: renderer is {prov.get('renderer')!r} but this render uses "
            f"{renderer!r}; re-run the workflow so that both agree"
        )
    waves = sorted(prov["config"]["waves"])
    title, subtitle = TITLES[lang]
    meta = {
        "title": title,
        "subtitle": subtitle.format(first=waves[0], last=waves[-1])
        + (" – syntetiske data" if lang == "nb" else " – synthetic data")
        * (prov["data_mode"] == "synthetic"),
        "date": prov["created_utc"][:10],
        "lang": lang,
        "author": "digikom",
        "toc-title": "Innhold" if lang == "nb" else "Contents",
    }
    params = {"results": results, "lang": lang, "renderer": renderer, "renderer_version": version}
    log.info("rendering %s with %s (%s)", qmd, renderer, version)
    render(qmd, params, meta, renderer, out_html, out_pdf, workdir=os.getcwd())
    log.info("wrote %s and %s on %s", out_html, out_pdf, dt.date.today())
