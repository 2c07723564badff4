"""The render layer: executing the .qmd once (prepare), numbering cross-references, and
typesetting HTML + PDF with pandoc + typst and with the real Quarto CLI.

The Quarto tests need a `quarto` binary on PATH (CI installs Quarto 1.7.34 with
../shared/tools/quarto/install.sh). Locally they are skipped without one; in CI (CI=true)
a missing binary fails them instead, so the Quarto path is never skipped silently."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from digikom.errors import RenderError
from digikom.render import (
    crossref,
    keep_numbers_whole,
    knit,
    pick_renderer,
    prepare,
    quarto_env,
    quarto_literal_date,
    render,
    section_refs,
)

QMD = """---
format:
  html:
    embed-resources: true
    toc: true
    toc-depth: 2
    css: r.css
  typst:
    toc: true
    toc-depth: 2
    section-numbering: "1.1"
    include-in-header: hdr.typ
execute:
  echo: false
jupyter: python3
---

```{python}
#| tags: [parameters]
x = 1
lang = "nb"
```

# Første del

```{python}
#| output: asis
print("| nøkkel | verdi |\\n|---|---|\\n| a | b |\\n")
print(f"Verdien er **{x * 2}**.")
print()
print("| a | b |\\n|---|--:|\\n| æ | 2 |\\n\\n: Tabell med ø {#tbl-one}")
```

Inline: `{python} x + 40`. Se @tbl-one og @fig-two.

| Under 2 000 | 10 000 og over |
|---|---|
| 1 | 2 |

### Underdel {#sec-under}

Tilbake til (@sec-under).

