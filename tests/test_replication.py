"""The replication scorecard, including StatBank values as a second reference."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from digikom import synthetic as S
from digikom.errors import ConfigError
from digikom.indicators import composite_groups, compute_crosstab, compute_shares
from digikom.replication import COLUMNS, scorecard


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
    assert r.diff_pp == pytest.approx(100 * (r.reproduced - 0.42))
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


def test_validation_figures_match_direct_computation(card, panel):
    r = panel[panel.responded]
    r18 = r[r.year == 2018]
    lt5k = r18[r18.population < 5000].tried_recruit.mean()
    row = card.loc["recruit_tried_2019_lt5k"]
    assert row.reproduced == pytest.approx(lt5k) and row.computed_year == 2018
    assert "published for 2019; computed on wave 2018" in row.caveat
    assert bool(row.within_tolerance) == (abs(lt5k - 0.27) <= 0.01)
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
    assert (card.loc[NAMED_VALIDATION, "reproduced"].notna()).all()
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
    assert (missing.reason.str.startswith("not computable: ")).all()
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
