"""Parity between the two renderers on the real report: the results of one full workflow
run are rendered with Quarto and with pandoc + typst, and the four outputs (HTML and PDF of
each) must show the same section headings, the same figures and the same figure and table
numbers with the same captions. Slow: needs the `built` workflow run and the Quarto CLI
(CI installs it; locally skipped without it, failed with CI=true)."""

from __future__ import annotations

import html as htmllib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

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
def all_renders(built, built_en, tmp_path_factory, request):
    """{(renderer, lang): (html, pdf)}: the workflow's own reports, as they are (the
    `built` run, nb, by Quarto where it is on PATH, else by pandoc + typst; its scenario
    "en", by pandoc + typst), and the nb report by the other renderer, rendered here from
    the same results (Quarto when it is on PATH; the tests that need it say so)."""
    out = tmp_path_factory.mktemp("parity")
    result = {}
    for lang, wd in {"nb": built, "en": built_en[0]}.items():
        prov = json.loads((wd / "results/provenance.json").read_text())
        assert prov["renderer"] in ("quarto", "pandoc") and prov["config"]["lang"] == lang
        report = wd / "results/report"
        result[prov["renderer"], lang] = (
            report / f"report.{lang}.html",
            report / f"report.{lang}.pdf",
        )
    assert result.get(("pandoc", "en")), "scenario en renders with pandoc (.test/config_en.yaml)"
    renderers = ["quarto", "pandoc"] if shutil.which("quarto") else ["pandoc"]
    for renderer in renderers:
        if (renderer, "nb") in result:
            continue
        paths = {
            "html": out / f"{renderer}.nb.html",
            "pdf": out / f"{renderer}.nb.pdf",
            "provenance": out / f"provenance.{renderer}.nb.json",
            "context": out / f"context.{renderer}.nb.json",
        }
        config = json.loads((built / "results/provenance.json").read_text())["config"]
        mp = pytest.MonkeyPatch()
        mp.chdir(built)
        try:
            render_report(
                "reports/report.qmd", ["results/indicators/shares.csv"], config,
                config["files"]["targets"], "results", "nb", renderer, paths,
            )  # fmt: skip
        finally:
            mp.undo()
        prov = json.loads(paths["provenance"].read_text())
        assert prov["renderer"] == renderer
        assert prov["inputs"][0]["path"].endswith("shares.csv")
        assert not (built / "results/report/_build").exists()
        result[renderer, "nb"] = paths["html"], paths["pdf"]
    return result


@pytest.fixture(scope="module")
def renders(all_renders):
    """{renderer: (html, pdf)} of the nb report, rendered by both renderers."""
    needs_quarto()
    return {r: all_renders[r, "nb"] for r in ("quarto", "pandoc")}


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


# what an unresolved cross-reference leaves: "@sec-x" (pandoc, or Quarto without section
# numbers) and "?@sec-x" (Quarto)
UNRESOLVED = re.compile(r"\?@|@(?:sec|fig|tbl)-")


def test_every_cross_reference_is_resolved(all_renders):
    """No "@sec-", "@fig-", "@tbl-" or "?@" in the text of any HTML or PDF output (nb and
    en, every renderer)."""
    for key, (html, pdf) in all_renders.items():
        doc = html.read_text(encoding="utf-8")
        doc = re.sub(r"<(script|style)\b.*?</\1>", " ", doc, flags=re.S)
        doc = re.sub(r"<img\b[^>]*>", " ", doc)
        for where, text in (("html", plain(doc)), ("pdf", pdf_text(pdf))):
            hits = [text[max(0, m.start() - 40) : m.end() + 30] for m in UNRESOLVED.finditer(text)]
            assert hits == [], (key, where, hits[:5])
    # the replication section's reference from the methods section is a link
    nb = all_renders["pandoc", "nb"][0].read_text(encoding="utf-8")
    assert re.search(
        r'<a href="#sec-replication"[^>]*>Replikering\s+av\s+publiserte\s+tall</a>', nb
    )


def _axe_tools():
    """(node, the directory with node_modules/axe-core and playwright-core, chromium), or a
    skip (a failure with CI=true) naming what is missing."""
    modules = Path(os.environ.get("DIGIKOM_AXE_DIR", Path.home() / ".cache" / "digikom-axe"))
    missing = []
    node = shutil.which("node")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not node:
        missing.append("node")
    if not chromium:
        missing.append("chromium")
    for pkg, entry in (("axe-core", "axe.min.js"), ("playwright-core", "package.json")):
        if not (modules / "node_modules" / pkg / entry).is_file():
            missing.append(f"{pkg} in {modules} (npm install --prefix {modules} per tests/axe)")
    if missing:
        why = "accessibility test needs " + ", ".join(missing)
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but the {why}: .ci/run must install them")
        pytest.skip(why)
    return node, modules, chromium


