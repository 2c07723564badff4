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


def test_suppress_a_hand_made_table():
    """Each row a case of the rule, its verdict checked by hand (min_cell 3)."""
    rows = [  # kind, n, estimate, conf_low, conf_high, hidden?
        ("share", 2, 0.5, 0.1, 0.9, True),  # n < 3
        ("share", 3, 0.5, 0.1, 0.9, False),  # n = 3 is enough
        ("share", 40, 1.0, 0.9, 1.0, True),  # 100 %: every member said yes
        ("share", 40, 0.0, 0.0, 0.1, True),  # 0 %: every member said no
        ("share", 40, 0.975, 0.87, 1.0, False),  # one said no
        ("distribution", 12, 1.0, 0.75, 1.0, True),  # one value for all
        ("distribution", 12, 0.25, 0.09, 0.53, False),
        ("mean", 10, 4.0, 4.0, 4.0, True),  # no spread: all gave 4
        ("mean", 10, 1.0, 0.6, 1.4, False),  # a mean of 1 is not "100 %"
        ("mean", 10, 0.0, -0.2, 0.2, False),  # nor a mean of 0
        ("mean", 2, 3.5, 2.0, 5.0, True),  # n < 3
        ("share", 10, np.nan, np.nan, np.nan, False),  # no value: nothing to reveal
    ]
    df = pd.DataFrame(rows, columns=["kind", "n", "estimate", "conf_low", "conf_high", "want"])
    out = suppress(df.drop(columns="want"), 3)
    assert out.suppressed.tolist() == df.want.tolist()
    assert out.loc[out.suppressed, ["estimate", "conf_low", "conf_high"]].isna().all(axis=None)
    kept = ~df.want
    pd.testing.assert_frame_equal(
        out.loc[kept, ["n", "estimate", "conf_low", "conf_high"]],
        df.loc[kept, ["n", "estimate", "conf_low", "conf_high"]].astype({"n": int}),
        check_dtype=False,
    )
    # composite cells (counts of n): 0 of n and n of n reveal every answer
    comp = pd.DataFrame({"n": [50, 50, 50, 2, 3], "count": [0, 50, 20, 1, 1]}).assign(
        estimate=lambda d: d["count"] / d.n
    )
    out = suppress(comp, 3)
    assert out.suppressed.tolist() == [True, True, False, True, False]
    assert out["count"].tolist()[2::2] == [20, 1] and out["count"][:2].isna().all()
    assert not suppress(df.drop(columns="want"), None).suppressed.any()  # synthetic


def test_suppress_tables_from_the_panel(panel, settings):
    """The real tables: of the 50 000+ group (about 20 municipalities per wave) many cells
    are 0 % or 100 %, so some cells are hidden and blanked, and the rest keep their
    values; synthetic (min_cell None) hides nothing."""
    sh = compute_shares(panel, settings.indicators, settings.codebook)
    out = suppress(sh, 3)
    assert out.suppressed.any() and not out.suppressed.all()
    assert out.loc[out.suppressed, "estimate"].isna().all()
    assert out.loc[~out.suppressed, "estimate"].notna().all()
    assert out.loc[~out.suppressed, "estimate"].equals(sh.loc[~out.suppressed, "estimate"])
    big = out[(out.group == "ge50k") & (out.kind == "share")]
    assert big.suppressed.any()
    assert not suppress(sh, None).suppressed.any()
    raw = compute_composites(panel, settings.indicators)
    comp = suppress(raw, 3)
    assert comp.suppressed.any() and comp.loc[comp.suppressed, "count"].isna().all()


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
