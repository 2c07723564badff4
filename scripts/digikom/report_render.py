"""Rule report: render reports/report.qmd to HTML and PDF with the chosen renderer."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os

from .render import pick_renderer, render_pandoc, render_quarto, renderer_version

log = logging.getLogger(__name__)

TITLES = {
    "nb": ("Digitalisering i kommunene", "Utviklingen fra {first} til {last}"),
    "en": ("Digitalisation in the municipalities", "Development from {first} to {last}"),
}


def render_report(qmd, css, provenance, results, lang, choice, out_html, out_pdf):
    renderer = pick_renderer(choice)
    version = renderer_version(renderer)
    prov = json.loads(open(provenance, encoding="utf-8").read())
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
    if renderer == "quarto":
        render_quarto(qmd, params, meta, out_html, out_pdf, workdir=os.getcwd())
    else:
        render_pandoc(qmd, params, meta, css, out_html, out_pdf, workdir=os.getcwd())
    log.info("wrote %s and %s on %s", out_html, out_pdf, dt.date.today())