def run_axe(*files, disable: tuple[str, ...] = (), rows: int = 0) -> dict:
    """{file: [violation, ...]} from axe-core (WCAG 2.1 A and AA rules, less those in
    ``disable``; with ``rows``, in the first ``rows`` rows of each table body only) in
    headless Chromium (tests/axe/run_axe.js); a skip, or a failure with CI=true, without
    the tools."""
    node, modules, chromium = _axe_tools()
    script = Path(__file__).with_name("axe") / "run_axe.js"
    files = [str(f) for f in files]
    off = ["--disable", ",".join(disable)] if disable else []
    off += ["--rows", str(rows)] if rows else []
    proc = subprocess.run(
        [node, str(script), str(modules), chromium, *off, *files],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    assert sorted(result) == sorted(files)  # every file was checked
    return result


def test_html_reports_pass_axe_core_wcag21_aa(all_renders):
    """axe-core (WCAG 2.1 A and AA rules) in headless Chromium finds no violation in the nb
    HTML report of every renderer, nor in the en report (pandoc + typst). The en report is
    checked without the color-contrast rule (3/4 of axe's time on a report): it has the
    pandoc nb report's styles and colours, only other words. Each table body is checked
    in its first 20 rows (the rows below have the same markup and styles; the municipality
    lookup's 357 rows took 2/3 of the time of an nb report)."""
    nb = [html for (_, lang), (html, _) in all_renders.items() if lang == "nb"]
    en = [html for (_, lang), (html, _) in all_renders.items() if lang != "nb"]
    result = run_axe(*nb, rows=20) | run_axe(*en, disable=("color-contrast",), rows=20)
    violations = {Path(f).name: v for f, v in result.items() if v}
    assert violations == {}, json.dumps(violations, ensure_ascii=False, indent=1)[:4000]


def test_axe_harness_reports_the_two_defects_it_was_written_for(tmp_path):
    """The harness can fail: a page with pale code comments and a scroll region without
    keyboard access gives exactly those two violations; fixed, none."""
    body = (
        '<pre><code><span style="color:#60a0b0">{c}# a comment</span></code></pre>'
        '<div class="s" {attrs}style="max-height:3em;overflow-y:auto">'
        + "<p>line</p>" * 20
        + "</div>"
    )
    page = '<!doctype html><html lang="en"><head><title>t</title></head><body><main>{}</main></body></html>'
    bad, good = tmp_path / "bad.html", tmp_path / "good.html"
    bad.write_text(page.format(body.format(c="", attrs="")))
    good.write_text(
        page.format(
            body.replace("#60a0b0", "#4d5a5e").format(
                c="", attrs='tabindex="0" role="region" aria-label="Lookup" '
            )
        )
    )
    result = run_axe(bad, good)
    assert sorted(v["id"] for v in result[str(bad)]) == [
        "color-contrast",
        "scrollable-region-focusable",
    ]
    assert result[str(good)] == []
    # a disabled rule is left out, the others still run; with rows, a table's first rows
    # are checked (the pale cell in row 2 of 30 is found, the one in row 25 not)
    partial = run_axe(bad, disable=("color-contrast",))
    assert [v["id"] for v in partial[str(bad)]] == ["scrollable-region-focusable"]
    table = tmp_path / "table.html"
    cells = ['<tr><td style="color:#{}">row {}</td></tr>'.format("bbbbbb" if i in (2, 25) else "222222", i) for i in range(1, 31)]  # fmt: skip
    table.write_text(page.format("<table><tbody>" + "".join(cells) + "</tbody></table>"))
    (found,) = run_axe(table, rows=20)[str(table)]
    assert found["id"] == "color-contrast" and [n["html"] for n in found["nodes"]] == [
        '<td style="color:#bbbbbb">row 2</td>'
    ]


def test_pdfs_are_tagged(all_renders):
    """The pandoc + typst PDFs (nb and en) are tagged PDFs (structure for screen readers).
    Known gap: Quarto 1.7.34 compiles with its bundled Typst 0.13.1, which writes untagged
    PDFs (tagging came with Typst 0.14); those are not checked here."""
    pdf_text(next(iter(all_renders.values()))[1])  # skips/fails like pdftotext without poppler
    pandoc = {k: v for k, v in all_renders.items() if k[0] == "pandoc"}
    assert sorted(pandoc) == [("pandoc", "en"), ("pandoc", "nb")]
    for key, (_, pdf) in pandoc.items():
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
        assert re.search(r"^Tagged:\s+yes$", info.stdout, re.M), (key, info.stdout)
