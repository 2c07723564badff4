"""Model specifications: formula safety, reference levels and natural order, declared
effects, schema defaults, terms in readers' words, reproducible model outputs."""

from __future__ import annotations

import copy
import hashlib
import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from digikom.config import load_all, load_models_file, validate_against
from digikom.errors import ConfigError
from digikom.models import labels as ML
from digikom.models import robustness as MR
from digikom.models import spec as MS
from digikom.models.labels import Labels, effect_label, label_settings, term_label
from digikom.rules import models as rules
from digikom.text import Text
from test_models import EFFECTS, fit_model, simulate_panel, spec

ROOT = Path(__file__).resolve().parents[1]
PWNED = Path("/tmp/pwned")

# Formulas that would run code if patsy (or pandas) evaluated them.
HOSTILE = [
    "__import__('os').system('touch /tmp/pwned')",
    "log_population + __import__('os').system('touch /tmp/pwned')",
    "C(year, __import__('os').system('touch /tmp/pwned'))",
    "log_population + np.os.system('touch /tmp/pwned')",
    "I(().__class__.__base__.__subclasses__())",
    "log_population + (lambda: open('/tmp/pwned', 'w'))()",
    "C(year, Treatment(f\"{__import__('os').system('touch /tmp/pwned')}\"))",
    "log_population; import os",
    "log_population + eval('1')",
    "log_population\n+ competence_large",
]


@pytest.fixture(scope="module")
def panel():
    return simulate_panel(n_munis=400)


@pytest.fixture(autouse=True)
def no_pwned():
    PWNED.unlink(missing_ok=True)
    yield
    assert not PWNED.exists(), "a formula ran code"


