"""A third language by text alone: nynorsk (nn).

Fast tests: every string table, template folder and config label has every configured
language; the schemas accept nn labels and refuse a language that is not configured; one
label rule (digikom.text.label) with no fallback, used everywhere; the nn text is
nynorsk. Slow test: the scenario .test/config_nn.yaml renders a nynorsk report (HTML and
PDF) and nynorsk figures from the built run."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from digikom.config import (
    config_languages,
    load_all,
    load_codebook,
    load_models_file,
    validate_against,
    validate_config,
)
from digikom.errors import ConfigError
from digikom.io import read_yaml
from digikom.text import (
    TEMPLATES_DIR,
    Text,
    label,
    load_strings,
    missing_labels,
    render_template,
)
from workflow_utils import callout_titles, from_built, reader_text, run_scenario

ROOT = Path(__file__).resolve().parents[1]
CONFIG = read_yaml(ROOT / "config" / "config.yaml")
LANGUAGES = config_languages(CONFIG)
LABEL_FILES = [
    "workflow/schemas/codebook.yaml",
    "config/config.yaml",
    "config/indicators.yaml",
    "config/models.yaml",
    "config/synthetic.yaml",
]
# Bokmål forms whose nynorsk form differs (ikkje, kva, korleis, kva for, kvar, frå, berre,
# nokon/nokre, mykje, kommunane, dataa, undersøkinga, utviklinga, følgjande, verksemder).
BOKMAL_ONLY = re.compile(
    r"\b(ikke|hva|hvordan|hvilke|hvilken|hvor|hvem|fra|bare|noen|mye|kommunene|dataene|"
    r"undersøkelsen|utviklingen|følgende|virksomheter|tjenester|innbyggere|størrelse|"
    r"andelen|andelene|bølgen|bølgene|ble|blir beregnet|avledet)\b",
    re.I,
)
# Frequent English words that nynorsk does not share (as OTHER_LANGUAGE in test_report).
ENGLISH = re.compile(r"\b(the|and|not|of|with|assumed|published|which|from)\b")
MONTHS_EN = re.compile(
    r"\b(January|February|March|April|June|July|August|September|October|November|December)\b"
)


def nn_texts() -> dict[str, str]:
    """Every nynorsk text the project ships: strings, config labels, the templates."""
    # placeholders ({published}) are names, not words
    out = {f"strings {k}": re.sub(r"\{\w*\}", " ", v["nn"]) for k, v in load_strings().items()}

    def walk(obj, where):
        if isinstance(obj, dict):
            if isinstance(obj.get("nn"), str):
                out[where] = obj["nn"]
            for k, v in obj.items():
                walk(v, f"{where}/{k}")
        elif isinstance(obj, list):
            for i, v in enumerate(obj):
                walk(v, f"{where}/{i}")

    for f in LABEL_FILES:
        walk(read_yaml(ROOT / f), f)
    for p in sorted((TEMPLATES_DIR / "nn").glob("*.j2")):
        out[str(p.relative_to(ROOT))] = re.sub(r"\{[{%#].*?[}%#]\}", " ", p.read_text("utf-8"))
    return out


# --------------------------------------------------------------------------- fast
def test_nynorsk_is_a_configured_language():
    assert CONFIG["languages"] == ["nb", "nn", "en"]
    schema = read_yaml(ROOT / "workflow/schemas/config.schema.yaml")
    assert schema["properties"]["languages"]["default"] == ["nb", "en"]
    assert config_languages({}) == ["nb", "en"]


def test_every_string_and_template_has_every_configured_language():
    """Adding a language to `languages` without its text fails here, naming the keys."""
    missing = [
        f"{key}: no {lang}"
        for key, entry in load_strings().items()
        for lang in LANGUAGES
        if lang not in entry
    ]
    assert missing == []
    names = {lang: sorted(p.name for p in (TEMPLATES_DIR / lang).glob("*.j2")) for lang in LANGUAGES}  # fmt: skip
    assert names["nn"] and all(v == names["nn"] for v in names.values()), names


def test_every_config_label_has_every_configured_language():
    for f in LABEL_FILES:
        assert missing_labels(read_yaml(ROOT / f), LANGUAGES) == [], f
    settings = load_all(copy.deepcopy(validate_config(copy.deepcopy(CONFIG))))
    assert settings.codebook["themes"]["priority"]["nn"] == "Digital prioritering"
    assert settings.size_groups[-1]["nn"] == "50 000 og over"


def test_a_missing_label_is_an_error_naming_file_key_and_language(tmp_path):
    cb = read_yaml(ROOT / "workflow/schemas/codebook.yaml")
    del cb["variables"]["competence_barrier"]["values"][3]["nn"]
    path = tmp_path / "codebook.yaml"
    path.write_text(yaml.safe_dump(cb, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_codebook(path, LANGUAGES)
    msg = str(exc.value)
    assert str(path) in msg and "variables/competence_barrier/values/3: no 'nn'" in msg
    # with the configured languages of a two-language project the same file loads
    assert load_codebook(path, ["nb", "en"])["variables"]["competence_barrier"]
    # the string tables: a language without its texts is refused when the report starts
    strings = {k: dict(v) for k, v in load_strings().items()}
    del strings["findings.title"]["nn"]
    with pytest.raises(ConfigError, match=r"no 'nn' text for findings.title \(findings.yaml\)"):
        Text("nn", strings=strings)


def _models(tmp_path, mutate) -> Path:
    data = read_yaml(ROOT / "config/models.yaml")
    mutate(data)
    path = tmp_path / "models.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_schemas_accept_nn_labels_and_refuse_an_unconfigured_language(tmp_path):
    ok = load_models_file(_models(tmp_path, lambda d: None), None, LANGUAGES)
    assert ok["models"][0]["nn"]
    # the same nn labels in a project configured for nb and en: refused, key named
    with pytest.raises(ConfigError, match=r"key 'models/0'.*'nn'.*configured languages: nb, en"):
        load_models_file(_models(tmp_path, lambda d: None), None, ["nb", "en"])

    def add_de(d):
        d["models"][0]["de"] = "Cloud-Nutzung"

    with pytest.raises(ConfigError, match=r"key 'models/0'.*'de'"):
        load_models_file(_models(tmp_path, add_de), None, LANGUAGES)

    def drop_nn(d):
        del d["labels"]["log_population"]["nn"]

    with pytest.raises(
        ConfigError, match=r"key 'labels/log_population': 'nn' is a required property"
    ):
        load_models_file(_models(tmp_path, drop_nn), None, LANGUAGES)

    # an effect's own label is optional, but all languages or none
    def effect_nb_only(d):
        eff = next(m for m in d["models"] if m.get("effects"))["effects"][0]
        for lang in LANGUAGES:
            eff.pop(lang, None)
        eff["nb"] = "Bare bokmål"

    with pytest.raises(ConfigError, match=r"effects/0.*'nn' is a dependency of 'nb'"):
        load_models_file(_models(tmp_path, effect_nb_only), None, LANGUAGES)

    # indicators and the synthetic parameters: same rule
    ind = read_yaml(ROOT / "config/indicators.yaml")
    validate_against(copy.deepcopy(ind), "indicators.schema.yaml", "indicators.yaml", LANGUAGES)
    del ind["composites"][0]["groups"]["both"]["nn"]
    with pytest.raises(ConfigError, match=r"composites/0/groups/both': 'nn' is a required"):
        validate_against(ind, "indicators.schema.yaml", "indicators.yaml", LANGUAGES)


def test_lang_must_be_a_configured_language():
    for lang in LANGUAGES:
        validate_config(dict(copy.deepcopy(CONFIG), lang=lang))
    with pytest.raises(ConfigError, match=r"key 'lang': 'de' is not a configured language"):
        validate_config(dict(copy.deepcopy(CONFIG), lang="de"))
    two = dict(copy.deepcopy(CONFIG), languages=["nb", "en"], lang="nn")
    with pytest.raises(ConfigError, match=r"'nn' is not a configured language \(languages: nb, en\)"):  # fmt: skip
        validate_config(two)
    # nb and en only: every nn label of config.yaml is an unconfigured language
    with pytest.raises(ConfigError, match=r"size_groups/0': 'nn' does not match"):
        validate_config(dict(copy.deepcopy(CONFIG), languages=["nb", "en"]))


def test_one_label_rule_without_fallback():
    obj = {"nb": "Ikke", "nn": "Ikkje", "en": "Not"}
    assert [label(obj, lang) for lang in LANGUAGES] == ["Ikke", "Ikkje", "Not"]
    assert label("Statistikkbanken", "nn") == "Statistikkbanken"  # one text for all
    with pytest.raises(ConfigError, match=r"no 'nn' label"):
        label({"nb": "Ikke", "en": "Not"}, "nn")  # neither nb nor en stands in
    from digikom.models.labels import _label

    assert Text("nn").label(obj) == _label(obj, "nn", "x") == "Ikkje"
    with pytest.raises(ConfigError):
        _label({"nb": "Ikke", "en": "Not", "id": "x"}, "nn", "x")


def test_no_code_picks_a_language_itself():
    """Every label goes through digikom.text.label: no `obj.get(lang)`, `["nb"]`,
    `get("en")` or fallback chain elsewhere in the package or the workflow."""
    pattern = re.compile(
        r"\.get\((lang|self\.lang|tx\.lang|R\.lang|\"nb\"|\"en\"|\"nn\")\b"
        r"|\[\"(nb|en|nn)\"\]|\{\"(nb|en|nn)\": "
    )
    files = sorted((ROOT / "scripts").rglob("*.py")) + sorted((ROOT / "workflow").rglob("*.smk"))
    files = [p for p in files if p.name != "text.py" or p.parent.name != "digikom"]  # the one
    hits = [
        f"{p.relative_to(ROOT)}:{i}: {line.strip()}"
        for p in files
        for i, line in enumerate(p.read_text("utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert hits == []


def test_nynorsk_text_is_nynorsk():
    texts = nn_texts()
    assert len(texts) > 600
    bokmal = {k: m.group(0) for k, v in texts.items() if (m := BOKMAL_ONLY.search(v))}
    assert bokmal == {}
    english = {k: m.group(0) for k, v in texts.items() if (m := ENGLISH.search(v))}
    assert english == {}
    joined = " ".join(texts.values())
    for word in ("ikkje", "kommunane", "verksemder", "følgjande", "utvikling", "undersøkinga", "òg"):  # fmt: skip
        assert re.search(rf"\b{word}\b", joined, re.I), word
    # not bokmål copied: most texts with words differ from the nb text
    strings = load_strings()
    worded = [k for k, v in strings.items() if len(re.findall(r"[a-zæøå]{4,}", v["nb"])) >= 4]
    same = [k for k in worded if strings[k]["nn"] == strings[k]["nb"]]
    assert len(same) < 0.1 * len(worded), same


def test_nynorsk_numbers_and_words_are_formatted_like_bokmal():
    nn, nb = Text("nn", confidence=0.95), Text("nb", confidence=0.95)
    assert nn.locale == "nn_NO"
    assert nn.num(1234.5, 1) == nb.num(1234.5, 1) == "1\u00a0234,5"
    assert nn.pct(0.781, 1) == "78,1\u00a0%"
    assert nn.ci(0.78, 0.86) == "95\u00a0% KI 78–86"
    assert nn.out_of_ten(0.53) == "fem av ti"
    assert nn.out_of_ten(0.1) == "éin av ti"
    assert nn("common.statbank_lang") == nb("common.statbank_lang") == "no"
    md = render_template(
        "methods.md.j2",
        "nn",
        **{
            k: "X"
            for k in (
                "response_table size_table definitions_table nonresponse_table item_table "
                "reform_table level weight weighted_gap first second reference_wave "
                "correlation seed published suppressed_note"
            ).split()
        },
        synthetic=True,
        disclosure=False,
        n_calibration=3,
        composites=[],
        reform={"max_diff": "X"},
    )
    assert md.startswith("Undersøkinga «Digitalisering og IKT i offentleg sektor»")
    assert not re.search(r"\bikke\b", md)


# --------------------------------------------------------------------------- slow
def _pdftotext(pdf: Path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split())


@pytest.fixture(scope="module")
def built_nn(built, tmp_path_factory):
    wd = from_built(built, tmp_path_factory.mktemp("nn"))
    proc = run_scenario(wd, "nn", check=True, timeout=900)
    return wd, proc


@pytest.mark.slow
def test_nynorsk_report(built, built_nn):
    wd, proc = built_nn
    out = proc.stdout + proc.stderr
    assert "fit_model" not in out  # a language changes text, not models
    for suffix in ("html", "pdf"):  # the nb report is untouched
        nb = wd / f"results/report/report.nb.{suffix}"
        assert nb.read_bytes() == (built / f"results/report/report.nb.{suffix}").read_bytes()
    html_path = wd / "results/report/report.nn.html"
    doc = html_path.read_text(encoding="utf-8")
    assert re.search(r'<html[^>]*\blang="nn"', doc)
    tx = Text("nn")
    text = reader_text(html_path)
    for key in (
        "findings.title",
        "methods.title",
        "maps.title",
        "replication.title",
        "appendix.title",
    ):
        assert re.search(rf"^\s*(\d+(\.\d+)*\s+)?{re.escape(tx(key))}\s*$", text, re.M), key
    assert "Hovudfunn" in text and "Replikering av publiserte tal" in text
    assert "Digitalisering i kommunane" in text and "Syntetiske data. Mikrodataa til SSB" in text
    # Quarto's callout titles in nynorsk (its own nn translation says bokmål "Advarsel")
    renderer = json.loads((wd / "results/provenance.json").read_text("utf-8"))["renderer"]
    titles = callout_titles(doc)
    if renderer == "quarto":
        assert tx("common.callout_warning") == "Åtvaring" and "Åtvaring" in titles
        assert set(titles) <= {tx("common.callout_warning"), tx("common.callout_note")}
    else:
        assert titles == []
    assert "Advarsel" not in text
    # no bokmål-only word and no English word in what the reader sees (place names,
    # addresses and code are not words of either language)
    for name in sorted(_place_names(wd), key=len, reverse=True):
        text = text.replace(name, " ")
    words = " ".join(w for w in text.split() if not re.search(r"[/._@#=`]", w))
    bokmal = [words[max(0, m.start() - 40) : m.end() + 20] for m in BOKMAL_ONLY.finditer(words)]
    assert bokmal == []
    english = [words[max(0, m.start() - 40) : m.end() + 20] for m in ENGLISH.finditer(words)]
    assert english == []
    # the build date in nynorsk words (Quarto's own date formats have no nynorsk: it
    # wrote "December 2, 2026" here), in the HTML's title block and on the PDF
    created = json.loads((wd / "results/provenance.json").read_text("utf-8"))["created_utc"]
    on = tx.date(created)
    assert on in text and not MONTHS_EN.search(text), MONTHS_EN.search(text)
    # the PDF: the same nynorsk headings, no bokmål and no English
    pdf = _pdftotext(wd / "results/report/report.nn.pdf")
    assert " ".join(on.split()) in " ".join(pdf.split())
    assert "Hovudfunn" in pdf and "Innhald" in pdf and "Figur" in pdf
    assert not re.search(r"\b(ikke|kommunene|Contents|Figure|Advarsel)\b", pdf)
    assert ("Åtvaring" in pdf) == (renderer == "quarto")
    # the figures: alt texts and the drawn text (SVG text elements) in nynorsk
    figs = wd / "results/figures"
    alt = (figs / "fig_size_has_strategy.alt.txt").read_text("utf-8")
    assert alt.startswith("Stolpediagram: Har IKT-/digitaliseringsstrategi etter kommunestorleik")
    svg = (figs / "fig_size_has_strategy.svg").read_text("utf-8")
    assert "Del av kommunane (%)" in svg and "Kommunestorleik (innbyggjarar)" in svg
    drawn = " ".join(
        p.read_text("utf-8") for p in sorted(figs.glob("*.svg")) + sorted(figs.glob("*.alt.txt"))
    )
    drawn = re.sub(r"<[^>]+>", " ", drawn)
    assert "Kjelde:" in drawn and "Kilde:" not in drawn
    assert not BOKMAL_ONLY.search(drawn), BOKMAL_ONLY.search(drawn)
    maps_svg = " ".join(p.read_text("utf-8") for p in sorted(figs.glob("map_*.svg")))
    assert "Kommunestorleik 1. januar" in maps_svg


def _place_names(root: Path) -> set[str]:
    import json

    import pandas as pd

    names = set()
    for f in (root / "data/reference").glob("municipalities_*.csv"):
        names |= set(pd.read_csv(f, dtype=str)["kommunenavn"].dropna())
    counties = json.loads((root / "data/reference/counties_2024.geojson").read_text("utf-8"))
    names |= {c["properties"]["fylkesnavn"] for c in counties["features"]}
    return names
