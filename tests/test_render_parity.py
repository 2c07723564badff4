"""Parity between the two renderers on the real report: the results of one full workflow
run are rendered with Quarto and with pandoc + typst, and the four outputs (HTML and PDF of
each) must show the same section headings, the same figures and the same figure and table
numbers with the same captions. Slow: needs the `built` workflow run and the Quarto CLI
(CI installs it; locally skipped without it, failed with CI=true)."""

from __future__ import annotations

import html as htmllib
import json
import re
import subprocess

import pytest
from digikom.render import renderer_version
from digikom.report_render import render_report
from digikom.text import Text
from test_render import needs_quarto, pdf_text

pytestmark = pytest.mark.slow

HEADING = re.compile(r"<h([1-6])([^>]*)>(.*?)</h\1>", re.S)
CAPTION = re.compile(r"\b(Figur|Tabell) (\d+): (\S+ \S+ \S+)")


def plain(fragment: str) -> str:
    fragment = re.sub(r"</?(?:code|span|a|em|strong|sup|sub)\b[^>]*>", "", fragment)
    text = htmllib.unescape(re.sub(r"<[^>]+>", " ", fragment)).replace("\xa0", " ")
    return " ".join(text.split())


def html_facts(path) -> dict:
    doc = path.read_text(encoding="utf-8")
    body = doc[doc.index("<body") :]
    body = re.sub(r"<nav[^>]*id=\"TOC\".*?</nav>", "", body, flags=re.S)  # table of contents
    headings = [
        (int(level), plain(inner))
        for level, attrs, inner in HEADING.findall(body)
        if 'class="title"' not in attrs and "toc-title" not in attrs
    ]
    text = plain(re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S))
    images = re.findall(r"<img[^>]+src=\"([^\"]{0,30})", body)
    return {"headings": headings, "captions": CAPTION.findall(text), "images": images}


def numbered(headings: list[tuple[int, str]]) -> list[str]:
    """Section numbers as the PDF shows them (skipped levels left out: 6.1, not 6.0.1)."""
    counters = [0] * 7
    out = []
    for level, title in headings:
        counters[level] += 1
        counters[level + 1 :] = [0] * (6 - level)
        out.append(".".join(str(n) for n in counters[1 : level + 1] if n) + " " + title)
    return out


@pytest.fixture(scope="module")
def renders(built, tmp_path_factory, request):
    """{renderer: (html, pdf)} for the built results, rendered by both renderers."""
    needs_quarto()
    out = tmp_path_factory.mktemp("parity")
    mp = pytest.MonkeyPatch()
    mp.chdir(built)
    request.addfinalizer(mp.undo)
    result = {}
    config = json.loads((built / "results/provenance.json").read_text())["config"]
    for renderer in ("quarto", "pandoc"):
        paths = {
            "html": out / f"{renderer}.nb.html",
            "pdf": out / f"{renderer}.nb.pdf",
            "provenance": out / f"provenance.{renderer}.json",
            "context": out / f"context.{renderer}.json",
        }
        render_report(
            "reports/report.qmd", ["results/indicators/shares.csv"], config,
            config["files"]["targets"], "results", "nb", renderer, paths,
        )  # fmt: skip
        prov = json.loads(paths["provenance"].read_text())
        assert prov["renderer"] == renderer and prov["inputs"][0]["path"].endswith("shares.csv")
        result[renderer] = paths["html"], paths["pdf"]
    assert not (built / "results/report/_build").exists()
    return result


def test_renderers_agree_on_headings_figures_and_numbers(renders):
    q_html, p_html = (html_facts(renders[r][0]) for r in ("quarto", "pandoc"))
    q_pdf, p_pdf = (pdf_text(renders[r][1]) for r in ("quarto", "pandoc"))
    # headings: the same in both HTML outputs, and numbered alike in both PDFs
    assert q_html["headings"] == p_html["headings"]
    assert [t for lv, t in q_html["headings"] if lv == 1][:2] == ["Hovedfunn", "Data og metode"]
    for pdf in (q_pdf, p_pdf):
        missing = [h for h in numbered(q_html["headings"]) if h not in pdf]
        assert missing == []
        for _, title in q_html["headings"]:
            assert not re.search(rf"\b\d+\.0\.\d+ {re.escape(title)}", pdf), title
    # figures and tables: the same numbers with the same captions in all four outputs
    captions = q_html["captions"]
    figs = [n for kind, n, _ in captions if kind == "Figur"]
    tbls = [n for kind, n, _ in captions if kind == "Tabell"]
    assert figs == [str(i) for i in range(1, len(figs) + 1)] and len(figs) >= 15
    assert tbls == [str(i) for i in range(1, len(tbls) + 1)] and len(tbls) >= 10
    assert p_html["captions"] == captions
    assert CAPTION.findall(q_pdf) == captions
    assert CAPTION.findall(p_pdf) == captions
    # every figure is embedded in both HTML files
    for facts in (q_html, p_html):
        assert len(facts["images"]) == len(figs)
        assert all(src.startswith("data:image/png;base64") for src in facts["images"])


def test_cross_references_point_at_the_numbered_target(renders):
    """In both HTML outputs, each link "Tabell N"/"Figur N" goes to the float captioned N."""
    for renderer, (html, _) in renders.items():
        doc = html.read_text(encoding="utf-8").replace("\xa0", " ").replace("&nbsp;", " ")
        doc = re.sub(r"<img\b[^>]*>", "", doc)  # embedded images are long
        refs = re.findall(r'<a href="#((?:fig|tbl)-[\w-]+)"[^>]*>(Figur|Tabell) (\d+)</a>', doc)
        assert len(refs) >= 3, renderer
        for ident, kind, n in refs:
            start = doc.index(">", doc.index(f'id="{ident}"'))  # after the opening tag
            assert f"{kind} {n}:" in plain(doc[start : start + 20000])[:2000], (renderer, ident)


def test_header_names_the_renderer(renders):
    label = Text("nb")("header.renderer")  # "Laget med"
    for renderer, (html, pdf) in renders.items():
        line = f"{label}: {renderer} ({renderer_version(renderer)})"
        assert line in plain(html.read_text(encoding="utf-8"))
        assert line in pdf_text(pdf)


def test_quarto_available_in_ci():
    """CI runs the Quarto path: a missing binary there is a failure, not a skip."""
    needs_quarto()
    version = subprocess.run(
        ["quarto", "--version"], capture_output=True, text=True, timeout=120
    ).stdout.strip()
    assert version.startswith("1.7."), f"quarto {version!r} on PATH; CI tests Quarto 1.7"