def models_yaml(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load((ROOT / "config/models.yaml").read_text(encoding="utf-8"))
    mutate(data)
    p = tmp_path / "models.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return p


def set_model(key, value, model="cloud"):
    def mutate(data):
        for m in data["models"]:
            if m["id"] == model:
                m[key] = value

    return mutate


# ------------------------------------------------------------------ formula safety


@pytest.mark.parametrize("formula", HOSTILE)
def test_hostile_formula_is_refused_at_config_load(tmp_path, settings, formula):
    path = models_yaml(tmp_path, set_model("formula", formula))
    with pytest.raises(ConfigError) as err:
        load_models_file(path, settings.codebook)
    msg = str(err.value)
    assert str(path) in msg and "model 'cloud'" in msg and "formula" in msg
    assert "token '" in msg or "must be one line" in msg


@pytest.mark.parametrize("formula", HOSTILE)
def test_hostile_formula_never_reaches_patsy(panel, formula):
    fit = fit_model(panel, spec(formula=formula))
    assert fit.status == "failed"
    assert any("token" in w or "one line" in w for w in fit.warnings), fit.warnings


def test_error_names_the_offending_token(tmp_path, settings):
    path = models_yaml(
        tmp_path, set_model("formula", "log_population + __import__('os').system('x')")
    )
    with pytest.raises(ConfigError, match=r"token '__import__' is not an allowed function"):
        load_models_file(path, settings.codebook)
    path = models_yaml(tmp_path, set_model("formula", "log_population + no_such_variable"))
    with pytest.raises(ConfigError, match=r"token 'no_such_variable' is not a known variable"):
        load_models_file(path, settings.codebook)


@pytest.mark.parametrize(
    "subset",
    [
        "@__import__('os').system('touch /tmp/pwned') == 0",
        "year.__class__ == 1",
        "__import__('os').system('touch /tmp/pwned') == 0",
        "year > 2018 and kommunenr.str.startswith('03')",
    ],
)
def test_hostile_subset_is_refused(tmp_path, settings, panel, subset):
    path = models_yaml(tmp_path, set_model("subset", subset))
    with pytest.raises(ConfigError, match=r"model 'cloud': subset: token"):
        load_models_file(path, settings.codebook)
    fit = fit_model(panel, spec(subset=subset))
    assert fit.status == "failed" and "subset" in fit.warnings[0]


def test_hostile_robustness_replacement_is_refused(tmp_path, settings, panel):
    evil = "__import__('os').system('touch /tmp/pwned')"

    def mutate(data):
        data["robustness"]["variants"][0]["replace"] = {"log_population": evil}

    path = models_yaml(tmp_path, mutate)
    with pytest.raises(ConfigError, match=r"robustness variant 'size_groups'.*token '__import__'"):
        load_models_file(path, settings.codebook)
    # refused at fit time too (a direct caller without the config check)
    rob = {"models": ["test"], "variants": [{"id": "x", "replace": {"log_population": evil}}]}
    tab = MR.robustness_table(panel, [spec()], rob)
    assert tab.loc[tab["variant"] == "x", "status"].str.startswith("failed").all()


def test_allowed_formulas_pass(settings):
    variables = settings.codebook["variables"]
    for ok in (
        "log_population + competence_large + C(year)",
        "C(size_group, Treatment('lt2k')) * C(year)",
        "np.log(population) + I(internal_functions ** 2) - 1",
        "center(log_population) + standardize(internal_functions):C(year)",
    ):
        MS.check_formula(ok, variables, "test")


# ------------------------------------------------------------------ schema, defaults


def test_schema_defaults_filled_for_side_files(tmp_path, settings):
    def mutate(data):
        for m in data["models"]:
            m.pop("weights", None)
            m.pop("cov_type", None)
        data.pop("robustness")

    data = load_models_file(models_yaml(tmp_path, mutate), settings.codebook)
    assert {m["weights"] for m in data["models"]} == {"none"}
    assert {m["cov_type"] for m in data["models"]} == {"cluster"}
    assert data["robustness"] == {"models": [], "variants": []}
    assert all(m["effects"] is not None for m in data["models"])
    # the indicators file gets its defaults from its schema as well
    ind = yaml.safe_load((ROOT / "config/indicators.yaml").read_text(encoding="utf-8"))
    ind.pop("confidence", None)
    validate_against(ind, "indicators.schema.yaml", "indicators.yaml")
    assert ind["confidence"] == 0.95


@pytest.mark.parametrize(
    "effects,match",
    [
        ([{"id": "x", "variable": "competence_large", "from": 0}], "effects"),
        ([{"id": "x", "variable": "log_population", "shift": "exp(2)"}], "effects"),
        ([{"id": "x", "variable": "log_population", "shift": 1, "to": 2}], "effects"),
        ([{"id": "x", "variable": "internal_functions", "shift": 1}], "not in the formula"),
    ],
)
def test_bad_effects_are_refused(tmp_path, settings, effects, match):
    path = models_yaml(tmp_path, set_model("effects", effects))
    with pytest.raises(ConfigError, match=match):
        load_models_file(path, settings.codebook)


def test_reference_must_name_a_categorical_term(tmp_path, settings):
    path = models_yaml(tmp_path, set_model("reference", {"size_group": "lt2k"}))
    with pytest.raises(ConfigError, match=r"reference 'size_group'.*no C\(size_group\)"):
        load_models_file(path, settings.codebook)


# ------------------------------------------------------------------ reference and order


def test_reference_and_natural_order_from_config(panel, settings):
    s = MS.resolve_spec(
        spec(formula="C(size_group) + C(year)", reference={"year": 2020}, effects=[]),
        settings.codebook,
        settings.size_groups,
    )
    fit = fit_model(panel, s)
    assert fit.status == "ok", fit.warnings
    terms = list(fit.coefficients["term"])
    # natural order of the size groups (config), first group the reference; 2020 the
    # configured reference wave; term names without the expansion
    order = [g["id"] for g in settings.size_groups]
    present = [g for g in order if g in set(panel["size_group"])]
    assert terms == ["Intercept"] + [f"C(size_group)[T.{g}]" for g in present[1:]] + [
        "C(year)[T.2018]"
    ]
    assert fit.stats["reference"] == {"size_group": order[0], "year": 2020}
    preds = fit.predictions.query("quantity == 'prediction' and year == 2018")
    assert list(preds["size_group"]) == ["all", *present]
    # a subset without some groups: no empty terms, no warning
    sub = fit_model(panel, {**s, "subset": "size_group != 'ge50k' and size_group != 'lt2k'"})
    assert sub.status == "ok", sub.warnings
    assert not any("ge50k" in t for t in sub.coefficients["term"])
    assert sub.stats["reference"]["size_group"] == "2k_5k"  # first present, natural order
    # a configured reference the sample does not have: a clear failure
    gone = fit_model(panel, {**s, "subset": "year == 2018"})
    assert gone.status == "failed"
    assert "reference '2020' of C(year) has no cases" in gone.warnings[0]
    # another reference: same fit, other parametrisation
    s2 = {**s, "reference": {"size_group": "ge50k", "year": 2018}}
    fit2 = fit_model(panel, s2)
    assert "C(size_group)[T.lt2k]" in set(fit2.coefficients["term"])
    assert fit2.stats["log_likelihood"] == pytest.approx(fit.stats["log_likelihood"])


# ------------------------------------------------------------------ labels


@pytest.fixture(scope="module")
def lab(settings):
    return Labels.from_param(label_settings(settings))


@pytest.mark.parametrize(
    "lang,term,expected",
    [
        ("nb", "C(year)[T.2020]", "2020 (mot 2018)"),
        ("en", "C(year)[T.2020]", "2020 (vs 2018)"),
        ("nb", "log_population", "Folketall (log)"),
        ("en", "competence_large", "Large competence shortage"),
        ("nb", "competence_large", "Stor kompetansemangel"),
        ("nb", "C(size_group)[T.2k_5k]", "Størrelsesgruppe: 2 000–4 999 (mot Under 2 000)"),
        ("en", "C(size_group)[T.2k_5k]", "Size group: 2,000–4,999 (vs Under 2,000)"),
        (
            "nb",
            "C(size_group)[T.ge50k]:C(year)[T.2022]",
            "Størrelsesgruppe: 50 000 og over (mot Under 2 000) × 2022 (mot 2018)",
        ),
        ("nb", "Intercept", "Konstantledd"),
        ("en", "Intercept", "Intercept"),
        ("en", "np.log(population)", "Population on 1 January (log)"),
    ],
)
def test_term_label(lab, lang, term, expected):
    assert term_label(term, {"family": "logit"}, lab, Text(lang)) == expected


def test_term_label_uses_the_models_reference_and_codebook_values(lab):
    s = {"family": "logit", "reference": {"size_group": "ge50k", "year": 2022}}
    tx = Text("en")
    assert term_label("C(size_group)[T.lt2k]", s, lab, tx) == (
        "Size group: Under 2,000 (vs 50,000 and over)"
    )
    assert term_label("C(year)[T.2018]", s, lab, tx) == "2018 (vs 2022)"
    ordinal = {"family": "ordinal_logit", "outcome": "competence_barrier"}
    assert term_label("1/2", ordinal, lab, tx) == "Threshold Not at all | To a small degree"


def test_term_label_from_report_context(settings):
    ctx = json.loads(
        json.dumps(
            {
                "codebook": settings.codebook,
                "size_groups": settings.size_groups,
                "waves": settings.config["waves"],
                "models": settings.models,
            }
        )
    )  # as the report reads it: JSON keys are strings
    ctx_settings = ML.context_settings(ctx)
    strategy = next(m for m in ctx["models"] if m["id"] == "strategy")
    tx = Text("nb")
    assert term_label("C(size_group)[T.ge50k]", strategy, ctx_settings, tx) == (
        "Kommunestørrelse: 50 000 og over (mot Under 2 000)"  # codebook label: no model_labels
    )
    ctx["model_labels"] = settings.labels
    assert term_label("log_population", strategy, ML.context_settings(ctx), tx) == "Folketall (log)"
    ordinal = {"family": "ordinal_logit", "outcome": "competence_barrier"}
    assert term_label("4/5", ordinal, ctx_settings, tx) == (
        "Terskel I ganske stor grad | I svært stor grad"
    )


def test_effect_label(lab):
    s = {"effects": [*EFFECTS, {"id": "lab", "variable": "year", "shift": 1, "en": "Own"}]}
    tx = Text("en")
    assert effect_label("competence_large", s, lab, tx) == "Large competence shortage: 0 → 1"
    assert effect_label("population_doubling", s, lab, tx) == "Population (log) + 0.69"
    assert effect_label("lab", s, lab, tx) == "Own"


def test_configured_models_label_every_term(settings, panel):
    """Every term of every configured model (fitted on the simulated panel) has a label
    without patsy syntax, in both languages."""
    labelled = 0
    for model in settings.models:
        s = MS.resolve_spec(model, settings.codebook, settings.size_groups)
        if not set(MS.formula_names(s["formula"])) | {s["outcome"]} <= set(panel.columns):
            continue
        fit = fit_model(panel, s, settings.codebook)
        for lang in ("nb", "en"):
            for t in fit.coefficients["term"]:
                text = term_label(t, s, settings, Text(lang))
                forbidden = ["C(", "[T.", "_"] + (["Intercept"] if lang == "nb" else [])
                assert not any(x in text for x in forbidden), (t, text)
                labelled += 1
    assert labelled > 20


# ------------------------------------------------------------------ reproducible outputs


def test_fit_outputs_are_byte_identical_and_hold_no_timing(tmp_path, panel):
    path = tmp_path / "panel.csv"
    panel.drop(columns="score").to_csv(path, index=False)
    digests = []
    for run in ("a", "b"):
        out = {k: tmp_path / run / f"m.{k}" for k in ("coef.csv", "pred.csv", "json", "txt")}
        rules.fit_model(
            SimpleNamespace(
                input=SimpleNamespace(panel=path),
                params=SimpleNamespace(spec=copy.deepcopy(spec()), seed=1, confidence=0.95),
                output=SimpleNamespace(
                    coefficients=out["coef.csv"],
                    predictions=out["pred.csv"],
                    json=out["json"],
                    txt=out["txt"],
                ),
            )
        )
        digests.append({k: hashlib.sha256(p.read_bytes()).hexdigest() for k, p in out.items()})
        info = json.loads(out["json"].read_text())
        assert not [k for k in info if "second" in k or "time" in k], info.keys()
    assert digests[0] == digests[1]


def test_confidence_sets_every_interval(panel):
    a = fit_model(panel, spec(), confidence=0.95)
    b = fit_model(panel, spec(), confidence=0.90)
    ca, cb = (f.coefficients.set_index("term") for f in (a, b))
    ratio = (ca["conf_high"] - ca["estimate"]) / (cb["conf_high"] - cb["estimate"])
    assert ratio.to_numpy() == pytest.approx(1.959964 / 1.644854, rel=1e-5)
    ame_a = a.predictions.query("quantity == 'ame'").iloc[0]
    ame_b = b.predictions.query("quantity == 'ame'").iloc[0]
    assert (ame_a["conf_high"] - ame_a["estimate"]) / (
        ame_b["conf_high"] - ame_b["estimate"]
    ) == pytest.approx(1.959964 / 1.644854, rel=1e-5)
    assert b.stats["confidence"] == 0.90 and "90 %" in b.stats["ci_method"]


def test_settings_carry_labels(settings):
    assert settings.labels["log_population"]["nb"] == "Folketall (log)"
    assert load_all(settings.config).labels == settings.labels


def test_one_validator_fills_the_same_defaults_as_snakemake(config):
    """config.yaml through digikom's validator gets the defaults Snakemake's validate
    gives it (the workflow still calls Snakemake's in common.smk)."""
    from digikom.config import validate_config
    from snakemake.utils import validate

    raw = yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))
    for key in ("report", "bootstrap", "lang"):
        raw.pop(key, None)
    ours, theirs = copy.deepcopy(raw), copy.deepcopy(raw)
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        validate_config(ours)
    finally:
        os.chdir(cwd)
    validate(theirs, str(ROOT / "workflow/schemas/config.schema.yaml"))
    assert ours == theirs
    assert ours["lang"] == "nb" and "min_cell" in ours["report"]


