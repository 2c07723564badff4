"""The one disclosure rule: n below min_cell, or a cell that reveals every member's answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
from digikom.disclosure import (
    SYMBOL,
    hidden,
    protect_composites,
    protect_predictions,
    protect_shares,
    suppress,
    warning_reveals_cell,
)
from digikom.indicators import compute_composites, compute_shares


def test_rule_on_single_cells():
    assert SYMBOL == ":"
    assert hidden(2, 0.5, 3) and not hidden(3, 0.5, 3)
    assert hidden(40, 1.0, 3) and hidden(40, 0.0, 3)  # 100 % / 0 % reveal every answer
    assert not hidden(40, 0.975, 3)
    assert hidden(10, 4.0, 3, kind="mean", conf_low=4.0, conf_high=4.0)  # no spread
    assert not hidden(10, 0.0, 3, kind="mean", conf_low=-0.2, conf_high=0.2)
    assert not hidden(1, 1.0, None)  # synthetic: nothing suppressed


def test_suppress_tables_from_the_panel(panel, settings):
    sh = compute_shares(panel, settings.indicators, settings.codebook)
    # a small group of the real frame where many cells are 0 % or 100 %: municipalities
    # of 50 000+ (about 20 per wave)
    out = suppress(sh, 3)
    share = sh.kind.isin(["share", "distribution"])
    expect = (sh.n < 3) | (share & (sh.estimate.isin([0.0, 1.0])))
    expect |= (sh.kind == "mean") & np.isclose(sh.conf_low, sh.conf_high)
    assert (out.suppressed == expect).all()
    assert out.suppressed.any() and out.loc[out.suppressed, "estimate"].isna().all()
    assert out.loc[~out.suppressed, "estimate"].notna().all()
    raw = compute_composites(panel, settings.indicators)
    comp = suppress(raw, 3)
    reveal = (raw.n < 3) | (raw["count"] == 0) | (raw["count"] == raw.n)
    assert (comp.suppressed == reveal).all() and reveal.any()
    assert comp.loc[comp.suppressed, "count"].isna().all()
    assert not suppress(sh, None).suppressed.any()


def test_empty_table():
    out = suppress(pd.DataFrame(columns=["n", "estimate"]), 3)
    assert "suppressed" in out.columns and out.empty


def test_secondary_suppression_protects_a_hidden_cell_from_subtraction():
    def row(ind, group, n, est, year=2024):
        return dict(indicator=ind, kind="share", year=year, group=group, n=n, estimate=est,
                    conf_low=est, conf_high=est, weighted=False)  # fmt: skip

    sh = pd.DataFrame(
        [
            row("has_strategy", "all", 100, 0.7),
            row("has_strategy", "a", 2, 0.5),  # primary: n < 3
            row("has_strategy", "b", 40, 0.6),
            row("has_strategy", "c", 58, 0.8),
            row("no_strategy", "all", 100, 0.3),
            row("no_strategy", "a", 2, 0.5),
            row("no_strategy", "b", 40, 0.4),
            row("no_strategy", "c", 58, 0.2),
            row("cloud_use", "all", 100, 0.5),
            row("cloud_use", "a", 2, 0.5),
            row("cloud_use", "b", 40, 0.4),
            row("cloud_use", "c", 58, 0.6),
            row("eprocurement", "all", 100, 0.5),
            row("eprocurement", "b", 40, 1.0),  # primary: 100 %
            row("eprocurement", "c", 60, 0.2),
            row("response_rate", "b", 40, 1.0),  # the frame: never hidden
        ]
    )
    hide = protect_shares(sh, 3, {"no_strategy": "has_strategy"})
    got = set(zip(sh.indicator[hide], sh.group[hide], strict=True))
    # "a" is hidden; "all" is shown, so the smallest other group ("b") is hidden too
    assert {("has_strategy", "a"), ("has_strategy", "b"), ("no_strategy", "a")} <= got
    assert ("has_strategy", "c") not in got and ("has_strategy", "all") not in got
    assert {("eprocurement", "b"), ("eprocurement", "c")} <= got
    assert ("response_rate", "b") not in got
    assert not protect_shares(sh, None).any()
    comp = pd.DataFrame(
        [dict(composite="p", year=2024, group="all", category=c, n=50, count=k, estimate=k / 50)
         for c, k in (("both", 0), ("x_only", 10), ("y_only", 15), ("neither", 25))]
    )  # fmt: skip
    hide = protect_composites(comp, 3)
    # the empty class (0 %) is hidden, and the next-smallest class with it (100 % - rest)
    assert hide.sum() == 2 and hide.iloc[0]


def test_model_outputs_pass_disclosure():
    pred = pd.DataFrame(
        dict(
            quantity=["prediction", "prediction", "prediction", "ame"],
            size_group=["lt2k", "ge50k", "all", "all"],
            estimate=[0.45, 0.999, 0.70, 0.001],
            n_obs=[76, 19, 340, 340],
        )
    )
    assert protect_predictions(pred, 3).tolist() == [False, True, False, False]
    assert protect_predictions(pred.assign(n_obs=2), 3).tolist() == [True, True, True, False]
    assert not protect_predictions(pred, None).any()
    # the warning models/design.py writes on separation names a cell and its answer
    from digikom.models.design import separation_terms

    X = pd.DataFrame({"Intercept": 1.0, "big": [0, 0, 1, 1, 0, 1]})
    y = np.array([0, 1, 1, 1, 0, 1])
    warns = list(separation_terms(X, y, "logit").values())
    assert warns and all(warning_reveals_cell(w) for w in warns), warns
    assert not warning_reveals_cell("the model did not converge after 100 iterations")
