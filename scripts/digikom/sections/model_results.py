"""Models: for each configured model its fit, coefficients and figure; predicted shares,
average marginal effects of each model's effects of interest, robustness and warnings."""

from __future__ import annotations

import pandas as pd

from .. import disclosure
from ..models.labels import context_settings, term_label
from ..text import MISSING


def term_text(R, term: str, spec: dict) -> str:
    """A model term in readers' words (codebook and config labels, reference levels)."""
    return R.esc(term_label(term, spec, context_settings(R.ctx), R.tx))


def model_json(R, mid: str) -> dict:
    return R.data.model_json(mid)


def anchor(mid: str) -> str:
    return mid.replace("_", "-")


def coefficient_table(R, spec: dict, coefs: pd.DataFrame) -> list[str]:
    tx = R.tx
    c = coefs[coefs.model == spec["id"]]
    out = []
    if len(c) > 14:  # full interactions: main terms here, all of them in the figure
        inter = c.term.astype(str).str.contains(":")
        out.append(tx("model_results.interactions_note", k=int(inter.sum())))
        c = c[~inter]
    if c.empty:
        return out
    rows = [
        [
            term_text(R, r.term, spec),
            tx.num(r.estimate, 3),
            tx.num(r.std_error, 3),
            tx.range(r.conf_low, r.conf_high, 3),
        ]
        for r in c.itertuples()
    ]
    header = [
        tx("model_results.term"),
        tx("common.estimate"),
        tx("model_results.se"),
        tx("common.ci_head", level=tx.level),
    ]
    out.append(
        R.table(
            header,
            rows,
            tx("model_results.coef_caption", model=R.label(spec)),
            f"tbl-model-{anchor(spec['id'])}",
        )
    )
    return out


def one_model(R, spec: dict, coefs: pd.DataFrame) -> list[str]:
    tx = R.tx
    mid = spec["id"]
    js = model_json(R, mid)
    parts = [
        R.heading(2, "model_results.model_heading", f"sec-model-{anchor(mid)}", name=R.label(spec))
    ]
    n = js.get("n_obs")
    parts.append(
        tx(
            f"model_results.fit_{spec['family']}",
            outcome=R.var_label(spec["outcome"]),
            n=tx.num(n) if n else MISSING,
            r2=tx.num(js.get("pseudo_r2_mcfadden") or float("nan"), 3),
        )
    )
    if js.get("status") == "failed":
        parts.append(tx("model_results.failed", why=R.esc("; ".join(js.get("warnings", [])))))
        return parts
    parts += coefficient_table(R, spec, coefs)
    parts.append(
        R.fig(
            f"model_{mid}_coef",
            tx("model_results.coef_fig", model=R.label(spec), level=tx.level),
            f"fig-model-{anchor(mid)}",
        )
    )
    return parts


def ame_table(R) -> str:
    tx = R.tx
    d = R.model_table("predictions")
    if d is None:
        return ""
    d = d[d.quantity == "ame"]
    if d.empty:
        return ""
    specs = R.model_specs
    from .findings import effect_label

    rows = []
    for r in d.itertuples():
        spec = specs.get(r.model, {"id": r.model})
        rows.append(
            [
                R.label(spec) if r.model in specs else R.esc(r.model),
                R.esc(effect_label(R, spec, r.effect)),
                category_label(R, spec, r.category),
                tx.num(100 * r.estimate, 1),
                tx.range(r.conf_low, r.conf_high, 1, 100),
            ]
        )
    header = [
        tx("common.model"),
        tx("model_results.effect"),
        tx("model_results.category"),
        tx("model_results.ame_pp"),
        tx("common.ci_head", level=tx.level),
    ]
    return R.table(header, rows, tx("model_results.ame_caption"), "tbl-ame")


def category_label(R, spec: dict, category) -> str:
    """An ordinal outcome's level by its codebook label (the CSV may hold 1.0 for '1')."""
    if category is None or (isinstance(category, float) and pd.isna(category)) or category == "":
        return ""
    var = R.codebook["variables"].get(spec.get("outcome", ""), {})
    values = {str(k): v for k, v in (var.get("values") or {}).items()}
    key = str(category)
    if key.endswith(".0"):
        key = key[:-2]
    return R.label(values[key]) if key in values else R.esc(category)


