"""Simulation (synthetic default): the simulation study of results/simulation/recovery.csv
(docs/simulation.md) in place of model findings. A summary table per scenario and model
(coverage and SD / SE ranges, departures beyond 3 Monte Carlo SEs, failed fits), one
sentence per scenario naming the departures, and per model a table of every term in every
scenario: true value, bias with its Monte Carlo SE, empirical and model SE, coverage with
its Monte Carlo SE and the failed fits."""

from __future__ import annotations

import pandas as pd

from ..text import MISSING
from .model_results import anchor, term_text

FLAGS = ("bias_flag", "coverage_flag", "se_flag")
# a scenario with more departures than this gives their count, not their names
MAX_NAMED = 8


def load(R) -> pd.DataFrame | None:
    return R.data.recovery()


def _num(tx, x, digits: int = 3) -> str:
    return MISSING if pd.isna(x) else tx.num(x, digits)


def _flagged(rec: pd.DataFrame) -> pd.Series:
    return rec[list(FLAGS)].astype(str).apply(lambda s: s.str.lower().eq("true")).any(axis=1)


def _range(tx, s: pd.Series, fmt) -> str:
    s = s.dropna()
    return MISSING if s.empty else tx("simulation.range", low=fmt(s.min()), high=fmt(s.max()))


def summary_table(R, specs: dict, rec: pd.DataFrame, seeds: int) -> str:
    tx = R.tx
    body = []
    for (scenario, mid), g in rec.groupby(["scenario", "model"], sort=False):
        body.append(
            [
                tx(f"simulation.scenario_{scenario}"),
                R.label(specs[mid]),
                tx.num(len(g)),
                _range(tx, g["coverage"], tx.pct),
                _range(tx, g["se_ratio"], lambda x: tx.num(x, 2)),
                tx.num(int(_flagged(g).sum())),
                tx.num(int(g["n_failed"].max())),
            ]
        )
    header = [
        tx("simulation.scenario"),
        tx("common.model"),
        tx("simulation.terms"),
        tx("simulation.coverage_range"),
        tx("simulation.se_ratio"),
        tx("simulation.departures"),
        tx("simulation.failed"),
    ]
    caption = tx("simulation.summary_caption", seeds=seeds)
    return R.table(header, body, caption, "tbl-sim-summary", ["l", "l"] + ["r"] * 5)


def model_table(R, spec: dict, rows: pd.DataFrame, seeds: int) -> str:
    tx = R.tx
    body = []
    for r in rows.itertuples():
        body.append(
            [
                term_text(R, r.term, spec),
                tx(f"simulation.scenario_{r.scenario}"),
                _num(tx, r.true),
                tx("simulation.with_mcse", value=_num(tx, r.bias), mcse=_num(tx, r.bias_mcse)),
                _num(tx, r.sd_estimate),
                _num(tx, r.mean_se),
                tx(
                    "simulation.with_mcse",
                    value=MISSING if pd.isna(r.coverage) else tx.pct(r.coverage),
                    mcse=_num(tx, r.coverage_mcse),
                ),
                tx.num(int(r.n_failed)),
            ]
        )
    header = [
        tx("simulation.term"),
        tx("simulation.scenario"),
        tx("simulation.true"),
        tx("simulation.bias"),
        tx("simulation.sd"),
        tx("simulation.mean_se"),
        tx("simulation.coverage"),
        tx("simulation.failed"),
    ]
    return R.table(
        header,
        body,
        tx("simulation.coef_caption", model=R.label(spec), seeds=seeds),
        f"tbl-sim-{anchor(spec['id'])}",
        ["l", "l"] + ["r"] * 6,
    )


def scenario_sentence(R, specs: dict, rec: pd.DataFrame, scenario: str, seeds: int) -> str:
    tx = R.tx
    g = rec[rec["scenario"] == scenario]
    if g.empty:
        return ""
    bad = g[_flagged(g)]
    name = tx(f"simulation.scenario_{scenario}")
    if bad.empty:
        return tx("simulation.scenario_ok", scenario=name, total=len(g), seeds=seeds)
    if len(bad) > MAX_NAMED:
        return tx(
            "simulation.scenario_far_many", scenario=name, n=len(bad), total=len(g), seeds=seeds
        )
    items = tx("simulation.list_sep").join(
        tx(
            "simulation.far_item",
            model=R.label(specs[r.model]),
            terms=term_text(R, r.term, specs[r.model]),
        )
        for r in bad.itertuples()
    )
    return tx(
        "simulation.scenario_far", scenario=name, n=len(bad), total=len(g), seeds=seeds,
        terms=items,
    )  # fmt: skip


def render(R) -> str:
    rec = load(R)
    if not R.synthetic or rec is None or rec.empty:
        return ""
    tx = R.tx
    seeds = int(R.prov["config"]["simulation"]["seeds"])
    specs = R.model_specs
    rec = rec[rec["model"].isin(specs)]
    scenarios = list(dict.fromkeys(rec["scenario"]))
    parts = [
        R.heading(1, "simulation.title", "sec-simulation"),
        tx("simulation.intro", seeds=seeds, level=tx.level),
        tx("simulation.scenarios"),
        tx("simulation.measures", level=tx.level),
        summary_table(R, specs, rec, seeds),
        *(scenario_sentence(R, specs, rec, s, seeds) for s in scenarios),
    ]
    for mid, spec in specs.items():
        rows = rec[rec["model"] == mid]
        if rows.empty:
            continue
        parts.append(
            R.heading(
                2, "model_results.model_heading", f"sec-sim-{anchor(mid)}", name=R.label(spec)
            )
        )
        order = {s: i for i, s in enumerate(scenarios)}
        rows = rows.assign(_o=rows["scenario"].map(order)).sort_values(
            ["term", "_o"], kind="stable"
        )
        rows = rows.set_index("term").loc[list(dict.fromkeys(rec.loc[rec.model == mid, "term"]))]
        parts.append(model_table(R, spec, rows.reset_index(), seeds))
    parts.append(tx("simulation.source_line", seeds=seeds))
    return "\n\n".join(p for p in parts if p) + "\n"
