"""Simulation (synthetic default): the parameter-recovery study of results/simulation/
recovery.csv in place of model findings. Per model a table of true value, mean estimate,
bias, SD of the estimates vs mean standard error and coverage; the effects of interest in
one table; a sentence naming the terms whose coverage is further from nominal than seed
noise explains (digikom.simulation.far_from_nominal)."""

from __future__ import annotations

import pandas as pd

from ..models.labels import context_settings, effect_label
from ..simulation import far_from_nominal, se_mismatch
from ..text import MISSING
from .model_results import anchor, category_label, term_text


def load(R) -> pd.DataFrame | None:
    return R.data.recovery()


def _num(tx, x, digits: int = 3) -> str:
    return MISSING if pd.isna(x) else tx.num(x, digits)


def _item_label(R, spec: dict, r) -> str:
    if r.kind == "effect":
        label = R.esc(effect_label(r.term, spec, context_settings(R.ctx), R.tx))
        cat = category_label(R, spec, r.category)
        return f"{label}: {cat}" if cat else label
    return term_text(R, r.term, spec)


def coefficient_table(R, spec: dict, rows: pd.DataFrame, seeds: int) -> str:
    tx = R.tx
    planted = rows["planted"].notna().any()
    body = []
    for r in rows.itertuples():
        line = [
            term_text(R, r.term, spec),
            _num(tx, r.true),
            tx(f"simulation.source_{r.true_source}"),
        ]
        line += [_num(tx, r.planted)] if planted else []
        line += [
            _num(tx, r.mean_estimate),
            _num(tx, r.bias),
            _num(tx, r.sd_estimate),
            _num(tx, r.mean_se),
            tx.pct(r.coverage),
        ]
        body.append(line)
    header = [tx("simulation.term"), tx("simulation.true"), tx("simulation.source")]
    header += [tx("simulation.planted")] if planted else []
    header += [
        tx("simulation.mean_estimate"),
        tx("simulation.bias"),
        tx("simulation.sd"),
        tx("simulation.mean_se"),
        tx("simulation.coverage"),
    ]
    align = ["l", "r", "l"] + ["r"] * (len(header) - 3)
    return R.table(
        header,
        body,
        tx("simulation.coef_caption", model=R.label(spec), seeds=seeds),
        f"tbl-sim-{anchor(spec['id'])}",
        align,
    )


def effects_table(R, specs: dict, eff: pd.DataFrame, seeds: int) -> str:
    tx = R.tx
    body = []
    for r in eff.itertuples():
        spec = specs[r.model]
        body.append(
            [
                R.label(spec),
                _item_label(R, spec, r),
                tx.num(100 * r.true, 1),
                tx(f"simulation.source_{r.true_source}"),
                tx.num(100 * r.mean_estimate, 1),
                tx.num(100 * r.bias, 1),
                tx.num(100 * r.sd_estimate, 1),
                tx.num(100 * r.mean_se, 1),
                tx.pct(r.coverage),
            ]
        )
    header = [
        tx("common.model"),
        tx("simulation.effect"),
        tx("simulation.true"),
        tx("simulation.source"),
        tx("simulation.mean_estimate"),
        tx("simulation.bias"),
        tx("simulation.sd"),
        tx("simulation.mean_se"),
        tx("simulation.coverage"),
    ]
    align = ["l", "l", "r", "l"] + ["r"] * 5
    caption = tx("simulation.effects_caption", seeds=seeds)
    return R.table(header, body, caption, "tbl-sim-effects", align)


def _items(R, specs: dict, rows: pd.DataFrame, value) -> str:
    """The rows named per model: "Model: term (value), term (value); Model 2: ..."."""
    tx = R.tx
    groups = []
    for mid, g in rows.groupby("model", sort=False):
        terms = tx("simulation.term_sep").join(
            tx("simulation.far_term", term=_item_label(R, specs[mid], r), value=value(r))
            for r in g.itertuples()
        )
        groups.append(tx("simulation.far_item", model=R.label(specs[mid]), terms=terms))
    return tx("simulation.list_sep").join(groups)


def coverage_sentence(R, specs: dict, rec: pd.DataFrame, seeds: int) -> str:
    tx = R.tx
    far = far_from_nominal(rec, R.confidence)
    if far.empty:
        return tx("simulation.coverage_ok", total=len(rec), level=tx.level, seeds=seeds)
    return tx(
        "simulation.coverage_far",
        n=len(far),
        total=len(rec),
        level=tx.level,
        seeds=seeds,
        terms=_items(R, specs, far, lambda r: tx.pct(r.coverage)),
    )


def se_sentence(R, specs: dict, rec: pd.DataFrame, seeds: int) -> str:
    tx = R.tx
    bad = se_mismatch(rec)
    if bad.empty:
        return tx("simulation.se_ok", seeds=seeds)
    text = tx(
        "simulation.se_far",
        n=len(bad),
        total=len(rec),
        seeds=seeds,
        terms=_items(R, specs, bad, lambda r: tx.num(r.se_ratio, 2)),
    )
    if (bad["se_ratio"] < 1).any():
        text += " " + tx("simulation.calibration_note")
    return text


def fewer_seeds(R, specs: dict, rec: pd.DataFrame, seeds: int) -> str:
    few = rec[rec["n_seeds"] < seeds]
    if few.empty:
        return ""
    tx = R.tx
    return tx(
        "simulation.fewer_seeds",
        seeds=seeds,
        n=len(few),
        terms=_items(R, specs, few, lambda r: tx.num(r.n_seeds)),
    )


def render(R) -> str:
    rec = load(R)
    if not R.synthetic or rec is None or rec.empty:
        return ""
    tx = R.tx
    seeds = int(R.prov["config"]["simulation"]["seeds"])
    scale = int(R.prov["config"]["simulation"]["truth_scale"])
    specs = R.model_specs
    rec = rec[rec["model"].isin(specs)]
    parts = [
        R.heading(1, "simulation.title", "sec-simulation"),
        tx("simulation.intro", seeds=seeds, level=tx.level),
        tx("simulation.truth", scale=tx.num(scale)),
        coverage_sentence(R, specs, rec, seeds),
        se_sentence(R, specs, rec, seeds),
        fewer_seeds(R, specs, rec, seeds),
    ]
    for mid, spec in specs.items():
        rows = rec[(rec["model"] == mid) & (rec["kind"] == "coefficient")]
        if rows.empty:
            continue
        parts.append(
            R.heading(
                2, "model_results.model_heading", f"sec-sim-{anchor(mid)}", name=R.label(spec)
            )
        )
        parts.append(coefficient_table(R, spec, rows, seeds))
    eff = rec[rec["kind"] == "effect"]
    if not eff.empty:
        parts.append(R.heading(2, "simulation.effects", "sec-sim-effects"))
        parts.append(effects_table(R, specs, eff, seeds))
    parts.append(tx("simulation.source_line", seeds=seeds))
    return "\n\n".join(p for p in parts if p) + "\n"