def bootstrap_table(R) -> str:
    """Cluster-bootstrap intervals of the predictions (when bootstrap.replicates > 0)
    beside the analytic ones, for all municipalities by wave."""
    tx = R.tx
    boot = R.data.bootstrap_predictions()
    pred = R.model_table("predictions")
    if boot is None or pred is None:
        return ""
    # a hidden prediction (disclosure control, rule public_model) has no bootstrap row
    pred = pred[(pred.quantity == "prediction") & ~pred.suppressed.astype(bool)]
    keys = ["model", "year", "size_group"]
    d = boot[boot.size_group == "all"].merge(
        pred[[*keys, "conf_low", "conf_high"]], on=keys, suffixes=("", "_analytic")
    )
    if d.empty:
        return ""
    specs = R.model_specs
    rows = [
        [
            R.label(specs[r.model]) if r.model in specs else R.esc(r.model),
            str(int(r.year)),
            tx.pct(r.estimate, 1),
            tx.range(r.conf_low_analytic, r.conf_high_analytic, 1, 100),
            tx.range(r.conf_low, r.conf_high, 1, 100),
            tx.num(r.n_replicates),
        ]
        for r in d.sort_values(["model", "year"]).itertuples()
    ]
    header = [
        tx("common.model"),
        tx("common.year"),
        tx("model_results.predicted"),
        tx("model_results.ci_analytic", level=tx.level),
        tx("model_results.ci_bootstrap", level=tx.level),
        tx("model_results.replicates"),
    ]
    return "\n\n".join(
        [
            tx("model_results.bootstrap_text"),
            R.table(header, rows, tx("model_results.bootstrap_caption"), "tbl-bootstrap"),
        ]
    )


def robustness(R) -> str:
    tx = R.tx
    r = R.data.robustness()
    if r is None or r.empty:
        return ""
    t = r.term.astype(str)
    d = r[(t != "") & (t != "nan") & (t != "Intercept") & ~t.str.contains(r"C\(|:", regex=True)]
    specs = R.model_specs
    variants = {v["id"]: v for v in R.ctx["robustness"].get("variants", [])}
    rows = []
    previous = None
    for x in d.itertuples():
        main = x.variant == "main"
        model = R.label(specs[x.model]) if x.model in specs else R.esc(x.model)
        model, previous = ("" if model == previous else model), model
        same = (
            ""
            if main
            else tx(
                "common.within" if str(x.same_sign_as_main).lower() == "true" else "common.outside"
            )
        )
        rows.append(
            [
                model,
                tx("model_results.main")
                if main
                else R.label(variants[x.variant])
                if x.variant in variants
                else R.esc(x.variant),
                term_text(R, x.term, specs.get(x.model, {})),
                tx.num(x.estimate, 3),
                tx.range(x.conf_low, x.conf_high, 3),
                same,
                "" if main or pd.isna(x.ratio_to_main) else tx.num(x.ratio_to_main, 2),
            ]
        )
    header = [
        tx("common.model"),
        tx("model_results.variant"),
        tx("model_results.term"),
        tx("common.estimate"),
        tx("common.ci_head", level=tx.level),
        tx("model_results.same_sign"),
        tx("model_results.ratio"),
    ]
    return "\n\n".join(
        [
            R.heading(2, "model_results.robustness", "sec-robustness"),
            tx("model_results.robustness_text"),
            R.table(
                header,
                rows,
                tx("model_results.robustness_caption"),
                "tbl-robustness",
                ["l", "l", "l", "r", "r", "c", "r"],
            ),
        ]
    )


def warning_text(R, text: str, spec: dict) -> str:
    """A fitting warning in readers' words (the raw text is in the model's JSON and log)."""
    from ..models.reader_warnings import reader_warning

    return R.esc(reader_warning(text, spec, context_settings(R.ctx), R.tx))


def warnings(R) -> str:
    tx = R.tx
    rows = []
    for m in R.models:
        js = model_json(R, m["id"])
        for w in js.get("warnings", []):
            status = js.get("status", "")
            key = f"model_results.status_{status}"
            # disclosure control (real microdata): a warning about a cell of units
            if R.support.disclosure and disclosure.warning_reveals_cell(w):
                text = tx("model_results.warning_disclosed")
            else:
                text = warning_text(R, w, m)
            rows.append([R.label(m), tx(key) if tx.has(key) else R.esc(status), text])
    head = R.heading(2, "model_results.warnings", "sec-model-warnings")
    if not rows:
        return head + "\n" + tx("model_results.no_warnings")
    header = [tx("common.model"), tx("model_results.status"), tx("model_results.warning")]
    return (
        head
        + "\n"
        + R.table(
            header,
            rows,
            tx("model_results.warnings_caption"),
            "tbl-model-warnings",
            ["l", "l", "l"],
        )
    )


def render(R) -> str:
    tx = R.tx
    coefs = R.model_table("coefficients")
    if coefs is None:
        coefs = pd.DataFrame(columns=["model", "term"])
    parts = [R.heading(1, "model_results.title", "sec-models"), tx("model_results.intro")]
    for spec in R.models:
        parts += one_model(R, spec, coefs)
    parts += [
        R.heading(2, "model_results.predictions", "sec-predictions"),
        tx("model_results.predictions_text"),
        R.fig("model_predictions", tx("model_results.predictions_fig"), "fig-model-predictions"),
        ame_table(R),
        bootstrap_table(R),
        robustness(R),
        warnings(R),
        R.source_line(),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"
