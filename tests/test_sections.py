"""The report's sections on small hand-made results (fast; no workflow run): the
sentences say what the numbers say, in both languages, and tables show the values."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from digikom.report import Report
from digikom.sections import findings, methods, replication, themes
from digikom.text import MINUS

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
        "seed": 1,
        "size_groups": GROUPS,
        "codebook": {
            "themes": {
                t: {"nb": t.upper(), "en": t.title()}
                for t in ("priority", "competence", "activity")
            },
            "variables": {"weight": {"question": {"nb": "Vekt", "en": "Weight"}}},
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
    (r / "report" / "context.json").write_text(json.dumps(ctx))
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
    assert "Av 1 publiserte tall som dataene ikke er kalibrert til" in closing[0]
    assert "0 innenfor toleransen og 1 utenfor" in closing[0]


def test_findings_with_microdata_are_estimates_with_paired_intervals(results):
    ctx = json.loads((results / "report/context.json").read_text())
    ctx["data_mode"] = "microdata"
    (results / "report/context.json").write_text(json.dumps(ctx))
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
    ctx = json.loads((results / "report/context.json").read_text())
    ctx["indicators"]["confidence"] = 0.9
    (results / "report/context.json").write_text(json.dumps(ctx))
    ctx["data_mode"] = "microdata"
    (results / "report/context.json").write_text(json.dumps(ctx))
    R = Report(results=results, lang="en")
    assert "90% CI 15.0–25.0" in findings.sentences(R, "comparison")[0]
    assert "95" not in themes.theme_table(R, "priority", ["has_strategy"]).split("{#")[1]


def test_tables_show_the_values(results):
    R = Report(results=results, lang="nb")
    md = themes.theme_table(R, "priority", ["has_strategy"])
    assert "| Har strategi | 60,0 (55–65) | 80,0 (76–84) |" in md
    assert "{#tbl-priority}" in md
    md = methods.response_table(R)
    assert "| 2018 | 422 | 376 | 89,0\u00a0% |" in md
    md = replication.render(R)
    validation, calibration = md.split("{#tbl-validation}")
    # compared and shown at the published precision (whole percent)
    assert "| 2022 | Bruker sky \\<b\\> | 40\u00a0% | 52\u00a0% | ✗ |" in validation
    assert "| 2018 | Har strategi | 60\u00a0% | 60\u00a0% | ✓ |" in calibration


def test_disclosure_hides_small_cells_with_microdata(results):
    ctx = json.loads((results / "report/context.json").read_text())
    ctx["data_mode"] = "microdata"
    (results / "report/context.json").write_text(json.dumps(ctx))
    sh = pd.read_csv(results / "indicators/shares.csv")
    sh.loc[(sh.indicator == "has_strategy") & (sh.group == "large"), "n"] = 2
    sh.to_csv(results / "indicators/shares.csv", index=False)
    R = Report(results=results, lang="nb")
    row = R.est("has_strategy", 2022, "large")
    assert R.cell_pct(row) == ":"
    assert R.cell_pct(R.est("has_strategy", 2022, "small")) == "70\u00a0%"


def test_negative_numbers_use_a_real_minus(results):
    R = Report(results=results, lang="en")
    assert R.tx.pp(-0.078) == f"{MINUS}7.8 percentage points"


def test_bootstrap_intervals_reach_the_models_section(results):
    from digikom.sections import model_results

    R = Report(results=results, lang="en")
    assert model_results.bootstrap_table(R) == ""  # bootstrap off: no table
    R.ctx["models"] = [{"id": "m", "nb": "m", "en": "m"}]
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