![En figur]({img}){#fig-two fig-alt="alt"}
"""


# A Quarto render takes 5-8 s (Deno, Bootstrap's Sass, its Lua filters): the Quarto cases
# are slow tests, so make test-fast is the same on a machine with or without Quarto.
QUARTO = pytest.param("quarto", marks=pytest.mark.slow)


def needs_quarto():
    if shutil.which("quarto"):
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true but no quarto binary on PATH: .ci/run must install Quarto")
    pytest.skip("no quarto binary on PATH (conda-forge quarto, or shared/tools/quarto)")


def pdf_text(pdf) -> str:
    if not shutil.which("pdftotext"):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but pdftotext (poppler-utils) is missing")
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split())


@pytest.fixture
def qmd(tmp_path):
    from PIL import Image

    src = tmp_path / "src"
    (src / "img").mkdir(parents=True)
    Image.new("RGB", (40, 20), (0, 114, 178)).save(src / "img" / "pic.png")
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "r.css").write_text("body { color: #123456; }\n")
    (reports / "hdr.typ").write_text(
        (Path(__file__).parents[1] / "reports/typst-header.typ").read_text()
    )
    p = reports / "r.qmd"
    # the image path is relative to the working directory, as digikom.report writes it
    p.write_text(QMD.replace("{img}", "src/img/pic.png"), encoding="utf-8")
    return p


def test_knit_overrides_parameters_and_runs_inline(qmd):
    meta, md = knit(qmd.read_text(), {"x": 5}, source="r.qmd")
    assert meta["format"]["html"]["embed-resources"] is True
    assert "Verdien er **10**." in md
    assert "Inline: 45." in md


def test_prepare_writes_a_self_contained_typeset_only_source(qmd, tmp_path):
    build = tmp_path / "out" / "_build" / "r"
    prepared = prepare(qmd, {"x": 3}, {"title": "Tittel", "lang": "nb"}, build, tmp_path)
    text = prepared.read_text(encoding="utf-8")
    front = yaml.safe_load(text.split("---\n")[1])
    # no execution options left: Quarto only typesets; the run's metadata is merged in
    assert "jupyter" not in front and "execute" not in front
    assert front["title"] == "Tittel" and front["format"]["typst"]["toc-depth"] == 2
    assert "```{python}" not in text and "Verdien er **6**." in text
    # the image is copied into the build directory and referenced from there
    assert "](figures/pic.png){#fig-two" in text
    assert (build / "figures/pic.png").read_bytes() == (tmp_path / "src/img/pic.png").read_bytes()
    assert (build / "r.css").exists() and (build / "hdr.typ").exists()


def test_missing_image_is_a_render_error(qmd, tmp_path):
    (tmp_path / "src/img/pic.png").unlink()
    with pytest.raises(RenderError, match=r"image that does not exist: src/img/pic.png"):
        prepare(qmd, {}, {"lang": "nb"}, tmp_path / "b", tmp_path)


def test_crossref_numbers_like_quarto():
    md = (
        "![A](a.png){#fig-a}\n\n![B](b.png){#fig-b}\n\n| x |\n|---|\n| 1 |\n\n: T {#tbl-t}\n\n"
        "See @fig-b, @fig-a and @tbl-t."
    )
    html = crossref(md, "nb", prefix_captions=True)
    assert "![Figur 1: A](a.png){#fig-a}" in html and "![Figur 2: B]" in html
    assert ": Tabell 1: T {#tbl-t}" in html
    assert "See [Figur&nbsp;2](#fig-b), [Figur&nbsp;1](#fig-a) and [Tabell&nbsp;1](#tbl-t)." in html
    en = crossref(md, "en", prefix_captions=False)
    assert "![A](a.png)" in en and "[Figure&nbsp;2](#fig-b)" in en
    with pytest.raises(RenderError, match="@fig-zzz has no target"):
        crossref(md + " @fig-zzz", "nb", prefix_captions=True)


def test_section_references_become_links_named_by_the_heading():
    md = "# Replikering {#sec-replication}\n\nSe (@sec-replication), ikke \\@sec-x eller a@sec-y.\n"
    out = section_refs(md)
    assert "Se ([Replikering](#sec-replication))" in out
    assert "\\@sec-x" in out and "a@sec-y" in out  # escaped, or part of a word: not refs
    with pytest.raises(RenderError, match="@sec-missing has no target"):
        section_refs(md + "Se @sec-missing.")


def test_no_line_break_inside_a_number():
    out = keep_numbers_whole("Under 2 000 | 10 000–49 999 | 1 234 567 | 2018 2020 | 12 3456")
    assert out == ("Under 2\xa0000 | 10\xa0000–49\xa0999 | 1\xa0234\xa0567 | 2018 2020 | 12 3456")


def test_failing_cell_names_the_chunk(qmd):
    bad = qmd.read_text().replace(
        'print(f"Verdien', '#| label: broken\nprint(1/0)\nprint(f"Verdien'
    )
    with pytest.raises(RenderError, match="broken failed: ZeroDivisionError"):
        knit(bad, {})


def _render(qmd, tmp_path, renderer, name="r"):
    out_html, out_pdf = tmp_path / "out" / f"{name}.html", tmp_path / "out" / f"{name}.pdf"
    render(
        qmd,
        {"x": 3},
        {"title": "Tittel", "lang": "nb", "toc-title": "Innhold"},
        renderer,
        str(out_html),
        str(out_pdf),
        workdir=tmp_path,
    )
    return out_html, out_pdf


def _check_outputs(out_html, out_pdf):
    html = out_html.read_text(encoding="utf-8").replace("\xa0", " ")
    assert "Verdien er <strong>6</strong>" in html
    assert 'id="tbl-one"' in html and "Tabell 1: Tabell med ø" in html
    assert 'src="data:image/png;base64' in html  # the figure is embedded
    assert 'href="#fig-two"' in html and "Figur 1: En figur" in html
    assert "#123456" in html  # the CSS is embedded
    assert out_pdf.read_bytes()[:5] == b"%PDF-"
    text = pdf_text(out_pdf)
    # the caption-less table is not counted: the labelled table is "Tabell 1", as in HTML
    assert "Tabell 1: Tabell med ø" in text and "Tabell 2" not in text
    assert "Se Tabell 1 og Figur 1" in text and "Figur 1: En figur" in text
    # a level-3 heading directly under a level-1 heading is numbered 1.1, not 1.0.1
    assert "1.1 Underdel" in text and "1.0.1" not in text
    # every cross-reference resolved: no "@sec-" (or Quarto's "?@sec-") left in HTML or PDF
    # (in the HTML's text: Quarto's embedded scripts contain "?@" in a regular expression)
    shown = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    for out in (shown, text):
        hit = re.search(r"\?@|@(?:sec|fig|tbl)-", out)
        assert not hit, out[max(0, hit.start() - 200) : hit.end() + 100]
    assert "Tilbake til (Underdel)" in text
    assert re.search(r'Tilbake til \(<a href="#sec-under"[^>]*>Underdel</a>\)', html)
    # numbers keep their digit groups together: a non-breaking space in the header cells
    raw = out_html.read_text(encoding="utf-8")
    assert re.search(r"Under 2(?:\xa0|&nbsp;|&#160;)000", raw)
    assert "Under 2 000" not in raw
    # the build directory is removed after success, no temp files are left
    assert sorted(p.name for p in out_html.parent.iterdir()) == ["r.html", "r.pdf"]


def test_render_pandoc_html_and_pdf(qmd, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out" / "_quarto").mkdir(parents=True)  # left behind by earlier versions
    (tmp_path / "out" / "_quarto" / "report.qmd").write_text("old")
    _check_outputs(*_render(qmd, tmp_path, "pandoc"))


@pytest.mark.slow
def test_render_quarto_html_and_pdf(qmd, tmp_path, monkeypatch):
    needs_quarto()
    monkeypatch.chdir(tmp_path)
    _check_outputs(*_render(qmd, tmp_path, "quarto"))


@pytest.mark.parametrize("renderer", ["pandoc", QUARTO])
def test_missing_resource_fails_and_keeps_the_build(qmd, tmp_path, monkeypatch, renderer):
    """A resource the renderer cannot fetch (here an <img> in raw HTML, which prepare()
    does not see) fails the render; the build directory is kept for debugging."""
    if renderer == "quarto":
        needs_quarto()
    monkeypatch.chdir(tmp_path)
    qmd.write_text(qmd.read_text() + '\n<img src="nosuch.png" alt="x">\n', encoding="utf-8")
    with pytest.raises(RenderError, match=r"could not fetch.*nosuch\.png"):
        _render(qmd, tmp_path, renderer)
    assert not (tmp_path / "out" / "r.html").exists()
    assert (tmp_path / "out" / "_build" / "r" / "report.qmd").exists()


def test_quarto_python_is_this_interpreter(monkeypatch):
    import sys

    monkeypatch.delenv("QUARTO_PYTHON", raising=False)
    assert quarto_env()["QUARTO_PYTHON"] == sys.executable
    monkeypatch.setenv("QUARTO_PYTHON", "/opt/other/python")
    assert quarto_env()["QUARTO_PYTHON"] == "/opt/other/python"
    # the typst CLI under Quarto dates the PDF like the pandoc path: midnight UTC of `date`
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert quarto_env("2026-11-27")["SOURCE_DATE_EPOCH"] == "1795737600"


def test_quarto_gets_the_written_out_date_as_a_literal_format(tmp_path):
    # Quarto formats `date` itself and has no nynorsk ("December 2, 2026" in the nn
    # report); the words the report shows become a literal dayjs format of the ISO date
    prepared = tmp_path / "report.qmd"
    prepared.write_text("---\ntitle: T\ndate: 2. desember 2026\n---\n\n# A\n", "utf-8")
    quarto_literal_date(prepared, "2026-12-02")
    text = prepared.read_text("utf-8")
    front = yaml.safe_load(text.split("---\n")[1])
    assert front == {"title": "T", "date": {"value": "2026-12-02", "format": "[2. desember 2026]"}}
    assert text.endswith("---\n\n# A\n")
    # without a build date (e.g. a test document) the front matter is left alone
    before = text
    quarto_literal_date(prepared, None)
    assert prepared.read_text("utf-8") == before


def test_a_written_out_date_stays_text_in_the_typst_title_block(tmp_path):
    # pandoc writes the date into the typst template unescaped: "2. desember 2026" was a
    # numbered list (item 2) in the PDF's title block; reports/title-block.lua (the
    # report's `filters:`, run by both renderers) escapes it for typst only
    import pypandoc
    import typst

    lua = Path(__file__).parents[1] / "reports/title-block.lua"
    doc = "---\ntitle: T\ndate: 2. desember 2026\n---\n\n2\\. desember er en dato.\n"
    typ = tmp_path / "d.typ"

    def convert(to, *extra):
        return pypandoc.convert_text(doc, to, format="markdown", extra_args=["-s", *extra])

    typ.write_text(convert("typst"), encoding="utf-8")
    assert json.loads(typst.query(str(typ), "enum")) != []  # pandoc's own output
    typ.write_text(convert("typst", f"--lua-filter={lua}"), encoding="utf-8")
    assert json.loads(typst.query(str(typ), "enum")) == []
    assert "date: [2\\. desember 2026]" in typ.read_text("utf-8")
    # the HTML keeps the date as it is
    assert "2. desember 2026" in convert("html", f"--lua-filter={lua}")


def test_renderer_choice(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert pick_renderer("auto") == "pandoc"
    with pytest.raises(RenderError, match="no quarto binary"):
        pick_renderer("quarto")
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/quarto")
    assert pick_renderer("auto") == "quarto"


def test_missing_pdf_font_is_a_clear_error(qmd, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (qmd.parent / "hdr.typ").write_text('#set text(font: "Nosuch Sans Zz")\n')
    with pytest.raises(RenderError, match="Nosuch Sans Zz"):
        _render(qmd, tmp_path, "pandoc")
    assert not (tmp_path / "out" / "r.pdf").exists()


def test_long_table_breaks_across_pages(tmp_path, monkeypatch):
    """A labelled table longer than a page breaks across pages instead of running off the
    page: every row is in the PDF. (With Quarto, where such a table is a figure of kind
    "quarto-float-tbl", the built report's longest table is checked instead, without a
    render of its own: tests/test_report.py::test_long_table_breaks_across_pages.)"""
    monkeypatch.chdir(tmp_path)
    reports = tmp_path / "reports"
    reports.mkdir()
    shutil.copyfile(Path(__file__).parents[1] / "reports/typst-header.typ", reports / "h.typ")
    rows = "\n".join(f"| rad{i:03d} | {i} |" for i in range(120))
    (reports / "t.qmd").write_text(
        "---\nformat:\n  html: {embed-resources: true}\n  typst: {include-in-header: h.typ}\n"
        f"---\n\n| navn | verdi |\n|---|--:|\n{rows}\n\n: Lang tabell {{#tbl-long}}\n",
        encoding="utf-8",
    )
    out_pdf = tmp_path / "out" / "t.pdf"
    render(
        reports / "t.qmd",
        {},
        {"lang": "nb"},
        "pandoc",
        str(out_pdf.with_suffix(".html")),
        str(out_pdf),
        workdir=tmp_path,
    )
    text = pdf_text(out_pdf)
    missing = [i for i in range(120) if f"rad{i:03d}" not in text]
    assert missing == [] and "Tabell 1: Lang tabell" in text
    pages = subprocess.run(["pdfinfo", str(out_pdf)], capture_output=True, text=True).stdout
    assert int(next(x.split()[-1] for x in pages.splitlines() if x.startswith("Pages"))) >= 2
