"""The report's sections on small hand-made results (fast; no workflow run): the
sentences say what the numbers say, in both languages, and tables show the values."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from digikom.report import Report as _Report
from digikom.sections import findings, methods, replication, themes
from digikom.text import MINUS
from workflow_utils import publish_results


def Report(results, **kwargs):
    """The report of a hand-made results folder, after its public tables are written
    (tests/workflow_utils.py: publish_results)."""
    publish_results(results)
    return _Report(results=results, **kwargs)


GROUPS = [
    {"id": "small", "lower": 0, "upper": 5000, "nb": "Under 5 000", "en": "Under 5,000"},
    {"id": "large", "lower": 5000, "upper": None, "nb": "5 000 og over", "en": "5,000 and over"},
]
SHARE_SPECS = [
    {
        "id": "has_strategy",
        "variable": "has_strategy",
        "theme": "priority",
        "nb": "Har strategi",
        "en": "Has a strategy",
    },
    {
        "id": "cloud_use",
        "variable": "cloud_use",
        "theme": "activity",
        "nb": "Bruker sky <b>",
        "en": "Uses cloud <b>",
    },
]


def share(ind, year, group, n, est, lo, hi, weighted=False):
    return dict(
        indicator=ind,
        kind="share",
        theme="x",
        year=year,
        group=group,
        n=n,
        estimate=est,
        conf_low=lo,
        conf_high=hi,
        weighted=weighted,
    )


@pytest.fixture
def results(tmp_path):
    r = tmp_path / "results"
    for d in ("report", "indicators", "replication", "figures", "models"):
        (r / d).mkdir(parents=True)
    ctx = {
        "lang": "nb",
        "waves": [2018, 2022],
        "data_mode": "synthetic",
        "microdata": None,
        "fetch_statbank": False,
        "min_cell": 3,
        "protection": {"level": 0.1, "mean_level": 1.0, "decimals": 3},
        "seed": 1,
        "size_groups": GROUPS,
        "codebook": {
            "themes": {
                t: {"nb": t.upper(), "en": t.title()}
                for t in ("priority", "competence", "activity")
            },
            "variables": {
                "weight": {"nb": "Vekt", "en": "Weight", "question": {"nb": "Vekt", "en": "Weight"}}
            },
        },
        "indicators": {
            "confidence": 0.95,
            "reference_wave": 2018,
            "shares": SHARE_SPECS,
            "means": [],
            "composites": [],
            "figures": {},
            "findings": [
                {"type": "change", "indicator": "has_strategy"},
                {"type": "change", "indicator": "cloud_use"},
                {"type": "gradient", "indicator": "has_strategy"},
                {"type": "out_of_ten", "indicator": "has_strategy"},
            ],
        },
        "models": [],
        "robustness": {},
        "calibration": [],
        "evidence": {"comparison": {"from": 2018, "to": 2022, "update": []}},
        "published_units": {"t1": "percent", "t2": "percent", "t3": "fraction"},
    }
    (r / "context.json").write_text(json.dumps(ctx))
    (r / "provenance.json").write_text(
        json.dumps(
            {
                "created_utc": "2026-01-01T00:00:00",
                "git": {"short": "abc", "commit": "abc"},
                "python": "3.11",
                "packages": {},
                "inputs": [],
            }
        )
    )
    rows = [
        share("has_strategy", 2018, "all", 400, 0.60, 0.55, 0.65),
        share("has_strategy", 2022, "all", 350, 0.80, 0.76, 0.84),
        share("has_strategy", 2022, "small", 150, 0.70, 0.62, 0.77),
        share("has_strategy", 2022, "large", 200, 0.90, 0.85, 0.93),
        share("cloud_use", 2018, "all", 400, 0.50, 0.45, 0.55),
        share("cloud_use", 2022, "all", 350, 0.52, 0.47, 0.57),
        share("response_rate", 2018, "all", 422, 0.89, 0.86, 0.92),
        share("response_rate", 2022, "all", 356, 0.99, 0.97, 1.0),
    ]
    pd.DataFrame(rows).to_csv(r / "indicators" / "shares.csv", index=False)
    pd.DataFrame(columns=["composite", "x_median", "y_median"]).to_csv(
        r / "indicators" / "composites.csv", index=False
    )
    pd.DataFrame(
        columns=["year", "level", "status", "n", "estimate", "conf_low", "conf_high"]
    ).to_csv(r / "indicators" / "crosstab.csv", index=False)
    common = dict(
        group="all municipalities",
        reference="published",
        caveat="",
        reason="",
        source_url="u",
        tolerance_pp=1.0,
    )
    card = [
        ("t1", "calibration", 2018, 2018, "has_strategy", "60", 0.6, 0.0, True, "t1", True, 0),
        ("t2", "validation", 2022, 2022, "cloud_use", "40", 0.52, 12.0, False, "t2", True, 0),
        ("t3", "validation", 2019, None, "x", "1/3", None, None, None, "t3", True, None),
    ]
    cols = ["target_id", "role", "year", "computed_year", "indicator", "published"]
    cols += ["reproduced", "diff_pp", "within_tolerance", "statistic", "primary", "decimals"]
    pd.DataFrame([dict(zip(cols, c, strict=True), **common) for c in card]).to_csv(
        r / "replication" / "scorecard.csv", index=False
    )
    change = [
        ("has_strategy", 0.6, 0.8, 0.2, 0.15, 0.25),
        ("cloud_use", 0.5, 0.52, 0.02, -0.03, 0.07),
    ]
    pd.DataFrame(
        [
            dict(
                indicator=i,
                group="all",
                from_year=2018,
                to_year=2022,
                n_pairs=300,
                est_from=a,
                est_to=b,
                diff=d,
                conf_low=lo,
                conf_high=hi,
                method="paired t",
                part="comparison",
            )
            for i, a, b, d, lo, hi in change
        ]
    ).to_csv(r / "indicators" / "changes.csv", index=False)
    return r


def test_findings_follow_the_numbers_nb(results):
    R = Report(results=results, lang="nb")
    s = findings.sentences(R, "comparison")
    # synthetic data: a calibrated figure is published, the rest assumed, and no interval
    assert s[0] == (
        "Andelen «Har strategi» økte fra 60\u00a0% (publisert) i 2018 til 80\u00a0% (antatt) i 2022."
    )
    assert s[1].startswith("Andelen «Bruker sky \\<b\\>» var 50\u00a0% (antatt) i 2018")
    assert "en endring innenfor usikkerheten" in s[1]
    assert "klart høyere blant de største" in s[2] and "90\u00a0% (antatt)" in s[2]
    assert "åtte av ti" in s[3]
    assert "KI" not in " ".join(s)
    closing = findings.closing(R)
    # synthetic data: no verdict of the one default-seed panel (its hits depend on the seed)
    assert not any("toleransen" in c for c in closing)
    # nor the predictive check over the simulated panels: a check of the method, shown in
    # the replication section, not among the key findings
    (results / "simulation").mkdir(exist_ok=True)
    pd.DataFrame(
        [("a", 200, 0.1, 0.3, 0.5, False), ("b", 200, 0.2, 0.4, 0.99, True)],
        columns=["target_id", "n_seeds", "pred_low", "pred_high", "percentile", "outside"],
    ).to_csv(results / "simulation/validation.csv", index=False)
    closing = findings.closing(Report(results=results, lang="nb"))
    assert not any("simulerte paneler" in c or "%" in c for c in closing)


def test_findings_with_microdata_are_estimates_with_paired_intervals(results):
    ctx = json.loads((results / "context.json").read_text())
    ctx["data_mode"] = "microdata"
    (results / "context.json").write_text(json.dumps(ctx))
    R = Report(results=results, lang="en")
    s = findings.sentences(R, "comparison")
    assert s[0] == (
        "The share 'Has a strategy' rose from 60% in 2018 to 80% in 2022 (change 20.0 "
        "percentage points, 95% CI 15.0–25.0, 300 municipalities that answered in both waves)."
    )
    assert "90% (95% CI 85–93)" in s[2]


def test_findings_en_has_no_norwegian(results):
    R = Report(results=results, lang="en")
    text = " ".join(findings.sentences(R, "comparison") + findings.closing(R))
    assert (
        "The share 'Has a strategy' rose from 60% (published) in 2018 to 80% (assumed) in 2022."
        in text
    )
    assert not set("æøåÆØÅ«»") & set(text)


def test_the_confidence_level_comes_from_config(results):
    ctx = json.loads((results / "context.json").read_text())
    ctx["indicators"]["confidence"] = 0.9
    (results / "context.json").write_text(json.dumps(ctx))
    ctx["data_mode"] = "microdata"
    (results / "context.json").write_text(json.dumps(ctx))
    R = Report(results=results, lang="en")
    assert "90% CI 15.0–25.0" in findings.sentences(R, "comparison")[0]
    assert "95" not in themes.theme_table(R, "priority", ["has_strategy"]).split("{#")[1]


def test_tables_show_the_values(results):
    R = Report(results=results, lang="nb")
    md = themes.theme_table(R, "priority", ["has_strategy"])
    # synthetic: the panel's values as points, marked as a demonstration
    assert "| Har strategi | 60,0 | 80,0 |" in md and "Demonstrasjon" in md
    micro(results)
    R = Report(results=results, lang="nb")
    md = themes.theme_table(R, "priority", ["has_strategy"])
    assert "| Har strategi | 60,0 (55–65) | 80,0 (76–84) |" in md
    assert "{#tbl-priority}" in md
    md = methods.response_table(R)
    assert "| 2018 | 422 | 376 | 89,0\u00a0% |" in md
    md = replication.render(Report(results=results, lang="nb"))
    validation, calibration = md.split("{#tbl-validation}")
    # compared and shown at the published precision (whole percent)
    assert "| 2022 | Bruker sky \\<b\\> | 40\u00a0% | 52\u00a0% | ✗ |" in validation
    assert "| 2018 | Har strategi | 60\u00a0% | 60\u00a0% | ✓ |" in calibration


def test_disclosure_hides_small_cells_with_microdata(results):
    ctx = json.loads((results / "context.json").read_text())
    ctx["data_mode"] = "microdata"
    (results / "context.json").write_text(json.dumps(ctx))
    sh = pd.read_csv(results / "indicators/shares.csv")
    sh.loc[(sh.indicator == "has_strategy") & (sh.group == "large"), "n"] = 2
    sh.to_csv(results / "indicators/shares.csv", index=False)
    R = Report(results=results, lang="nb")
    row = R.est("has_strategy", 2022, "large")
    assert R.cell_pct(row) == ":"
    assert R.cell_pct(R.est("has_strategy", 2022, "small")) == "70\u00a0%"
    # a cell the audit hides as well (secondary suppression: with the total shown, the
    # other group would give the hidden cell away) is hidden wherever the report shows it
    small = ("shares", "has_strategy", 2022, "small", False)
    publish_results(results, hidden={small})
    R = _Report(results=results, lang="nb")
    assert R.cell_pct(R.est("has_strategy", 2022, "small")) == ":"
    assert R.cell_pct(R.est("has_strategy", 2022)) == "80\u00a0%"


def test_negative_numbers_use_a_real_minus(results):
    R = Report(results=results, lang="en")
    assert R.tx.pp(-0.078) == f"{MINUS}7.8 percentage points"


def test_bootstrap_intervals_reach_the_models_section(results):
    from digikom.sections import model_results

    R = Report(results=results, lang="en")
    assert model_results.bootstrap_table(R) == ""  # bootstrap off: no table
    ctx = json.loads((results / "context.json").read_text())
    ctx["models"] = R.ctx["models"] = [{"id": "m", "nb": "m", "en": "m", "outcome": "y"}]
    ctx["models"][0]["formula"] = "log_population"
    (results / "context.json").write_text(json.dumps(ctx))
    (results / "models/m").mkdir()
    keys = dict(model="m", outcome="y", family="logit", year=2022, size_group="all", category="")
    pd.DataFrame(
        [
            dict(
                **keys,
                quantity="prediction",
                effect="",
                estimate=0.5,
                std_error=0.02,
                conf_low=0.46,
                conf_high=0.54,
                n_obs=300,
            )
        ]
    ).to_csv(results / "models/m/predictions.csv", index=False)
    pd.DataFrame(
        [
            dict(
                **keys,
                estimate=0.5,
                boot_mean=0.5,
                boot_se=0.03,
                conf_low=0.44,
                conf_high=0.56,
                level=0.95,
                n_replicates=200,
                n_failed=0,
            )
        ]
    ).to_csv(results / "models/bootstrap_predictions.csv", index=False)
    publish_results(results)
    md = model_results.bootstrap_table(R)
    assert "| m | 2022 | 50.0% | 46.0–54.0 | 44.0–56.0 | 200 |" in md
    assert "{#tbl-bootstrap}" in md


def test_a_figure_published_in_words_is_not_said_twice(results, monkeypatch):
    from digikom.sections import findings

    R = Report(results=results, lang="nb")
    plain = findings.out_of_ten(R, "has_strategy", 2018, 2022)
    assert plain.startswith("«") and "åtte av ti kommuner i 2022: 80" in plain
    value = R.value
    monkeypatch.setattr(
        R, "value", lambda i, y, g="all": ("åtte av ti (publisert)", "published") if y == 2022
        else value(i, y, g)
    )  # fmt: skip
    said = findings.out_of_ten(R, "has_strategy", 2018, 2022)
    assert said.count("åtte av ti") == 1, said
    assert "gjaldt åtte av ti (publisert) kommuner i 2022, mot " in said


# --------------------------------------------------------------------------- support
VERDICTS = re.compile(
    r"\b(økte|falt|omtrent uendret|klart|uendret|rose|fell|unchanged|clearly)\b", re.I
)
INTERVAL = re.compile(r"\b(KI|CI)\b|\(\d+(,\d+)?–\d+")


def micro(results):
    ctx = json.loads((results / "context.json").read_text())
    ctx["data_mode"] = "microdata"
    (results / "context.json").write_text(json.dumps(ctx))


def published_story_card(results):
    """Scorecard rows as the workflow writes them for targets.csv: has_strategy's
    complement published for 2018 (an alias says it again), a 2024 update figure and a
    size band."""
    ctx = json.loads((results / "context.json").read_text())
    ctx["waves"] = [2018, 2022, 2024]
    ctx["evidence"]["comparison"]["update"] = [2024]
    ctx["indicators"]["shares"].append(
        {
            "id": "no_strategy",
            "variable": "has_strategy",
            "values": [0],
            "complement_of": "has_strategy",
            "theme": "priority",
            "nb": "Har ikke strategi",
            "en": "No strategy",
        }
    )
    ctx["indicators"]["replication"] = {
        "map": {"big": {"indicator": "cloud_use", "population": [40000, None]}}
    }
    ctx["published_units"] = {"third": "fraction", "cw": "percent_approx", "u24": "percent"}
    ctx["published_units"]["big"] = "fraction_lower_bound"
    (results / "context.json").write_text(json.dumps(ctx))
    card = pd.read_csv(results / "replication/scorecard.csv")
    extra = [
        ("third", "calibration", 2018, "no_strategy", "1/3", "", "https://www.ssb.no/a"),
        ("cw", "calibration", 2018, "no_strategy", "30", "third", "https://www.cw.no/b"),
        ("u24", "validation", 2024, "cloud_use", "56.5", "", "https://www.ssb.no/c"),
        ("big", "validation", 2019, "cloud_use", ">4/5", "", "https://www.ssb.no/d"),
    ]
    rows = [
        dict(
            target_id=t,
            role=r,
            year=y,
            computed_year=y,
            indicator=i,
            published=v,
            same_as=a,
            source_url=u,
            group="all municipalities" if t != "big" else "kommuner med minst 40 000",
            reference="published",
        )
        for t, r, y, i, v, a, u in extra
    ]
    pd.concat([card, pd.DataFrame(rows)]).to_csv(results / "replication/scorecard.csv")
    return rows


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_synthetic_key_findings_are_published_figures_only(results, lang):
    published_story_card(results)
    R = Report(results=results, lang=lang)
    md = findings.render(R)
    head, rest = md.split("## ", 1)
    summary = [line for line in head.splitlines() if line.startswith("- ")]
    assert 1 <= len(summary) <= 5
    expect = {
        "nb": ["én av tre i 2018", "60\u00a0% i 2018", "56,5\u00a0% i 2024"],
        "en": ["one in three in 2018", "60% in 2018", "56.5% in 2024"],
    }[lang]
    for value in expect:
        assert value in md, value
    # the comparison (2018 -> 2022) before the update (2024); sources as links
    assert md.index("2018") < md.index("2024")
    assert "[ssb.no](https://www.ssb.no/a)" in md and "cw.no" not in md  # an alias: once
    band = {"nb": "mer enn fire av fem blant kommunene med minst 40", "en": "more than"}
    assert band[lang] in md
    # no panel value (80 %, 52 %, 90 %), no interval, no verdict, no model effect
    for panel in ("80", "52", "90", "70"):
        assert not re.search(rf"\b{panel}\s?\u00a0?%", md), panel
    assert not INTERVAL.search(md) and not VERDICTS.search(md), md
    if lang == "en":
        assert not set("æøåÆØÅ«»") & set(md)


def test_microdata_findings_are_estimates_and_say_nothing_of_hidden_cells(results):
    micro(results)
    R = Report(results=results, lang="nb")
    md = findings.render(R)
    assert "95\u00a0% KI 15,0–25,0" in md and "økte" in md
    assert "klart høyere blant de største kommunene: 90\u00a0% (95\u00a0% KI 85–93)" in md
    # the largest group's share is 100 %: hidden, and the gradient that compares it is
    # not written (it would tell that the hidden share is well above the other)
    sh = pd.read_csv(results / "indicators/shares.csv")
    sh.loc[(sh.indicator == "has_strategy") & (sh.group == "large"), "estimate"] = 1.0
    sh.to_csv(results / "indicators/shares.csv", index=False)
    R = Report(results=results, lang="nb")
    assert findings.gradient(R, "has_strategy", 2022) is None
    md = findings.render(R)
    assert "største kommunene" not in md and ": i gruppen" not in md
    assert "KI 15,0–25,0" in md  # the rest is still there


def test_composite_rule_that_hardly_separates_says_so(results):
    R = Report(results=results, lang="nb")
    spec = {
        "id": "activity",
        "nb": "Sammensatt aktivitet",
        "en": "Composite activity",
        "x": {"nb": "Sky", "en": "Cloud"},
        "y": {"nb": "Tjenester", "en": "Services"},
        "groups": {c: {"nb": c, "en": c} for c in ("both", "y_only", "x_only", "neither")},
    }
    shares = {"both": 0.6, "y_only": 0.02, "x_only": 0.37, "neither": 0.01}
    R.composites = pd.DataFrame(
        [
            dict(composite="activity", year=y, group="all", category=c, estimate=v)
            for y in (2018, 2022)
            for c, v in (shares.items() if y == 2022 else dict.fromkeys(shares, 0.25).items())
        ]
    )
    note = themes.composite_note(R, spec)
    assert "97\u00a0% er «høy» på «Sky» i 2022" in note and "2018" in note
    assert "syntetiske panelet" in note
    R.composites = R.composites.assign(estimate=0.25)
    assert themes.composite_note(R, spec) == ""


def test_model_warning_about_a_cell_is_withheld_with_microdata(results):
    from digikom.sections import model_results

    warning = (
        "quasi-complete separation: all 19 observations with big = 1 have the highest "
        "outcome value; its estimate diverges and is not reported"
    )
    (results / "models/m.json").write_text(json.dumps({"status": "warning", "warnings": [warning]}))
    ctx = json.loads((results / "context.json").read_text())
    ctx["models"] = [{"id": "m", "nb": "M", "en": "M"}]
    (results / "context.json").write_text(json.dumps(ctx))
    # synthetic data: the warning in readers' words (the raw text stays in the log)
    md = model_results.warnings(Report(results=results, lang="en"))
    assert "19" in md and "cannot be estimated" in md and "observations" not in md
    micro(results)
    md = model_results.warnings(Report(results=results, lang="en"))
    assert "19" not in md and "highest" not in md and "withheld for confidentiality" in md


def test_published_points_are_ssbs_values(settings):
    from digikom.config import figure_ids
    from digikom.published_plots import published_points

    def row(tid, ind, value, lo, hi, same_as="", year=2018):
        return dict(target_id=tid, indicator=ind, published=value, published_low=lo,
                    published_high=hi, same_as=same_as, year=year, reference="published")  # fmt: skip

    card = pd.DataFrame(
        [
            row("no_strategy_2018_third", "no_strategy", "1/3", 0.2833, 0.3833),
            row("no_strategy_2018_cw", "no_strategy", "30", 0.25, 0.35, "no_strategy_2018_third"),
            row("recruit_tried_2019_ge40k", "tried_recruit", ">4/5", 0.8, 1.0, year=2019),
            row("trd_prio_both_2022", "priority/both", "13", 0.29, 0.39, year=2022),
            row("comp_barrier_2018", "competence_large", "42", 0.41, 0.43),
        ]
    )
    pr = published_points(card, settings, "priority")
    assert pr[["indicator", "year", "bound"]].values.tolist() == [["no_strategy", 2018, ""]]
    assert abs(pr.value.iloc[0] - 100 / 3) < 0.01  # the alias (30 %) is not drawn again
    comp = published_points(card, settings, "competence").set_index("indicator")
    assert comp.loc["tried_recruit", "bound"] == ">" and comp.loc["tried_recruit", "value"] == 80
    assert comp.loc["tried_recruit", "band"] == "40000-"
    assert abs(comp.loc["competence_large", "value"] - 42) < 1e-9
    assert {"published_priority", "published_competence", "published_activity"} <= set(
        figure_ids(settings)
    )


def test_synthetic_methods_keep_published_response_rates_with_their_source(results):
    card = pd.read_csv(results / "replication/scorecard.csv")
    resp = dict(card.iloc[0])
    resp.update(target_id="resp", indicator="response_rate", published="89", year=2018,
                computed_year=2018, source_url="https://www.ssb.no/r", role="calibration")  # fmt: skip
    pd.concat([card, pd.DataFrame([resp])]).to_csv(results / "replication/scorecard.csv")
    R = Report(results=results, lang="nb")
    md = methods.response_table(R)
    # the published rate with its source; the panel's rate of 2022 (99.0 %) is an
    # assumption, and no respondent count of the generator is shown
    assert "| 2018 | 422 | 89\u00a0% | publisert av SSB ([ssb.no](https://www.ssb.no/r)) |" in md
    assert "| 2022 | 356 | 99\u00a0% | ikke publisert; antakelse i de syntetiske dataene |" in md
    assert "376" not in md and "Svarte" not in md


def test_model_specs_show_terms_in_words_not_patsy(results, settings):
    from digikom.sections import appendix

    ctx = json.loads((results / "context.json").read_text())
    ctx["models"] = [m for m in settings.models if m["id"] in ("strategy", "cloud")]
    assert len(ctx["models"]) == 2
    strategy = next(m for m in ctx["models"] if m["id"] == "strategy")
    strategy["formula"] = "C(size_group) * C(year)"  # an interaction, in readers' words
    ctx["model_labels"] = settings.labels  # as report_context writes them
    (results / "context.json").write_text(json.dumps(ctx))
    for lang, words in (("en", "Size group, Year, Size group × Year"),
                        ("nb", "Størrelsesgruppe, År, Størrelsesgruppe × År")):  # fmt: skip
        md = appendix.model_specs(Report(results=results, lang=lang))
        assert words in md
        assert "C(" not in md and "`log_population" not in md


def test_calibration_appendix_says_which_wave_a_new_wave_takes_its_values_from(
    results, settings, targets
):
    from digikom.report_context import calibration_rows
    from digikom.sections import appendix

    ctx = json.loads((results / "context.json").read_text())
    for waves, said in (([2018, 2024], False), ([2018, 2024, 2026], True)):
        for lang, sentence in (
            ("nb", "Bølge 2026 har ingen verdier i config/synthetic.yaml. Generatoren bruker "
                   "verdiene for 2024 der (en antakelse)"),
            ("en", "Wave 2026 has no values in config/synthetic.yaml. The generator uses "
                   "those of 2024 there (an assumption)"),
        ):  # fmt: skip
            ctx["calibration"] = calibration_rows(settings.synthetic, targets, waves, lang)
            (results / "context.json").write_text(json.dumps(ctx))
            md = appendix.calibration(Report(results=results, lang=lang))
            assert "{#tbl-calibration}" in md
            assert (sentence in md) == said, md[:600]
            rows = [line for line in md.splitlines() if "| 2026 |" in line]
            assert bool(rows) == said
            assert len(rows) == (len(ctx["calibration"]) - len(
                calibration_rows(settings.synthetic, targets, [2018, 2024], lang)
            ))  # fmt: skip


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_a_new_wave_not_yet_published_keeps_the_latest_published_update(results, lang):
    """Configured waves up to 2026, SSB's figures up to 2024: the summary keeps the 2024
    figure and the update's heading runs to 2024, the latest year it shows."""
    published_story_card(results)
    md24 = findings.render(Report(results=results, lang=lang))
    ctx = json.loads((results / "context.json").read_text())
    ctx["waves"] = [2018, 2022, 2024, 2026]
    ctx["evidence"]["comparison"]["update"] = [2024, 2026]
    (results / "context.json").write_text(json.dumps(ctx))
    md26 = findings.render(Report(results=results, lang=lang))
    assert md26 == md24
    heading = {"nb": "## Oppdatering: 2022 til 2024", "en": "## Update: 2022 to 2024"}[lang]
    assert heading in md26 and "2026" not in md26
    summary = [line for line in md26.split("## ", 1)[0].splitlines() if line.startswith("- ")]
    assert any(("56,5\u00a0% i 2024" if lang == "nb" else "56.5% in 2024") in s for s in summary)
