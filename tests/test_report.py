"""The whole workflow and the rendered report, looked at as a reader would: in headless
Chromium (HTML) and as PNG pages (PDF). Slow: runs Snakemake in a temporary copy."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from digikom.panel import read_panel
from digikom.text import Text
from workflow_utils import callout_titles, from_built, reader_text, run_snakemake

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HEADINGS = {
    "nb": [
        "Hovedfunn",
        "Data og metode",
        "Digital prioritering",
        "Digital kompetanse",
        "Digital aktivitet",
        "Simulering:",  # the synthetic default: the models tested, not findings
        "Replikering av publiserte tall",
        "Vedlegg",
    ],
    "en": [
        "Key findings",
        "Data and methods",
        "Digital priority",
        "Digital competence",
        "Digital activity",
        "Simulation:",
        "Replication of published figures",
        "Appendix",
    ],
}


# the text of a level-1 section: Quarto wraps it in <section>; pandoc puts the id on the
# <h1>, and the section runs to the next <h1>
SECTION_TEXT = """(sel) => {
  const s = document.querySelector(sel);
  if (s.tagName === 'SECTION') return s.innerText;
  let text = '', e = s.nextElementSibling;
  while (e && e.tagName !== 'H1') { text += e.innerText + '\\n'; e = e.nextElementSibling; }
  return text;
}"""


def html_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- outputs
def test_coefficients_have_models_and_terms(built):
    c = pd.read_csv(built / "results/models/coefficients.csv")
    assert list(c.columns[:10]) == [
        "model",
        "outcome",
        "family",
        "term",
        "estimate",
        "std_error",
        "conf_low",
        "conf_high",
        "p_value",
        "n_obs",
    ]
    assert set(c.model) == {"cloud", "services", "competence", "competence_ordinal", "strategy"}
    for model, term in [
        ("cloud", "log_population"),
        ("cloud", "competence_large"),
        ("services", "competence_large"),
        ("competence", "internal_functions"),
        ("competence_ordinal", "internal_functions"),
    ]:
        r = c[(c.model == model) & (c.term == term)]
        assert len(r) == 1, (model, term)
        assert np.isfinite(r[["estimate", "std_error", "conf_low", "conf_high"]].to_numpy()).all()
        assert r.conf_low.iloc[0] < r.estimate.iloc[0] < r.conf_high.iloc[0]
    # the synthetic generator makes larger municipalities use the cloud more
    assert c[(c.model == "cloud") & (c.term == "log_population")].estimate.iloc[0] > 0


def test_provenance(built):
    prov = json.loads((built / "results/provenance.json").read_text())
    paths = {i["path"] for i in prov["inputs"]}
    assert "data/reference/municipalities_2018.csv" in paths and "config/synthetic.yaml" in paths
    assert all(len(i["sha256"]) == 64 for i in prov["inputs"])
    # report.renderer: auto -> Quarto whenever it is on PATH (CI installs it)
    assert prov["renderer"] == ("quarto" if shutil.which("quarto") else "pandoc")
    assert prov["packages"]["snakemake"]
    assert prov["config"]["seed"] == 20230601 and prov["data_mode"] == "synthetic"


def test_second_run_has_nothing_to_do(built, tmp_path):
    wd = from_built(built, tmp_path / "again")  # the built run is shared: run in a copy
    proc = run_snakemake(wd, check=True)
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_html_is_self_contained_and_carries_panel_numbers(built):
    html = html_text(built / "results/report/report.nb.html")
    assert "<img" in html and not re.search(r'<img[^>]+src="(?!data:)', html)
    assert "<style" in html
    assert not re.search(r'<link[^>]+rel="stylesheet"[^>]+href="(?!data:)', html)
    # a number computed here, independently, from the panel appears in the report
    pan = read_panel(built / "results/data/panel.csv")
    r = pan[(pan.year == 2024) & pan.responded]
    share = (r.has_strategy == 1).mean()
    # synthetic data: the theme tables show the panel's values as points (no interval)
    assert re.search(rf">\s*{f'{100 * share:.1f}'.replace('.', ',')}\s*<", html)
    comp = r.competence_barrier.dropna().isin([4, 5]).mean()
    assert Text("nb").pct(comp) in html
    # the header names the renderer that ran, the one provenance.json records
    renderer = json.loads((built / "results/provenance.json").read_text())["renderer"]
    assert re.search(rf"Laget med:</strong>\s*{renderer} \(", html), renderer
    # Quarto titles the callouts with the report's words (its own nb has English "Note");
    # pandoc + typst show them without a title
    titles = callout_titles(html)
    if renderer == "quarto":
        assert Text("nb")("common.callout_warning") in titles
        assert set(titles) <= {Text("nb")(f"common.callout_{k}") for k in ("warning", "note")}
    else:
        assert titles == []
    # the build directory is removed after a successful render; results/report/ is what
    # readers get, the reports and nothing else (its records are internal, under results/)
    assert (built / "results/context.json").exists()
    assert sorted(p.name for p in (built / "results/report").iterdir()) == [
        "report.nb.html",
        "report.nb.pdf",
    ]
    assert "SYNTETISK" in html.upper()


# --------------------------------------------------------------------------- browser
@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (CI installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
                "--disable-component-update",
                "--disable-sync",
                "--disable-quic",
            ],
        )
        yield b
        b.close()


def open_page(browser, path: Path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    return page, errors


def test_report_in_browser(built, browser, tmp_path):
    page, errors = open_page(browser, built / "results/report/report.nb.html")
    assert errors == []
    imgs = page.evaluate(
        "Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.alt])"
    )
    figs = list((built / "results/figures").glob("*.png"))
    assert len(imgs) >= 15 and len(imgs) <= len(figs)
    assert all(c and w > 100 and len(alt) > 20 for c, w, alt in imgs), imgs
    h1 = page.evaluate("Array.from(document.querySelectorAll('h1')).map(h => h.textContent.trim())")
    for h in HEADINGS["nb"]:
        assert any(x.startswith(h) for x in h1), (h, h1)  # "Simulering: …" in full
    # real table headers
    assert page.evaluate("document.querySelectorAll('table thead th').length") > 20
    # key numbers: each finding's percentages come from results/indicators/shares.csv
    # pandoc: <h1 id="sec-findings"> then the list; Quarto: <section id="sec-findings">
    findings = page.evaluate(SECTION_TEXT, "#sec-findings")
    # synthetic data: SSB's published story. Every percentage in the key findings is a
    # value of data/published/targets.csv; no interval, verdict or panel value; the
    # comparison first; a summary of at most five lines
    assert findings.index("2018") < findings.index("2024")
    targets = pd.read_csv(built / "data/published/targets.csv", dtype=str)
    published = {float(v) for v in pd.to_numeric(targets.value, errors="coerce").dropna()}
    shown = re.findall(r"(\d+(?:,\d+)?)\s?%", findings)
    assert shown and all(float(v.replace(",", ".")) in published for v in shown), shown
    assert not re.search(r"\bKI\b|\(\d+–\d+\)|\b(økte|falt|uendret|klart)\b", findings)
    assert "(antatt)" not in findings and "modellen" not in findings.lower()
    summary = findings.split("Kort fortalt", 1)[1].split("Som i SSBs", 1)[0]
    assert 1 <= len([line for line in summary.splitlines() if line.strip()]) - 1 <= 5
    assert "én av tre i 2018" in findings
    # no check of the method among the key findings: neither one panel's verdict nor the
    # predictive check over the simulated panels (the replication section has it)
    assert "toleransen" not in findings and "simulerte paneler" not in findings
    page.screenshot(path=str(tmp_path / "first.png"))
    assert (tmp_path / "first.png").stat().st_size > 20_000


def test_pdf_pages(built, tmp_path):
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed (CI installs it)")
    from PIL import Image

    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "40",
            "-png",
            str(built / "results/report/report.nb.pdf"),
            str(tmp_path / "p"),
        ],
        check=True,
    )
    pages = sorted(tmp_path.glob("p-*.png"))
    assert 12 <= len(pages) <= 60
    for p in pages:
        a = np.asarray(Image.open(p).convert("L"), dtype=float)
        # a short last page (a few lines) is a page; a blank one (a page number at most)
        # fails the ink check below
        assert a.std() > 2, f"{p.name} looks blank"
        assert (a < 128).mean() > 0.0005, f"{p.name} has almost no ink"


def test_long_table_breaks_across_pages(built):
    """The report's longest labelled table (its input files, about 140 rows; with Quarto a
    "quarto-float-tbl") breaks across pages instead of running off the page: every input
    file's hash is in the PDF, on more than one page. (tests/test_render.py checks the same
    for pandoc + typst on a small document.)"""
    from test_render import pdf_text

    pdf = built / "results/report/report.nb.pdf"
    pdf_text(pdf)  # skips, or fails in CI, without pdftotext
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    pages = out.stdout.split("\f")
    inputs = json.loads((built / "results/provenance.json").read_text())["inputs"]
    assert len(inputs) > 60
    shown = {
        i["path"]: [n for n, page in enumerate(pages) if i["sha256"][:16] in page] for i in inputs
    }
    assert [p for p, on in shown.items() if not on] == []
    assert len({on[0] for on in shown.values()}) >= 2


# --------------------------------------------------------------------------- variants
# built_en: scenario "en" from a copy of the built run (tests/conftest.py)
def test_english_report(built, built_en, browser):
    wd, proc = built_en
    # the English report does not replace the Norwegian one: both exist, nb unchanged
    for suffix in ("html", "pdf"):
        nb = wd / f"results/report/report.nb.{suffix}"
        assert nb.read_bytes() == (built / f"results/report/report.nb.{suffix}").read_bytes()
    out = proc.stdout + proc.stderr
    assert "fit_model" not in out  # language changes labels, not models
    html = html_text(wd / "results/report/report.en.html")
    assert 'lang="en"' in html
    page, errors = open_page(browser, wd / "results/report/report.en.html")
    assert errors == []
    h1 = page.evaluate("Array.from(document.querySelectorAll('h1')).map(h => h.textContent.trim())")
    for h in HEADINGS["en"]:
        assert any(x.startswith(h) for x in h1), (h, h1)  # "Simulering: …" in full
    for word in ("Hovedfunn", "Andel kommuner", "Kilde:"):
        assert word not in html
    assert (
        (wd / "results/figures/fig_size_has_strategy.alt.txt").read_text().startswith("Bar chart")
    )
    assert (wd / "results/report/report.en.pdf").stat().st_size > 50_000


def test_microdata_run_and_disclosure_control(built_microdata):
    """Scenario microdata: one size group has only 2 respondents in 2024."""
    wd = built_microdata
    pan = read_panel(wd / "results/data/panel.csv")
    g = pan[(pan.year == 2024) & (pan.size_group == "ge50k")]
    assert g.responded.sum() == 2
    sh = pd.read_csv(wd / "results/indicators/shares.csv")
    assert (
        sh[(sh.year == 2024) & (sh.group == "ge50k") & (sh.indicator == "cloud_use")].n == 2
    ).all()
    html = html_text(wd / "results/report/report.nb.html")
    assert "Mikrodatafil" in html
    assert "SYNTETISKE DATA" not in html.upper().replace("SYNTETISKE DATA – IKKE", "")
    # the size-group table shows ":" for the 2-municipality cell, with the footnote
    # the id is on the <table> (pandoc) or on the float around it (Quarto)
    m = re.search(r'id="tbl-activity-size".*?</table>', html, re.S)
    assert m and "<td" in m.group(0)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", m.group(0), re.S)
    assert ":" in [c.strip() for c in cells]
    assert "færre enn 3 kommuner" in html and "0 % eller 100 %" in html.replace("\u00a0", " ")
    # key findings are estimates with intervals; no sentence compares a hidden cell
    findings = html.split('id="sec-findings"', 1)[1].split('id="sec-data"', 1)[0]
    assert "95\u00a0% KI" in findings or "95 % KI" in findings
    assert not re.search(r"største kommunene: :|: i gruppen", findings)
    assert "sekundær undertrykking" in html
    # no unit-level row is embedded: no municipality name of the panel appears
    names = set(pan.kommunenavn.dropna()) - {"Os", "Nes", "Bø", "Sande", "Herøy", "Våler"}
    assert not any(f">{n}<" in html for n in list(names)[:200])


# --------------------------------------------------------------------------- data class
# Outside the simulation section, a synthetic report shows panel values as points: no
# interval after a number ("78,1 (74–82)", "(95 % KI 57–72)") and no verdict word on a
# change. And every reader-facing word is in the report's language: place names (frames,
# counties), file paths, code and web addresses are not words of either language.
SIMULATION = {"nb": ("Simulering: ", "Offisiell statistikk"), "en": ("Simulation: ", "Official")}
INTERVAL = re.compile(
    r"\b(?:KI|CI)\b\s*\d|\d\s?%?\s\(\s*\d+(?:[.,]\d+)?\s?[–-]\s?\d+(?:[.,]\d+)?\s?%?\s*\)"
)
VERDICT = {
    "nb": r"\b(økte|falt|uendret|klart høyere|klart lavere|steg|sank)\b",
    "en": r"\b(increased|decreased|fell|rose|unchanged|clearly higher|clearly lower)\b",
}
OTHER_LANGUAGE = {  # frequent words of the other language that neither language shares
    "nb": r"\b(the|and|not|of|with|assumed|published|which|from)\b",
    "en": r"\b(og|ikke|av|til|med|etter|fra|kommunene|publisert|antatt|andel|syntetiske)\b",
}


def place_names(root: Path) -> list[str]:
    names = set()
    for f in (root / "data/reference").glob("municipalities_*.csv"):
        names |= set(pd.read_csv(f, dtype=str)["kommunenavn"].dropna())
    counties = json.loads((root / "data/reference/counties_2024.geojson").read_text("utf-8"))
    names |= {c["properties"]["fylkesnavn"] for c in counties["features"]}
    return sorted(names, key=len, reverse=True)


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_synthetic_report_keeps_to_what_its_data_support(built, built_en, lang):
    wd = built if lang == "nb" else built_en[0]
    text = reader_text(wd / f"results/report/report.{lang}.html")
    start, end = SIMULATION[lang]
    i = text.index(start, text.index(start) + 1)  # the section, not its entry in the contents
    j = text.index(end, i)
    outside = text[:i] + text[j:]
    assert "%" in text[i:j] and re.search(r"\d", text[i:j])  # the simulation has its numbers
    hits = [outside[max(0, m.start() - 50) : m.end() + 20] for m in INTERVAL.finditer(outside)]
    assert hits == []
    verdicts = [m.group(0) for m in re.finditer(VERDICT[lang], outside)]
    assert verdicts == []
    for name in place_names(wd):
        outside = outside.replace(name, " ")
    words = " ".join(w for w in outside.split() if not re.search(r"[/._@#=]", w))
    foreign = [words[max(0, m.start() - 40) : m.end() + 20] for m in re.finditer(OTHER_LANGUAGE[lang], words)]  # fmt: skip
    assert foreign == []
