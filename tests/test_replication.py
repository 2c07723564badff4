"""The replication scorecard, including StatBank values as a second reference."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from digikom import synthetic as S
from digikom.errors import ConfigError, InputDataError
from digikom.indicators import composite_groups, compute_crosstab, compute_shares
from digikom.replication import (
    COLUMNS,
    check_counts,
    read_seed_validation,
    scorecard,
    seed_pass,
)


@pytest.fixture(scope="module")
def computed(panel, settings):
    return (
        compute_shares(panel, settings.indicators, settings.codebook),
        compute_crosstab(panel, settings.indicators, settings.codebook),
    )


def test_scorecard_columns_and_reasons(computed, targets, settings, config):
    sh, ct = computed
    card = scorecard(targets, sh, ct, settings.indicators, config["waves"]).set_index("target_id")
    assert list(card.reset_index().columns) == COLUMNS
    assert len(card) == len(targets)
    assert card.loc["recruit_problems_2023", "computed_year"] == 2022
    fewer = scorecard(targets, sh, ct, settings.indicators, [2018, 2020, 2024])
    assert (
        fewer.set_index("target_id").loc["recruit_problems_2023", "reason"]
        == "not computable: 2023 is not a wave and its nearest wave 2022 is not configured"
    )
    assert "no variable" in card.loc["phishing_2022", "reason"]
    assert pd.isna(card.loc["phishing_2022", "reproduced"])
    r = card.loc["comp_barrier_2018"]
    nat = sh[
        (sh.indicator == "competence_large")
        & (sh.year == 2018)
        & (sh.group == "all")
        & ~sh.weighted
    ]
    assert r.reproduced == pytest.approx(nat.estimate.iloc[0])
    # compared at the published precision (whole percent)
    assert r.diff_pp == pytest.approx(round(100 * r.reproduced) - 42)
    # a bound has no point and no difference, but is checked against its interval
    b = card.loc["seed_recruit_problems_2022"]
    assert pd.isna(b.diff_pp) and b.published_low == 0.5 and bool(b.within_tolerance)


def test_statbank_second_reference(computed, targets, settings, config):
    sh, ct = computed
    nat = sh[(sh.indicator == "has_strategy") & (sh.group == "all") & ~sh.weighted].set_index(
        "year"
    )
    official_2022 = round(100 * nat.loc[2022, "estimate"], 1)  # "SSB" agrees
    table = pd.DataFrame(
        {
            "KommSize": ["0", "0", "0", "1"],
            "KommSize_label": ["Alle kommuner"] * 3 + ["Under 5 000"],
            "ContentsCode": ["IKTStrategi"] * 4,
            "ContentsCode_label": ["Kommuner med IKT-strategi"] * 4,
            "Tid": ["2018", "2022", "2023", "2022"],
            "Tid_label": ["2018", "2022", "2023", "2022"],
            "value": [10.0, official_2022, 70.0, 55.0],
            "status": ["", "", "", ""],
        }
    )
    rules = dict(settings.indicators)
    rules["replication"] = dict(
        rules["replication"],
        statbank=[
            {
                "table": "99901",
                "where": {"KommSize": "0", "ContentsCode": "IKTStrategi"},
                "indicator": "has_strategy",
                "scale": 0.01,
            }
        ],
    )
    card = scorecard(targets, sh, ct, rules, config["waves"], statbank={"99901": table})
    sb = card[card.reference == "statbank"].set_index("year")
    assert list(sb.index) == [2018, 2022, 2023]
    assert bool(sb.loc[2022, "within_tolerance"]) and not bool(sb.loc[2018, "within_tolerance"])
    assert sb.loc[2018, "published"] == pytest.approx(0.10)
    assert "not a configured wave" in sb.loc[2023, "reason"]
    bad = dict(
        rules["replication"],
        statbank=[{"table": "99901", "where": {"Region": "0"}, "indicator": "has_strategy"}],
    )
    with pytest.raises(ConfigError, match="no dimension 'Region'"):
        scorecard(
            targets,
            sh,
            ct,
            dict(rules, replication=bad),
            config["waves"],
            statbank={"99901": table},
        )


ROOT = Path(__file__).resolve().parents[1]
# The genuine out-of-sample checks issue 13 names: never calibration targets.
NAMED_VALIDATION = [
    "recruit_tried_2019_lt5k",
    "trd_prio_both_2022",
    "trd_prio_projects_only_2022",
    "trd_prio_strategy_only_2022",
    "no_strategy_but_big_projects_2018",
]


@pytest.fixture(scope="module")
def card(computed, targets, settings, config, panel):
    sh, ct = computed
    cal = S.calibration_ids(settings.synthetic)
    return scorecard(
        targets, sh, ct, settings.indicators, config["waves"], panel=panel, calibration=cal
    ).set_index("target_id")


def test_no_validation_target_is_used_by_the_synthetic_generator(card, targets):
    """Fails as soon as config/synthetic.yaml names (even in a comment) a target the
    scorecard treats as validation, or an alias of one."""
    text = (ROOT / "config" / "synthetic.yaml").read_text(encoding="utf-8")
    used = {tid for tid in targets.index if re.search(rf"\b{re.escape(tid)}\b", text)}
    validation = set(card.index[card.role == "validation"])
    assert not (used & validation), sorted(used & validation)
    assert set(NAMED_VALIDATION) <= validation
    # every id the generator names is a calibration row, and so are its aliases
    assert used <= set(card.index[card.role == "calibration"])
    assert card.loc["comp_barrier_2018_4av10", "role"] == "calibration"  # alias


@pytest.fixture(scope="module")
def card_across_years(computed, targets, settings, config, panel):
    """The scorecard with figures of years without a wave compared with the nearest wave
    (one year apart at most, tolerance + 2 pp per year)."""
    sh, ct = computed
    rules = dict(settings.indicators)
    rules["replication"] = dict(rules["replication"], year_gap={"max_years": 1, "pp_per_year": 2})
    cal = S.calibration_ids(settings.synthetic)
    return scorecard(
        targets, sh, ct, rules, config["waves"], panel=panel, calibration=cal
    ).set_index("target_id")


def test_figures_of_years_without_a_wave_follow_the_year_rule(card, card_across_years, panel):
    """Default (max_years 0): a 2019 or 2023 figure is not compared with 2018/2022 and says
    why; with max_years 1 it is compared, its tolerance widened by pp_per_year."""
    for tid in ("recruit_tried_2019_lt5k", "recruit_problems_2023", "comp_barrier_2019"):
        row = card.loc[tid]
        assert pd.isna(row.reproduced) and pd.isna(row.within_tolerance)
        assert row.reason.startswith("not compared: published for ")
        assert "replication.year_gap.max_years is 0" in row.reason
    r18 = panel[panel.responded & (panel.year == 2018)]
    lt5k = r18[r18.population < 5000].tried_recruit.mean()
    row = card_across_years.loc["recruit_tried_2019_lt5k"]
    assert row.reproduced == pytest.approx(lt5k) and row.computed_year == 2018
    assert "published for 2019; computed on wave 2018" in row.caveat
    assert row.tolerance_pp == pytest.approx(1 + 2)  # percent tolerance + 1 year x 2 pp
    assert bool(row.within_tolerance) == (abs(round(100 * lt5k) - 27) <= 3)
    # a same-year figure keeps its tolerance
    assert card_across_years.loc["comp_barrier_2018", "tolerance_pp"] == 1.0


def test_validation_figures_match_direct_computation(card, panel):
    r = panel[panel.responded]
    r18 = r[r.year == 2018]
    # Trøndelag 2022: county 50 in the 2020-2023 structure, composite "both"
    trd = r[(r.year == 2022) & r.kommunenr.str.startswith("50")]
    g = composite_groups(panel, _rules(card)[0], 2018)
    both = g.loc[trd.index.intersection(g.index), "category"].eq("both").mean()
    assert card.loc["trd_prio_both_2022", "reproduced"] == pytest.approx(both)
    assert card.loc["trd_prio_both_2022", "published_low"] == pytest.approx(13 / 38 - 0.05)
    # no strategy in 2018, but project areas above the 2018 median
    med = r18.project_areas.median()
    nos = r18[r18.has_strategy == 0]
    assert card.loc["no_strategy_but_big_projects_2018", "reproduced"] == pytest.approx(
        (nos.project_areas > med).mean()
    )
    assert (
        card.loc["trd_n_municipalities_2022", "reproduced"]
        == ((panel.year == 2022) & panel.kommunenr.str.startswith("50")).sum()
    )
    assert card.loc["trd_n_municipalities_2022", "reference"] == "frame"  # not a share
    same_year = [t for t in NAMED_VALIDATION if card.loc[t, "year"] in (2018, 2022)]
    assert (card.loc[same_year, "reproduced"].notna()).all()
    computed_validation = card[(card.role == "validation") & card.reproduced.notna()]
    assert len(computed_validation) >= 3


def _rules(card):
    from digikom.io import read_yaml

    return [
        c
        for c in read_yaml(ROOT / "config" / "indicators.yaml")["composites"]
        if c["id"] == "priority"
    ]


def test_every_non_computable_row_says_why(card):
    missing = card[card.reproduced.isna()]
    assert (missing.reason.str.match(r"not (computable|compared): ")).all()
    assert (
        "'Attempted identity theft (phishing), last 12 months'"
        in (card.loc["phishing_2022", "reason"])
    )


def test_unknown_alias_is_a_config_error(computed, targets, settings, config):
    sh, ct = computed
    rules = dict(settings.indicators)
    rules["replication"] = dict(
        rules["replication"], map={"comp_barrier_2018": {"indicator": "x", "same_as": "nope"}}
    )
    with pytest.raises(ConfigError, match="same_as: 'nope' is not in targets.csv"):
        scorecard(targets, sh, ct, rules, config["waves"])


# ---------------------------------------------------------------- distinct statistics
def _targets(rows):
    cols = ["id", "wave_year", "indicator_no", "indicator_en", "group", "value", "unit"]
    df = pd.DataFrame(rows, columns=cols).assign(source_url="u", evidence="")
    return df.astype(str).set_index("id", drop=False)


def _shares(values: dict):
    return pd.DataFrame(
        [
            {"indicator": i, "year": y, "group": "all", "weighted": False, "estimate": v}
            for (i, y), v in values.items()
        ]
    )


def _rep_rules(mapping, **rep):
    return {
        "shares": [],
        "composites": [],
        "reference_wave": 2018,
        "replication": {
            "tolerances": {"percent": 1.0, "percent_approx": 5.0, "words_fraction": 5.0},
            "map": mapping,
            **rep,
        },
    }


def test_one_row_per_distinct_statistic_checked_in_its_most_precise_form():
    """72.1 %, "sju av ti" and "3/4" of one statistic count once, as the 72.1 % form;
    every form stays in the scorecard."""
    targets = _targets(
        [
            ("words", 2022, "x", "x", "all municipalities", "3/4", "fraction"),
            ("tenths", 2022, "x", "x", "all municipalities", "7", "out_of_10"),
            ("exact", 2022, "x", "x", "all municipalities", "72.1", "percent"),
            ("other", 2022, "y", "y", "all municipalities", "40", "percent"),
        ]
    )
    mapping = {
        "words": {"indicator": "a", "same_as": "exact"},
        "tenths": {"indicator": "a", "same_as": "exact"},
        "exact": {"indicator": "a"},
        "other": {"indicator": "b"},
    }
    shares = _shares({("a", 2022): 0.74, ("b", 2022): 0.40})
    card = scorecard(targets, shares, pd.DataFrame(), _rep_rules(mapping), [2022])
    card = card.set_index("target_id")
    assert set(card.loc[["words", "tenths", "exact"], "statistic"]) == {"exact"}
    assert card["primary"].tolist() == [False, False, True, True]
    # 74 % is outside 72.1 +- 1 although "3/4" and "sju av ti" would pass: one failure
    assert bool(card.loc["words", "within_tolerance"]) and bool(
        card.loc["tenths", "within_tolerance"]
    )
    assert not bool(card.loc["exact", "within_tolerance"])
    assert check_counts(card.reset_index(), "validation") == (1, 2)
    # calibrated statistics are counted apart, also once
    cal = scorecard(
        targets, shares, pd.DataFrame(), _rep_rules(mapping), [2022], calibration={"exact"}
    )
    assert check_counts(cal, "calibration") == (0, 1) and check_counts(cal, "validation") == (1, 1)


def test_published_precision_rounds_the_panel_value_as_published():
    """42 % (whole percent) against a panel share of 40.95 %: rounded to 41, within 1 pp
    (unrounded it would be 1.05 pp off); 31.8 % against 30.76 %: one decimal, 30.8, within;
    30.74 % gives 30.7, outside."""
    targets = _targets(
        [
            ("whole", 2018, "x", "x", "all municipalities", "42", "percent"),
            ("dec", 2018, "y", "y", "all municipalities", "31.8", "percent"),
            ("dec2", 2018, "z", "z", "all municipalities", "31.8", "percent"),
        ]
    )
    mapping = {"whole": {"indicator": "a"}, "dec": {"indicator": "b"}, "dec2": {"indicator": "c"}}
    shares = _shares({("a", 2018): 0.4095, ("b", 2018): 0.3076, ("c", 2018): 0.3074})
    card = scorecard(targets, shares, pd.DataFrame(), _rep_rules(mapping), [2018]).set_index(
        "target_id"
    )
    assert card.loc["whole", "decimals"] == 0 and card.loc["dec", "decimals"] == 1
    assert card.loc["whole", "diff_pp"] == pytest.approx(-1.0)
    assert bool(card.loc["whole", "within_tolerance"])
    assert bool(card.loc["dec", "within_tolerance"])
    assert not bool(card.loc["dec2", "within_tolerance"])
    assert card.loc["dec2", "diff_pp"] == pytest.approx(-1.1)


def test_seed_validation_file_contract(tmp_path):
    """results/simulation/validation.csv: the predictive check per target (n_seeds,
    pred_low, pred_high, percentile, outside); a missing file is None, a bad one a clear
    error, and an alias finds its statistic."""
    path = tmp_path / "validation.csv"
    assert read_seed_validation(path) is None
    head = "target_id,n_seeds,pred_low,pred_high,percentile,outside\n"
    path.write_text(head + "exact,200,0.2,0.4,0.31,False\nother,200,0.5,0.7,0.99,True\n")
    seeds = read_seed_validation(path)
    assert seeds.loc["exact", "pred_low"] == 0.2 and bool(seeds.loc["other", "outside"])
    card = pd.DataFrame(
        {"target_id": ["words", "exact", "lone"], "statistic": ["exact", "exact", "lone"]}
    )
    assert seed_pass(card, seeds).tolist() == [(0.2, 0.4, 0.31), (0.2, 0.4, 0.31), None]
    path.write_text(head + "exact,200,0.5,0.4,0.31,False\n")
    with pytest.raises(InputDataError, match="target exact: range 0.5-0.4"):
        read_seed_validation(path)
    path.write_text(head + "exact,200,0.2,0.4,1.5,False\n")
    with pytest.raises(InputDataError, match="percentile 1.5 is not valid"):
        read_seed_validation(path)
    path.write_text("target_id,n_seeds,pred_low,pred_high,outside\nexact,20,0.1,0.2,False\n")
    with pytest.raises(InputDataError, match=r"validation.csv: missing column\(s\) percentile"):
        read_seed_validation(path)
    path.write_text(head + "exact,twenty,0.2,0.4,0.31,False\n")
    with pytest.raises(InputDataError, match="field n_seeds of target exact: 'twenty'"):
        read_seed_validation(path)


def test_default_scorecard_counts_distinct_statistics(card):
    """The default map: the frame count is apart, the 2023 recruitment figure (72.1 %,
    "sju av ti", "3/4") is one statistic, and the calibration statistics are the distinct
    published figures the generator uses."""
    full = card.reset_index()
    assert card.loc["trd_n_municipalities_2022", "reference"] == "frame"
    assert not card.loc["trd_n_municipalities_2022", "primary"]
    forms = card[card.statistic == "recruit_problems_2023"]
    assert len(forms) == 3 and forms.primary.sum() == 1
    assert forms.index[forms.primary][0] == "recruit_problems_2023"
    ok, n = check_counts(full, "validation")
    distinct = full[(full.role == "validation") & (full.reference == "published")]
    distinct = distinct[distinct.reproduced.notna()].statistic.nunique()
    assert n == distinct and 0 <= ok <= n
    _, n_cal = check_counts(full, "calibration")
    assert n_cal == len(S.calibration_ids(card.attrs.get("params") or _params()))


def _params():
    from digikom.io import read_yaml

    return read_yaml(ROOT / "config" / "synthetic.yaml")


# ---------------------------------------------------------------- the report section
from test_sections import results  # noqa: E402,F401  (the hand-made results fixture)


def _add_rows(path, rows):
    path = path / "replication" / "scorecard.csv"
    card = pd.read_csv(path)
    card = pd.concat([card, pd.DataFrame(rows)], ignore_index=True)
    card.to_csv(path, index=False)


def test_section_counts_statistics_names_where_failures_show_and_the_seeds(results):  # noqa: F811
    from digikom.report import Report
    from digikom.sections import replication as section
    from workflow_utils import publish_results

    common = dict(group="all municipalities", caveat="", reason="", source_url="u")
    _add_rows(
        results,
        [
            # another published form of t2 (alias): not a row of its own, named in t2's note
            dict(target_id="t2b", role="validation", year=2022, computed_year=2022,
                 indicator="cloud_use", published="1/3", reproduced=0.52, within_tolerance=True,
                 reference="published", statistic="t2", primary=False, tolerance_pp=5.0,
                 **common),
            dict(target_id="frame", role="validation", year=2022, computed_year=2022,
                 indicator="frame_count", published="38", reproduced=38.0,
                 within_tolerance=True, reference="frame", statistic="frame", primary=False,
                 **dict(common, group="Trøndelag")),
        ],
    )  # fmt: skip
    R = Report(results=publish_results(results), lang="nb")
    R.emitted.update({"sec-activity": 0, "fig-size-cloud-use": 1, "fig-size-has-strategy": 2})
    md = section.render(R)
    validation = md.split("{#tbl-validation}")[0]
    row = next(line for line in validation.splitlines() if "Bruker sky" in line)
    assert row.count("|") == 7  # year, statistic, published, panel, verdict, note: no seeds
    assert "også publisert som 1/3" in row
    assert "vises i @sec-activity, @fig-size-cloud-use" in row
    assert "Spredningen over mange simulerte paneler finnes ikke" in md
    assert "1 av 2" not in md and "0 av 1 statistikker ligger innenfor" in md
    assert "Trøndelag 2022: 38 publisert, 38 i rammen" in md
    # the predictive range over the simulated panels beside each check, through an alias too
    (results / "simulation").mkdir()
    (results / "simulation" / "validation.csv").write_text(
        "target_id,n_seeds,pred_low,pred_high,percentile,outside\nt2b,200,0.21,0.43,0.35,False\n"
    )
    R = Report(results=publish_results(results), lang="en")
    md = section.render(R)
    assert "95% of 200 simulated panels (percentile)" in md and "| 21%–43% (35) |" in md
    assert "a hit or miss with the default seed depends on the seed" in md
