"""Disclosure control of what leaves the office (digikom.protection): the audit, the
secondary suppression it drives, and an outside attacker who reads only the public files
of a microdata run with planted small and 0 %/100 % cells."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from digikom.disclosure import hidden as primary_rule
from digikom.indicators import compute_composites, compute_crosstab, compute_shares
from digikom.maps import spec as MS
from digikom.maps import tables as MT
from digikom.panel import read_panel
from digikom.protection import audit as A
from digikom.protection.models import categorical_only
from digikom.protection.public import protect_tables, publish
from scipy.optimize import Bounds, LinearConstraint, milp
from workflow_utils import reader_text

PROTECTION = {"level": 0.1, "mean_level": 1.0, "decimals": 3}
ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- the audit
def _family(counts, sizes, weights=None):
    """Groups of one binary variable: atoms (yes, no) per group, the group shares, the
    unweighted total and, with ``weights``, the weighted total."""
    fam = A.Family("test")
    yes = {}
    for g, (k, n) in enumerate(zip(counts, sizes, strict=True)):
        y, no = fam.atom(k, 0, n), fam.atom(n - k, 0, n)
        fam.equalities.append(({y: 1.0, no: 1.0}, n))
        yes[g] = y
        fam.add_cell(A.Cell(("g", g), {y: 1.0}, n, k / n, n, unit=("group", g)))
    total = sum(sizes)
    fam.add_cell(
        A.Cell(("all",), dict.fromkeys(yes.values(), 1.0), total, sum(counts) / total, total,
               margin=True, unit=("group", "all"))
    )  # fmt: skip
    if weights:
        coef = {yes[g]: w for g, w in enumerate(weights)}
        denom = sum(w * n for w, n in zip(weights, sizes, strict=True))
        value = sum(w * k for w, k in zip(weights, counts, strict=True)) / denom
        fam.add_cell(A.Cell(("all", "w"), coef, denom, value, total, margin=True,
                            unit=("group", "all")))  # fmt: skip
    return fam


def test_one_hidden_cell_beside_a_shown_total_is_pinned_and_a_second_one_frees_it():
    fam = _family([20, 30, 10], [20, 60, 40])  # group 0 is 100 %
    iv = A.intervals(fam, {0}, half_unit=0.0005)
    assert iv[0] == pytest.approx((1.0, 1.0))  # the total gives it away exactly
    hid, iv = A.protect(fam, {0}, level=0.1, mean_level=1.0, half_unit=0.0005)
    assert hid == {0, 2}  # the cheaper of the two others (fewer respondents)
    # 20 + 10 = 30 between them: group 0 anywhere from 0 to 20 of 20, group 2 10 to 30 of 40
    assert iv[0] == pytest.approx((0.0, 1.0)) and iv[2] == pytest.approx((0.25, 0.75))


def test_a_weighted_total_is_a_second_equation_that_a_third_hidden_group_answers():
    # weights differ by group (frame count / respondents): unweighted and weighted totals
    # are two equations, so two hidden groups are pinned and a third is needed
    fam = _family([20, 30, 10, 25], [20, 60, 40, 50], weights=[1.0, 1.5, 2.5, 1.2])
    two = A.intervals(fam, {0, 2}, half_unit=0.0005)
    assert two[0][1] - two[0][0] < 0.1
    hid, iv = A.protect(fam, {0}, level=0.1, mean_level=1.0, half_unit=0.0005)
    # three groups or more, and both totals stay shown
    assert len(hid) >= 3 and {4, 5}.isdisjoint(hid)
    assert all(hi - lo >= 0.1 for lo, hi in iv.values())


def test_a_cell_that_cannot_be_protected_hides_every_eligible_cell():
    fam = _family([3, 30], [3, 60])
    hid, iv = A.protect(fam, {0}, level=0.1, mean_level=1.0, half_unit=0.0005, eligible={0})
    assert hid == {0} and iv[0] == pytest.approx((1.0, 1.0))  # reported, not hidden away
    hid, iv = A.protect(fam, {0}, level=0.1, mean_level=1.0, half_unit=0.0005)
    assert min(hi - lo for lo, hi in iv.values()) >= 0.1


def test_inconsistent_cells_are_an_error_naming_the_family_and_cell():
    fam = _family([20, 30], [20, 60])
    fam.cells[2].value = 0.9  # the total no longer matches its parts
    with pytest.raises(A.AuditError, match=r"test, cell \('g', 0\)"):
        A.intervals(fam, {0}, half_unit=0.0005)


# --------------------------------------------------------------------------- on a panel
def sensitive(sh: pd.DataFrame) -> np.ndarray:
    """The cells of an (internal) shares table that the primary rule hides: fewer than 3
    respondents, or 0 % / 100 % (a mean with no spread); response rates never."""
    rule = [
        primary_rule(n, e, 3, k, lo, hi)
        for n, e, k, lo, hi in zip(
            sh.n, sh.estimate, sh.kind, sh.conf_low, sh.conf_high, strict=True
        )
    ]
    return np.array(rule, dtype=bool) & ~sh.indicator.str.startswith("response_rate").to_numpy()


def planted(panel: pd.DataFrame) -> pd.DataFrame:
    """The panel with planted sensitive cells: every municipality of 50 000+ has a strategy
    in 2018 (100 %), none of 20 000-49 999 uses cloud services in 2022 (0 %)."""
    p = panel.copy()
    p.loc[p.responded & p.year.eq(2018) & p.size_group.eq("ge50k"), "has_strategy"] = 1
    p.loc[p.responded & p.year.eq(2022) & p.size_group.eq("20k_50k"), "cloud_use"] = 0
    return p


@pytest.fixture(scope="module")
def protected(panel, settings):
    from digikom.evidence_tables import comparison_pairs, paired_change

    p = planted(panel)
    rules, codebook = settings.indicators, settings.codebook
    maps = MS.rule_settings(MS.map_settings(settings))
    names = {f"{i:02d}": f"c{i}" for i in range(100)}
    counties = pd.concat(
        [MT.county_values(p, s, maps["wave"], maps["reference_wave"], names) for s in maps["subjects"]],
        ignore_index=True,
    )  # fmt: skip
    counties = counties[counties.fylkesnummer.isin(set(p.kommunenr_2024.str[:2]))]
    cmp = settings.comparison
    pairs = comparison_pairs(settings.waves, [cmp["from"], cmp["to"]])
    tables = {
        "shares": compute_shares(p, rules, codebook),
        "composites": compute_composites(p, rules),
        "crosstab": compute_crosstab(p, rules, codebook),
        "changes": paired_change(p, rules, pairs, rules["confidence"]),
        "counties": counties,
    }
    hidden, audit = protect_tables(
        p, tables, rules=rules, codebook=codebook, maps=maps, protection=PROTECTION,
        min_cell=3, disclosure_on=True,
    )  # fmt: skip
    public = publish(tables, hidden, 3, rules["crosstab"]["id"])
    return p, tables, hidden, audit, public


def test_every_sensitive_cell_is_hidden_in_every_public_table(protected):
    p, tables, hidden, audit, public = protected
    sh = tables["shares"]
    sens = sh[sensitive(sh)]
    # the planted cells are among them
    keys = set(zip(sens.indicator, sens.year, sens.group, strict=True))
    assert {("has_strategy", 2018, "ge50k"), ("cloud_use", 2022, "20k_50k")} <= keys
    pub = public["shares"].set_index(["indicator", "wave", "group", "weighted"])
    for r in sens.itertuples():
        row = pub.loc[(r.indicator, r.year, r.group, r.weighted)]
        assert row.status == ":" and pd.isna(row.value) and pd.isna(row.n)
    # every secondary suppression is named by the audit, with its interval
    assert set(audit.reason) == {"primary", "secondary"}
    assert len(audit) == len(hidden)


def test_the_audit_leaves_every_hidden_cell_the_protection_level(protected):
    _, _, _, audit, _ = protected
    assert (audit.width >= audit.required - 1e-9).all(), audit[audit.width < audit.required]


def test_secondary_suppression_hides_few_cells(protected):
    """Information loss: the national totals of the planted indicators stay shown."""
    _, _, _, _, public = protected
    sh = public["shares"]
    alls = sh[sh.group.eq("all") & sh.indicator.isin(["has_strategy", "cloud_use"])]
    assert alls.status.eq("").all()
    assert sh.status.eq(":").mean() < 0.3


# --------------------------------------------------------------------------- the attacker
def attacker_intervals(public: pd.DataFrame, n_true: dict, weights: dict, half: float):
    """An outsider's own audit, written apart from digikom.protection: for each indicator
    and wave of a public shares table, the smallest and largest value of each hidden
    size-group cell given the shown cells, the unweighted total and the weighted total
    (weights: frame count / respondents, both public), integer counts, each published value
    known to ``half``. ``n_true``: respondents per (indicator, wave, group), which the
    outsider is assumed to know."""
    out = {}
    for (ind, wave), d in public.groupby(["indicator", "wave"]):
        groups = d[d.group.ne("all") & ~d.weighted]
        hid = groups[groups.status.eq(":")]
        if hid.empty:
            continue
        n = {g: n_true[(ind, wave, g)] for g in groups.group}
        var = list(hid.group)
        shown = groups[groups.status.ne(":")]
        known = {g: round(v * n[g]) for g, v in zip(shown.group, shown.value, strict=True)}
        rows, lo, hi = [], [], []
        for weighted in (False, True):
            tot = d[d.group.eq("all") & d.weighted.eq(weighted)]
            if tot.empty or tot.status.iloc[0] == ":":
                continue
            w = {g: weights[(wave, g)] if weighted else 1.0 for g in n}
            denom = sum(w[g] * n[g] for g in n)
            rest = sum(w[g] * k for g, k in known.items())
            v = float(tot.value.iloc[0])
            rows.append([w[g] for g in var])
            lo.append((v - half) * denom - rest)
            hi.append((v + half) * denom - rest)
        cons = [LinearConstraint(np.array(rows), lo, hi)] if rows else []
        bounds = Bounds(np.zeros(len(var)), np.array([n[g] for g in var], dtype=float))
        for i, g in enumerate(var):
            c = np.zeros(len(var))
            c[i] = 1.0 / n[g]
            ends = []
            for sign in (1, -1):
                res = milp(sign * c, constraints=cons, bounds=bounds, integrality=np.ones(len(var)))
                assert res.status == 0, (ind, wave, g, res.message)
                ends.append(sign * res.fun)
            out[(ind, wave, g)] = tuple(ends)
    return out


def test_an_outside_lp_attack_on_the_published_totals_narrows_no_hidden_cell(protected):
    p, tables, _, _, public = protected
    resp = p[p.responded]
    sh = tables["shares"]
    n_true = {(r.indicator, r.year, r.group): r.n for r in sh[~sh.weighted].itertuples()}
    weights = resp.groupby(["year", "size_group"], observed=True)["weight"].first()
    weights = {(int(y), str(g)): float(w) for (y, g), w in weights.items()}
    shares = public["shares"]
    shares = shares[shares.kind.isin(["share", "distribution"])]
    got = attacker_intervals(shares, n_true, weights, half=0.0005)
    assert got, "the planted cells hide size-group cells"
    narrow = {k: v for k, v in got.items() if v[1] - v[0] < 0.1 - 1e-9}
    assert not narrow


def test_no_public_row_restates_a_hidden_cell(protected):
    _, _, hidden, _, public = protected
    cells = {(k[1], k[2], k[3]) for k in hidden if k[0] == "shares"}
    sh = public["shares"]
    for r in sh.itertuples():  # weighted copies of a hidden cell are hidden too
        if (r.indicator, r.wave, r.group) in cells:
            assert r.status == ":"
    ch = public["changes"]
    for r in ch.itertuples():  # a change whose level in either wave is hidden
        if (r.indicator, r.wave, r.group) in cells or (r.indicator, r.wave_from, r.group) in cells:
            assert r.status == ":" and pd.isna(r.value_from) and pd.isna(r.value_to)


# --------------------------------------------------------------------------- a whole run
@pytest.mark.slow
def test_microdata_run_publishes_only_protected_tables(built_microdata):
    """The microdata scenario (planted cells: tests/conftest.py, built_microdata): what
    readers get is the reports and results/public/; every sensitive cell is hidden there,
    and an outsider's LP attack on the published totals narrows no hidden cell below 10
    percentage points."""
    wd = built_microdata
    assert sorted(f.name for f in (wd / "results/report").iterdir()) == [
        "report.nb.html", "report.nb.pdf",
    ]  # fmt: skip
    tables = {f.stem for f in (wd / "results/public/tables").glob("*.csv")}
    assert tables == {"shares", "composites", "crosstab", "changes", "counties",
                      "predictions", "coefficients"}  # fmt: skip
    pan = read_panel(wd / "results/data/panel.csv")
    sh = pd.read_csv(wd / "results/public/tables/shares.csv", dtype={"group": str, "status": str},
                     keep_default_na=False, na_values=[""])  # fmt: skip
    assert list(sh.columns[:11]) == ["table", "indicator", "kind", "theme", "wave", "group",
                                     "weighted", "n", "value", "conf_low", "conf_high"]  # fmt: skip
    internal = pd.read_csv(wd / "results/indicators/shares.csv")
    sens = internal[sensitive(internal)]
    keys = set(zip(sens.indicator, sens.year, sens.group, strict=True))
    assert {("has_strategy", 2018, "ge50k"), ("cloud_use", 2022, "20k_50k")} <= keys
    assert ("cloud_use", 2024, "ge50k") in keys  # 2 respondents
    pub = sh.set_index(["indicator", "wave", "group", "weighted"])
    for r in sens.itertuples():
        row = pub.loc[(r.indicator, r.year, r.group, r.weighted)]
        assert row.status == ":" and pd.isna(row.value) and pd.isna(row.n)
    # the attacker
    resp = pan[pan.responded]
    n_true = {
        (r.indicator, r.year, r.group): r.n for r in internal[~internal.weighted].itertuples()
    }
    weights = resp.groupby(["year", "size_group"], observed=True)["weight"].first()
    weights = {(int(y), str(g)): float(w) for (y, g), w in weights.items()}
    got = attacker_intervals(sh[sh.kind.isin(["share", "distribution"])], n_true, weights, 0.0005)
    assert {("has_strategy", 2018, "ge50k"), ("cloud_use", 2022, "20k_50k")} <= set(got)
    assert all(hi - lo >= 0.1 - 1e-9 for lo, hi in got.values())
    # model outputs: a prediction for a hidden cell is hidden (the strategy model's
    # outcome is the planted has_strategy), and a model of categorical terms only restates
    # the cells, so its coefficients go with any hidden prediction
    pred = pd.read_csv(wd / "results/public/tables/predictions.csv", dtype={"group": str, "status": str},
                       keep_default_na=False, na_values=[""])  # fmt: skip
    strat = pred[pred.model.eq("strategy") & pred.wave.eq(2018) & pred.group.eq("ge50k")]
    assert len(strat) and strat.status.eq(":").all() and strat.value.isna().all()
    coef = pd.read_csv(wd / "results/public/tables/coefficients.csv", keep_default_na=False,
                       na_values=[""])  # fmt: skip
    specs = yaml.safe_load((wd / "config/models.yaml").read_text(encoding="utf-8"))["models"]
    for spec in specs:
        hidden_pred = pred[pred.model.eq(spec["id"])].status.eq(":").any()
        hidden_coef = coef[coef.model.eq(spec["id"])].status.eq(":")
        assert (
            hidden_coef.all() if categorical_only(spec) and hidden_pred else not hidden_coef.any()
        )
    # nothing public says what every unit of a cell answered
    text = reader_text(wd / "results/report/report.nb.html")
    assert not re.search(r"all \d+ observations|highest outcome value", text)
    for f in itertools.chain(
        (wd / "results/public").rglob("*.csv"), [wd / "results/report/report.nb.html"]
    ):
        assert "observations with" not in f.read_text(encoding="utf-8")