def test_formula_label_names_every_term_in_the_readers_words(settings):
    """The appendix shows each model's formula as its terms' labels: main effects and the
    interaction that `*` adds, no patsy syntax."""
    from digikom.models.labels import formula_label
    from digikom.text import Text

    en, nb = Text("en"), Text("nb")
    assert formula_label("C(size_group) * C(year)", settings, en) == (
        "Size group, Year, Size group × Year"
    )
    assert formula_label("log_population + competence_large + C(year)", settings, nb) == (
        "Folketall (log), Stor kompetansemangel, År"
    )
    # a function of a variable, a factor with options, and something shown as written
    got = formula_label("np.log(population) + C(size_group, Treatment('lt2k')):year", settings, en)
    assert got == "Population on 1 January (log), Size group × Year"
    assert formula_label("I(x ** 2) - 1", settings, en) == "I(x ** 2)"


def test_a_fit_job_gets_no_labels_and_its_figures_get_the_models_titles(settings, nested_keys):
    """The spec param of the fit, robustness and simulation jobs carries no label (a title
    edit re-runs the figures, not the fits); the figures' labels param has the titles."""
    from digikom.models.labels import label_settings, model_label_settings
    from digikom.models.spec import job_spec

    langs = set(settings.config["languages"])

    for m in settings.models:
        spec = job_spec(settings, m["id"])
        assert not nested_keys(spec) & langs, m["id"]
        # the same model otherwise: formula, effects (ids, shifts), reference
        assert spec["formula"] == m["formula"]
        assert [e["id"] for e in spec.get("effects", [])] == [e["id"] for e in m.get("effects", [])]
        titles = model_label_settings(settings, m["id"])["models"]
        assert titles == {m["id"]: {lang: m[lang] for lang in sorted(langs)}}
    assert set(label_settings(settings, [])["models"]) == {m["id"] for m in settings.models}
