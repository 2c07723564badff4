"""The replication scorecard, including StatBank values as a second reference."""

from __future__ import annotations

import pandas as pd
import pytest
from digikom.errors import ConfigError
from digikom.indicators import compute_crosstab, compute_shares
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
    assert (
        card.loc["recruit_problems_2023", "reason"]
        == "not computable: 2023 is not a configured wave"
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
                "table": "12019",
                "where": {"KommSize": "0", "ContentsCode": "IKTStrategi"},
                "indicator": "has_strategy",
                "scale": 0.01,
            }
        ],
    )
    card = scorecard(targets, sh, ct, rules, config["waves"], statbank={"12019": table})
    sb = card[card.reference == "statbank"].set_index("year")
    assert list(sb.index) == [2018, 2022, 2023]
    assert bool(sb.loc[2022, "within_tolerance"]) and not bool(sb.loc[2018, "within_tolerance"])
    assert sb.loc[2018, "published"] == pytest.approx(0.10)
    assert "not a configured wave" in sb.loc[2023, "reason"]
    bad = dict(
        rules["replication"],
        statbank=[{"table": "12019", "where": {"Region": "0"}, "indicator": "has_strategy"}],
    )
    with pytest.raises(ConfigError, match="no dimension 'Region'"):
        scorecard(
            targets,
            sh,
            ct,
            dict(rules, replication=bad),
            config["waves"],
            statbank={"12019": table},
        )
