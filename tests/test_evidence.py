"""Issue 13: provenance classes, comparison waves, paired change, nonresponse, the 2020-reform
sensitivity and the composite rule. Values are checked against direct computations on the
synthetic panel fixture."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from digikom import evidence as E
from digikom import evidence_tables as T
from digikom import indicators as I
from digikom import synthetic as S
from digikom import waves as W
from digikom.replication import scorecard
from scipy import stats


@pytest.fixture(scope="module")
def card(panel, settings, targets, config):
    sh = I.compute_shares(panel, settings.indicators, settings.codebook)
    ct = I.compute_crosstab(panel, settings.indicators, settings.codebook)
    return scorecard(
        targets,
        sh,
        ct,
        settings.indicators,
        config["waves"],
        panel=panel,
        calibration=S.calibration_ids(settings.synthetic),
    )


def test_classify_published_assumed_estimated(card, settings):
    rules = settings.indicators
    c = E.classify("competence_large", 2018, "all", True, card, rules)
    assert c["class"] == "published" and c["target_id"] == "comp_barrier_2018"
    assert c["published"] == "42" and c["source_url"].startswith("http")
    # has a strategy 2018 = 1 - the published "en tredjedel" without one
    c = E.classify("has_strategy", 2018, "all", True, card, rules)
    assert c["class"] == "published" and c["complement"]
    assert c["target_id"] == "no_strategy_2018_third"
    # 82 % with a strategy in 2024 and cloud use are synthetic assumptions
    assert E.classify("has_strategy", 2024, "all", True, card, rules)["class"] == "assumed"
    assert E.classify("cloud_use", 2022, "all", True, card, rules)["class"] == "assumed"
    # a cross-tab cell (any group): SSB's 2020 Figur 1
    c = E.classify("not_tried/high", 2020, None, True, card, rules)
    assert c["class"] == "published" and c["target_id"] == "xtab2020_not_tried_high"
    # a validation figure does not make a synthetic number published
    c = E.classify("priority/both", 2022, "Trøndelag", True, card, rules)
    assert c["class"] == "assumed" and c["validation_target"] == "trd_prio_both_2022"
    # real microdata: estimated, with the published figure to compare with
    c = E.classify("competence_large", 2018, "all", False, card, rules)
    assert c["class"] == "estimated" and c["target_id"] == "comp_barrier_2018"


def test_comparison_waves(config):
    assert W.comparison_pairs([2018, 2020, 2022, 2024], [2018, 2022]) == [
        (2018, 2022, "comparison"),
        (2022, 2024, "update"),
        (2018, 2024, "update"),
    ]
    assert W.comparison_pairs([2018, 2024], [2018, 2022]) == [(2018, 2024, "comparison")]
    cmp = W.comparison_waves(dict(config, report={"comparison": [2018, 2022]}))
    assert (cmp["from"], cmp["to"], cmp["update"]) == (2018, 2022, [2024])
    assert cmp["as_configured"]
    from digikom.errors import ConfigError

    with pytest.raises(ConfigError, match="report/comparison': \\[2022, 2018\\]"):
        W.comparison_waves(dict(config, report={"comparison": [2022, 2018]}))


def test_paired_change_matches_direct_computation(panel, settings):
    ch = T.paired_change(panel, settings.indicators, [(2020, 2022, "comparison")], 0.95)
    row = ch[(ch.indicator == "has_strategy") & (ch.group == "all")].iloc[0]
    r = panel[panel.responded]
    a = r[r.year == 2020].set_index("kommunenr_2024").has_strategy.astype(float)
    b = r[r.year == 2022].set_index("kommunenr_2024").has_strategy.astype(float)
    both = pd.concat([a.rename("a"), b.rename("b")], axis=1, join="inner")
    d = both.b - both.a
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    assert row.n_pairs == len(d)
    assert row.est_from == pytest.approx(both.a.mean()) and row.est_to == pytest.approx(
        both.b.mean()
    )
    assert row["diff"] == pytest.approx(d.mean())
    assert (row.conf_low, row.conf_high) == pytest.approx((d.mean() - half, d.mean() + half))
    # pairing narrows the interval of a persistent indicator against two independent samples
    se_indep = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    assert d.std(ddof=1) / np.sqrt(len(d)) < se_indep
    # across the reform: 2018 municipalities merged in 2020 count once, by their mean
    ch18 = T.paired_change(panel, settings.indicators, [(2018, 2022, "comparison")], 0.95)
    n18 = ch18[(ch18.indicator == "has_strategy") & (ch18.group == "all")].n_pairs.iloc[0]
    units18 = r[r.year == 2018].kommunenr_2024.nunique()
    assert n18 <= units18 < (r.year == 2018).sum()
    assert list(ch18.columns) == T.CHANGE_COLUMNS


def test_response_and_item_nonresponse(panel, settings):
    resp = T.response_table(panel)
    for year, g in panel.groupby("year"):
        allrow = resp[(resp.year == year) & (resp.dimension == "all")].iloc[0]
        assert allrow.frame == len(g) and allrow.responded == g.responded.sum()
        county = resp[(resp.year == year) & (resp.dimension == "county")]
        assert county.frame.sum() == len(g) and county.responded.sum() == g.responded.sum()
    trd = resp[(resp.year == 2022) & (resp.dimension == "county") & (resp.group == "50")]
    assert trd.frame.iloc[0] == 38  # Trøndelag 2022, as SSB's regional article says
    items = T.item_nonresponse(panel, settings.codebook).set_index(["variable", "year"])
    r = panel[panel.responded & (panel.year == 2022)]
    cb = items.loc[("competence_barrier", 2022)]
    assert cb.dont_know == r.competence_barrier.isna().sum() > 0  # "vet ikke"
    assert cb.missing == 0 and cb.respondents == len(r)
    rp = items.loc[("recruit_problems", 2022)]
    assert rp.respondents == (r.tried_recruit == 1).sum() and rp.missing == 0
    assert pd.isna(rp.dont_know)


def test_reform_sensitivity(panel, settings):
    rs = T.reform_sensitivity(panel, settings.indicators, settings.size_groups)
    row = rs[(rs.indicator == "cloud_use") & (rs.group == "all")].iloc[0]
    r = panel[panel.responded & (panel.year == 2018)]
    assert row.n_asis == len(r) and row.estimate_asis == pytest.approx(r.cloud_use.mean())
    h = r.groupby("kommunenr_2024").cloud_use.mean()
    assert row.n_harmonised == len(h) and row.estimate_harmonised == pytest.approx(h.mean())
    assert set(rs.group) == {"all"} | {g["id"] for g in settings.size_groups}


def test_composite_rule_is_chosen_per_axis(panel, settings):
    cr = T.composite_rule_shares(panel, settings.indicators).set_index(["composite", "axis"])
    r = panel[panel.responded & (panel.year == 2018)]
    v = r.cloud_use + r.eprocurement
    m = v.median()
    act = cr.loc[("activity", "x")]
    assert act.high_share_gt == pytest.approx((v > m).mean())
    assert act.high_share_ge == pytest.approx((v >= m).mean())
    # no axis splits the reference wave as lopsidedly as the old 'strictly above' rule (19 %)
    assert cr.high_share.between(0.3, 0.7).all(), cr.high_share


def _context(config: dict) -> dict:
    from digikom.config import load_all
    from digikom.report_context import build, context_settings

    return build(context_settings(load_all(copy.deepcopy(config))), _targets())


def test_context_names_every_parameter_and_the_comparison(config, settings):
    ctx = _context(dict(config, report={"comparison": [2018, 2022]}))
    ev = ctx["evidence"]
    assert ev["comparison"]["from"] == 2018 and ev["comparison"]["to"] == 2022
    params = {p["parameter"]: p for p in ev["parameters"]}
    assert params["tried_recruit.size_slope"]["provenance"] == "assumed"
    assert params["has_strategy.overall.2024"]["provenance"] == "assumed"
    assert params["competence_barrier.high.2018"]["provenance"] == "published"
    assert params["tried_recruit.overall.2020"]["provenance"] == "derived"
    assert "comp_barrier_2018" in ev["calibration_targets"]
    # every within_level calibration spec of config/synthetic.yaml (read here from the file,
    # not from synthetic._share_specs) is a parameter with its published figures, and those
    # figures are calibration targets
    within = {
        f"{section}.within_level.{year}.{level}": spec
        for section, body in settings.synthetic.items()
        if isinstance(body, dict)
        for year, by_level in (body.get("within_level") or {}).items()
        for level, spec in by_level.items()
    }
    assert len(within) == 7
    for path, spec in within.items():
        ids = [spec["target"]] if "target" in spec else spec["ratio_of"]
        assert params[path]["target_ids"] == ids, path
        assert params[path]["provenance"] == "published", path
        assert set(ids) <= set(ev["calibration_targets"]), path
    # a ratio_of spec's value is the ratio of its published figures
    rp = params["recruit_problems.within_level.2020.low"]
    assert rp["value"] == pytest.approx(6.9 / (6.9 + 27.6))
    assert params["tried_recruit.within_level.2018.high"]["target_ids"] == [
        "comp_barrier_not_tried_recruit_2018"
    ]


def _targets():
    from pathlib import Path

    return str(Path(__file__).resolve().parents[1] / "data/published/targets.csv")


@pytest.mark.slow
def test_workflow_writes_the_evidence_tables(built):
    """The rule evidence_tables writes every table with the contracted columns, and the
    context carries the comparison and the parameter provenance."""
    import json

    res = built / "results"
    cols = {
        "changes": T.CHANGE_COLUMNS,
        "response": T.RESPONSE_COLUMNS,
        "item_nonresponse": T.ITEM_COLUMNS,
        "reform_sensitivity": T.REFORM_COLUMNS,
    }
    for name, expected in cols.items():
        df = pd.read_csv(res / f"indicators/{name}.csv")
        assert list(df.columns) == expected and len(df) > 0, name
    ch = pd.read_csv(res / "indicators/changes.csv")
    first = ch.iloc[0]
    assert (first.from_year, first.to_year, first.part) == (2018, 2022, "comparison")
    assert (built / "logs/indicators/evidence_tables.log").exists()
    card = pd.read_csv(res / "replication/scorecard.csv")
    assert set(card.role) == {"calibration", "validation"}
    ctx = json.loads((res / "context.json").read_text(encoding="utf-8"))
    assert ctx["evidence"]["comparison"]["to"] == 2022
    assert any(p["parameter"] == "persistence.correlation" for p in ctx["evidence"]["parameters"])


def test_one_calibration_count_from_the_generator_specs(config, settings, targets):
    """context.json's calibration list has one row per share spec the generator uses
    (synthetic._share_specs, within_level included) in the configured waves, and its
    summary's published figures are the generator's calibration ids: the counts of §1, the
    methods section and the replication section all come from it."""
    from digikom.report_context import calibration_rows, calibration_summary

    ctx = _context(config)
    specs = [s for s in S._share_specs(settings.synthetic) if s[2] in config["waves"]]
    assert len(ctx["calibration"]) == len(specs)
    within = [s for s in specs if s[1] == "within_level"]
    assert len(within) == 7
    assert sum(r["part"].startswith("within_level") for r in ctx["calibration"]) == 7
    summary = ctx["calibration_summary"]
    assert summary["parameters"] == len(specs)
    assert summary["published"] + summary["assumed"] == len(specs)
    assert summary["figures"] == len(S.calibration_ids(settings.synthetic))
    # the scorecard's distinct calibration statistics are the same published figures
    # (tested on the default run in test_replication)
    assert summary == calibration_summary(ctx["calibration"])
    # fewer waves, fewer rows; notes in the report language
    two = calibration_rows(settings.synthetic, targets, [2018, 2024], "en")
    assert len(two) == len([s for s in specs if s[2] in (2018, 2024)])
    en = {(r["variable"], r["part"], r["year"]): r["note"] for r in two}
    nb = {
        (r["variable"], r["part"], r["year"]): r["note"]
        for r in calibration_rows(settings.synthetic, targets, [2018, 2024], "nb")
    }
    assert en[("response", "targets", 2024)] == "not published; assumed close to 2022"
    assert nb[("response", "targets", 2024)] == "ikke publisert; antatt nær 2022"


def test_a_new_wave_gets_the_carried_over_values_as_assumptions(settings, targets):
    """A configured wave without values of its own (2026) gets, per share, the value the
    generator carries over to it (synthetic.spec_wave: the latest earlier wave), as an
    assumption whose note names that wave; within_level shares apply only where named."""
    from digikom.report_context import calibration_rows, calibration_summary

    base = calibration_rows(settings.synthetic, targets, [2018, 2024], "nb")
    rows = calibration_rows(settings.synthetic, targets, [2018, 2024, 2026], "nb")
    new = [r for r in rows if r["year"] == 2026]
    last = {(r["variable"], r["part"]): r for r in base if r["year"] == 2024}
    assert {(r["variable"], r["part"]) for r in new} == set(last)
    assert not any(r["part"].startswith("within_level") for r in new)
    for r in new:
        assert r["value"] == last[r["variable"], r["part"]]["value"]
        assert (r["source"], r["provenance"], r["carried_from"]) == ("assumption", "assumed", 2024)
        assert r["note"] == "ingen verdi for 2026: verdien for 2024 er brukt"
    # the rows of the other waves are as before, each new one right after its 2024 row
    assert [r for r in rows if r["year"] != 2026] == base
    for r in new:
        i = rows.index(r)
        assert (rows[i - 1]["variable"], rows[i - 1]["part"], rows[i - 1]["year"]) == (
            r["variable"], r["part"], 2024,
        )  # fmt: skip
    summary, before = calibration_summary(rows), calibration_summary(base)
    assert summary["assumed"] == before["assumed"] + len(new)
    assert summary["published"] == before["published"]
    # the generator draws 2026 from the same (2024) spec
    spec = settings.synthetic["response"]["targets"]
    assert S.spec_wave(spec, 2026) == 2024 and S.spec_wave(spec, 2016) == 2018


def test_calibration_count_follows_a_hand_made_generator(targets):
    """A within_level spec and a ratio_of spec count like any other calibration share."""
    from digikom.report_context import calibration_rows, calibration_summary

    params = {
        "a": {
            "overall": {2018: {"target": "comp_barrier_2018"}, 2020: {"value": 0.3}},
            "within_level": {2020: {"low": {"ratio_of": ["xtab2020_recruit_struggled_low",
                                                         "xtab2020_recruited_ok_low"]}}},
        },
        "provenance": {},
    }  # fmt: skip
    rows = calibration_rows(params, targets, [2018, 2020], "nb")
    assert [r["source"] for r in rows] == [
        "comp_barrier_2018",
        "assumption",
        "xtab2020_recruit_struggled_low, xtab2020_recruited_ok_low",
    ]
    assert rows[2]["value"] == pytest.approx(6.9 / (6.9 + 27.6))
    assert calibration_summary(rows) == {
        "parameters": 3,
        "published": 2,
        "assumed": 1,
        "figures": 3,
    }
