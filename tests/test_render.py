"""The pandoc path of the renderer: executing .qmd cells like Quarto, numbering
cross-references, and writing HTML + PDF. The Quarto path runs where a binary exists."""

from __future__ import annotations

import shutil

import pytest
from digikom.errors import RenderError
from digikom.render import crossref, knit, pick_renderer, render_pandoc, render_quarto

QMD = """---
format:
  html:
    embed-resources: true
---

```{python}
#| tags: [parameters]
x = 1
lang = "nb"
```

```{python}
#| output: asis
print(f"Verdien er **{x * 2}**.")
print()
print("| a | b |\\n|---|--:|\\n| æ | 2 |\\n\\n: Tabell med ø {#tbl-one}")
```

Inline: `{python} x + 40`. Se @tbl-one og @fig-two.

![En figur]({img}){#fig-two fig-alt="alt"}
"""


@pytest.fixture
def qmd(tmp_path):
    from PIL import Image

    img = tmp_path / "img.png"
    Image.new("RGB", (40, 20), (0, 114, 178)).save(img)
    p = tmp_path / "r.qmd"
    p.write_text(QMD.replace("{img}", img.name), encoding="utf-8")
    return p


def test_knit_overrides_parameters_and_runs_inline(qmd):
    meta, md = knit(qmd.read_text(), {"x": 5}, source="r.qmd")
    assert meta["format"]["html"]["embed-resources"] is True
    assert "Verdien er **10**." in md
    assert "Inline: 45." in md


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


def test_failing_cell_names_the_chunk(qmd):
    bad = qmd.read_text().replace(
        'print(f"Verdien', '#| label: broken\nprint(1/0)\nprint(f"Verdien'
    )
    with pytest.raises(RenderError, match="broken failed: ZeroDivisionError"):
        knit(bad, {})


def test_render_pandoc_html_and_pdf(qmd, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out_html, out_pdf = tmp_path / "out" / "r.html", tmp_path / "out" / "r.pdf"
    render_pandoc(
        str(qmd),
        {"x": 3},
        {"title": "Tittel", "lang": "nb"},
        None,
        str(out_html),
        str(out_pdf),
        workdir=str(tmp_path),
    )
    html = out_html.read_text(encoding="utf-8")
    assert "Verdien er <strong>6</strong>" in html
    assert 'id="tbl-one"' in html and "Tabell 1: Tabell med ø" in html
    assert 'src="data:image/png;base64' in html  # embedded
    assert 'href="#fig-two"' in html and "Figur 1: En figur" in html
    assert out_pdf.read_bytes()[:5] == b"%PDF-"
    assert not list((tmp_path / "out").glob(".r.*"))  # no temp files left behind


def test_renderer_choice(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert pick_renderer("auto") == "pandoc"
    with pytest.raises(RenderError, match="no quarto binary"):
        pick_renderer("quarto")
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/quarto")
    assert pick_renderer("auto") == "quarto"


@pytest.mark.skipif(
    shutil.which("quarto") is None, reason="no quarto binary on PATH (conda-forge quarto)"
)
def test_render_quarto(qmd, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out_html, out_pdf = tmp_path / "q.html", tmp_path / "q.pdf"
    render_quarto(
        str(qmd),
        {"x": 4},
        {"title": "T", "lang": "nb"},
        str(out_html),
        str(out_pdf),
        workdir=str(tmp_path),
    )
    assert "8" in out_html.read_text(encoding="utf-8")
    assert out_pdf.read_bytes()[:5] == b"%PDF-"


def test_missing_pdf_font_is_a_clear_error(qmd, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (qmd.parent / "typst-header.typ").write_text('#set text(font: "Nosuch Sans Zz")\n')
    out_pdf = tmp_path / "out" / "r.pdf"
    with pytest.raises(RenderError, match="Nosuch Sans Zz"):
        render_pandoc(
            str(qmd),
            {},
            {"title": "T", "lang": "nb"},
            None,
            str(tmp_path / "out" / "r.html"),
            str(out_pdf),
            workdir=str(tmp_path),
        )
    assert not out_pdf.exists()
