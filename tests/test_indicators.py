"""Indicators, checked against numbers computed independently in the test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from digikom import indicators as I
from digikom.published import parse_published
from digikom.stats import wilson
from statsmodels.stats.proportion import proportion_confint


@pytest.fixture(scope="module")
def shares(panel, settings):
    return I.compute_shares(panel, settings.indicators, settings.codebook)


def row(shares, ind, year, group="all", weighted=False):
    d = shares[
        (shares.indicator == ind)
        & (shares.year == year)
        & (shares.group == group)
        & (shares.weighted == weighted)
    ]
    assert len(d) == 1
    return d.iloc[0]


def test_unweighted_share_and_wilson_ci(shares, panel):
    r = panel[(panel.year == 2022) & panel.responded & (panel.size_group == "5k_10k")]
    k, n = int((r.cloud_use == 1).sum()), len(r)
    got = row(shares, "cloud_use", 2022, "5k_10k")
    assert got.n == n
    assert got.estimate == pytest.approx(k / n)
    lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert (got.conf_low, got.conf_high) == pytest.approx((lo, hi))


def test_weighted_share(shares, panel):
    r = panel[(panel.year == 2018) & panel.responded & panel.has_strategy.notna()]
    w = r.weight.to_numpy()
    expected = (w * (r.has_strategy == 1)).sum() / w.sum()
    got = row(shares, "has_strategy", 2018, weighted=True)
    assert got.estimate == pytest.approx(expected)
    assert got.estimate != pytest.approx(row(shares, "has_strategy", 2018).estimate)
    assert got.conf_low < got.estimate < got.conf_high
    # the Wilson interval at Kish's effective n (sum w)^2 / sum w^2
    ne = w.sum() ** 2 / (w**2).sum()
    assert ne < len(w)
    lo, hi = proportion_confint(expected * ne, ne, alpha=0.05, method="wilson")
    assert (got.conf_low, got.conf_high) == pytest.approx((lo, hi))


def test_share_among_subgroup(shares, panel):
    r = panel[(panel.year == 2024) & panel.responded & (panel.tried_recruit == 1)]
    got = row(shares, "recruit_problems", 2024)
    assert got.n == len(r)
    assert got.estimate == pytest.approx((r.recruit_problems == 1).mean())


def test_mean_indicator(shares, panel):
    r = panel[(panel.year == 2020) & panel.responded]
    got = row(shares, "digital_services", 2020)
    assert got.estimate == pytest.approx(r.digital_services.mean())
    se = r.digital_services.std(ddof=1) / np.sqrt(len(r))
    assert got.conf_high - got.estimate == pytest.approx(1.967 * se, rel=0.01)


def test_response_rate(shares, panel):
    d = panel[panel.year == 2018]
    assert row(shares, "response_rate", 2018).estimate == pytest.approx(d.responded.mean())


def test_distribution_sums_to_one(shares):
    d = shares[
        shares.indicator.str.startswith("competence_barrier_dist_")
        & (shares.group == "all")
        & ~shares.weighted
    ]
    assert np.allclose(d.groupby("year").estimate.sum(), 1.0)


def test_median_split_composite(panel, settings):
    spec = next(c for c in settings.indicators["composites"] if c["id"] == "priority")
    ref = panel[(panel.year == 2018) & panel.responded]
    mx, my = ref.strategy_areas.median(), ref.project_areas.median()
    r = panel[(panel.year == 2022) & panel.responded]
    both = ((r.strategy_areas > mx) & (r.project_areas > my)).mean()
    neither = ((r.strategy_areas <= mx) & (r.project_areas <= my)).mean()
    comp = I.compute_composites(panel, settings.indicators)
    c = comp[
        (comp.composite == "priority") & (comp.year == 2022) & (comp.group == "all")
    ].set_index("category")
    assert c.loc["both", "estimate"] == pytest.approx(both)
    assert c.loc["neither", "estimate"] == pytest.approx(neither)
    assert c.estimate.sum() == pytest.approx(1.0)
    assert c.x_median.iloc[0] == mx and spec["x"]["expr"] == "strategy_areas"


def test_full_response_weighted_equals_unweighted(panel, settings):
    full = panel.copy()
    full["responded"] = True
    for col in (
        "has_strategy",
        "tried_recruit",
        "cloud_use",
        "eprocurement",
        "internal_functions",
        "digital_services",
        "strategy_areas",
        "project_areas",
    ):
        full[col] = full[col].fillna(0)
    from digikom.panel import nonresponse_weights

    full["weight"] = nonresponse_weights(full)
    assert np.allclose(full.weight, 1.0)
    sh = I.compute_shares(full, settings.indicators, settings.codebook)
    u = sh[~sh.weighted].set_index(["indicator", "year", "group"]).estimate
    w = sh[sh.weighted].set_index(["indicator", "year", "group"]).estimate
    joined = pd.concat([u, w], axis=1, keys=["u", "w"]).dropna()
    assert len(joined) > 100
    assert np.allclose(joined.u, joined.w)


def test_crosstab_columns_sum_to_100(panel, settings):
    ct = I.compute_crosstab(panel, settings.indicators, settings.codebook)
    sums = ct.groupby(["year", "level"]).estimate.sum()
    assert np.allclose(sums, 1.0)


def test_wilson_edge_cases():
    assert wilson(0, 10, 0.95) == pytest.approx(proportion_confint(0, 10, method="wilson"))
    assert wilson(3, 10, 0.8) == pytest.approx(proportion_confint(3, 10, 0.2, method="wilson"))
    assert wilson(10, 10, 0.95)[1] == pytest.approx(1.0)
    assert all(np.isnan(wilson(0, 0, 0.95)))


@pytest.mark.parametrize(
    "value,unit,point,low,high",
    [
        ("42", "percent", 0.42, 0.41, 0.43),
        ("1/3", "fraction", 1 / 3, 1 / 3 - 0.05, 1 / 3 + 0.05),
        (">1/2", "fraction_lower_bound", None, 0.5, 1.0),
        ("<1/2", "fraction_upper_bound", None, 0.0, 0.5),
        ("5", "out_of_10", 0.5, 0.45, 0.55),
        ("30", "percent_approx", 0.30, 0.25, 0.35),
    ],
)
def test_parse_published(value, unit, point, low, high):
    p = parse_published(value, unit)
    assert p.point == (pytest.approx(point) if point is not None else None)
    assert (p.low, p.high) == pytest.approx((low, high))


def test_parse_published_counts():
    """A bare count is not a share; k of N units (count_of_N) is the share k/N, checked
    with the count_share tolerance."""
    assert parse_published("38", "count") is None
    p = parse_published("13", "count_of_38", {"count_share": 5.0})
    assert p.point == pytest.approx(13 / 38) and p.high == pytest.approx(13 / 38 + 0.05)
    assert p.contains(13 / 38 + 0.049) and not p.contains(13 / 38 + 0.051)


@pytest.mark.parametrize("confidence", [0.5, 0.8, 0.9, 0.95, 0.99, 0.999])
def test_z_value_is_the_normal_quantile(confidence):
    from digikom.stats import z_value
    from scipy.stats import norm

    assert z_value(confidence) == pytest.approx(norm.ppf(0.5 + confidence / 2), abs=1e-12)


@pytest.mark.parametrize("confidence", [0, 1, 1.5, -0.1])
def test_z_value_rejects_a_confidence_outside_0_1(confidence):
    from digikom.stats import z_value

    with pytest.raises(ValueError, match="between 0 and 1"):
        z_value(confidence)


class _Stop(Exception):
    pass


@pytest.mark.parametrize("synthetic", [True, False])
def test_panel_figures_draw_intervals_only_for_estimates(shares, settings, synthetic, monkeypatch):
    """Synthetic data: the size and trend figures show points (no error bars, no bands);
    real microdata: error bars and bands at the configured confidence."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from digikom import indicator_plots as P
    from matplotlib.collections import PolyCollection

    # draw_all asks the data class (digikom.support) whether intervals may be drawn
    asked = []

    def record(*args, confidence):
        asked.append(args[-1])
        assert confidence == settings.indicators["confidence"]
        raise _Stop

    monkeypatch.setattr(P, "plot_size", record)
    with pytest.raises(_Stop):
        P.draw_all(shares, pd.DataFrame(), pd.DataFrame(), settings, "unused", synthetic)
    assert asked == [not synthetic]
    monkeypatch.undo()
    # and the figures follow the flag
    intervals = asked[0]
    conf = settings.indicators["confidence"]
    fig, _ = P.plot_size(shares, settings, "has_strategy", [2018, 2022], intervals, confidence=conf)
    ax = fig.axes[0]
    from matplotlib.container import BarContainer, ErrorbarContainer

    assert any(isinstance(c, BarContainer) for c in ax.containers)  # the bars are drawn
    assert any(isinstance(c, ErrorbarContainer) for c in ax.containers) is intervals
    plt.close(fig)
    theme, inds = next(iter(settings.indicators["figures"]["trends"].items()))
    fig, _ = P.plot_trend(shares, settings, theme, inds, intervals, confidence=conf)
    bands = [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)]
    assert bool(bands) is intervals
    plt.close(fig)


