"""Hostile labels (the figure side): text from the config files is drawn as plain text by
matplotlib (no mathtext), and a configuration full of markup runs through to the figures.
Escaping in the report text is tested with the report."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
import yaml
from digikom.figures import setup_style
from workflow_utils import REPO, from_built, run_scenario

HOSTILE = "<script>alert(1)</script> ] $x$ * # { \\"
FIXTURE = REPO / ".test/config_hostile.yaml"


def svg_text(tmp_path, text: str) -> str:
    setup_style()
    fig, ax = plt.subplots()
    ax.set_title(text)
    out = tmp_path / "t.svg"
    fig.savefig(out)
    plt.close(fig)
    return out.read_text(encoding="utf-8")


def text_elements(svg: str) -> str:
    """The text drawn as <text> elements (not the comments matplotlib adds)."""
    return "\n".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg))


def test_setup_style_draws_dollar_signs_as_text(tmp_path):
    drawn = text_elements(svg_text(tmp_path, "A <b> $x$ and $E_1^2$ & B"))
    assert "A &lt;b&gt; $x$ and $E_1^2$ &amp; B" in drawn  # literal text, not typeset maths


def test_broken_mathtext_does_not_fail(tmp_path):
    drawn = text_elements(svg_text(tmp_path, r"costs $\frac{$ 10 ^ { ] "))  # a mathtext error
    assert "costs $\\frac{$" in drawn


def hostile_indicator_labels(wd) -> None:
    """Append HOSTILE to every indicator label of the copy's config/indicators.yaml."""
    path = wd / "config/indicators.yaml"
    rules = yaml.safe_load(path.read_text(encoding="utf-8"))
    for section in ("shares", "means"):
        for spec in rules[section]:
            for lang in ("nb", "en"):
                spec[lang] = f"{spec[lang]} {HOSTILE}"
    path.write_text(yaml.safe_dump(rules, allow_unicode=True, sort_keys=False))


@pytest.fixture(scope="module")
def built_hostile(built, tmp_path_factory):
    """Scenario "hostile" from a copy of the built run: markup in every indicator,
    size-group and model label."""
    wd = from_built(built, tmp_path_factory.mktemp("hostile"))
    hostile_indicator_labels(wd)
    models = wd / "config/models.yaml"
    spec = yaml.safe_load(models.read_text(encoding="utf-8"))
    spec["models"][0]["nb"] = f"Modell {HOSTILE} @fig-x [lenke](http://x)"
    models.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False))
    run_scenario(wd, "hostile", timeout=1200, check=True)
    return wd


@pytest.mark.slow
def test_hostile_labels_run_through_to_the_figures(built_hostile):
    wd = built_hostile
    figures = wd / "results/figures"
    size = (figures / "fig_size_cloud_use.svg").read_text(encoding="utf-8")
    escaped = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    drawn = text_elements(size)
    assert escaped in drawn  # the title, as text (XML-escaped), not markup or maths
    groups = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))["size_groups"]
    for g in groups:  # every size group label on the axis, literally
        lab = g["nb"].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert lab in drawn, g["nb"]
    assert "<script>" not in size
    alt = (figures / "fig_size_cloud_use.alt.txt").read_text(encoding="utf-8")
    assert HOSTILE in alt


@pytest.mark.slow
def test_hostile_labels_render_as_text_in_html_and_pdf(built_hostile):
    """The whole report with markup in every indicator, size-group and model label: the HTML
    shows the labels as text (no <script> element from config, no broken figure syntax)
    and the PDF prints them literally."""
    import html as htmllib
    import subprocess

    wd = built_hostile
    (html_path,) = (wd / "results/report").glob("report.nb.html")
    page = html_path.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page
    assert 'href="http://x"' not in page  # a label is not a link
    text = htmllib.unescape(re.sub(r"<[^>]+>", " ", page))
    assert HOSTILE in " ".join(text.split()) or "<script>alert(1)</script> ] $x$ *" in text
    assert "Modell <script>alert(1)</script>" in text
    pdf = subprocess.run(
        ["pdftotext", str(html_path.with_suffix(".pdf")), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "<script>alert(1)</script> ] $x$ *" in pdf
