"""The one disclosure rule: n below min_cell, or a cell that reveals every member's answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
from digikom.disclosure import SYMBOL, hidden, suppress
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