def test_crosstab_variable_comes_from_the_config(panel, settings):
    """crosstab.variable (default from the schema: competence_barrier) names the codebook
    variable whose levels are the columns; another variable with levels works the same, and
    one without levels is a clear error naming the key."""
    import copy

    from digikom.errors import ConfigError

    assert settings.indicators["crosstab"]["variable"] == "competence_barrier"
    codebook = copy.deepcopy(settings.codebook)
    codebook["variables"]["other"] = {
        "levels": {"lowish": {"values": [1, 2, 3]}, "highish": {"values": [4, 5]}}
    }
    rules = copy.deepcopy(settings.indicators)
    rules["crosstab"]["variable"] = "other"
    # the hard-coded variable is gone from the copy: only `other` can give these cells
    pan = panel.assign(other=panel["competence_barrier"], competence_barrier=np.nan)
    ct = I.compute_crosstab(pan, rules, codebook)
    assert set(ct.level) == {"lowish", "highish"}
    r = panel[panel.responded & (panel.year == 2022) & panel.competence_barrier.isin([4, 5])]
    cell = ct[(ct.year == 2022) & (ct.level == "highish") & (ct.status == "not_tried")].iloc[0]
    assert cell.n == len(r)
    assert cell.estimate == pytest.approx((r.tried_recruit == 0).mean())
    rules["crosstab"]["variable"] = "cloud_use"
    with pytest.raises(ConfigError, match="crosstab/variable': 'cloud_use'"):
        I.compute_crosstab(panel, rules, settings.codebook)


def test_size_figure_states_the_confidence_it_is_drawn_at(shares, settings):
    """The interval level of a figure is the confidence passed in, not a module default."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from digikom import indicator_plots as P

    for conf, level in ((0.9, "90"), (0.99, "99")):
        fig, alt = P.plot_size(shares, settings, "has_strategy", [2018], True, confidence=conf)
        plt.close(fig)
        assert f"med {level}\u00a0% konfidensintervall" in alt or f"with {level}%" in alt, alt


def test_indicator_rules_are_the_indicators_without_their_labels(settings, nested_keys):
    """What the computing rules get as a param: every key but the languages' texts."""
    langs = set(settings.config["languages"])
    rules = settings.indicator_rules

    assert not nested_keys(rules) & langs
    assert nested_keys(settings.indicators) - langs == nested_keys(rules)  # nothing else left out
    share = settings.indicators["shares"][0]
    assert rules["shares"][0] == {k: v for k, v in share.items() if k not in langs}
    assert rules["confidence"] == settings.indicators["confidence"]
