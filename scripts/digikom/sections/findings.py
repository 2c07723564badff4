"""Key findings: one generated sentence per entry of `findings` in config/indicators.yaml.
The wording follows the data: the variant key (rose / fell / stable, higher / lower) is
chosen from the estimates and their intervals; the sentences are in the string table."""

from __future__ import annotations

import pandas as pd

from ..models import labels


def change(R, ind: str) -> str | None:
    first, last = R.waves[0], R.waves[-1]
    a, b = R.est(ind, first), R.est(ind, last)
    if a is None or b is None or first == last:
        return None
    return R.tx(
        f"findings.change_{R.changed(a, b)}",
        name=R.ind_label(ind),
        a=R.cell_pct(a),
        b=R.cell_pct(b),
        first=first,
        last=last,
        ci=R.cell_ci(b),
    )


def out_of_ten(R, ind: str) -> str | None:
    first, last = R.waves[0], R.waves[-1]
    a, b = R.est(ind, first), R.est(ind, last)
    if b is None or R.hidden(b.n):
        return None
    before = (
        "" if a is None or first == last else R.tx("findings.against", a=R.cell_pct(a), first=first)
    )
    return R.tx(
        "findings.out_of_ten",
        name=R.ind_label(ind),
        words=R.tx.out_of_ten(b.estimate),
        b=R.cell_pct(b),
        ci=R.cell_ci(b),
        last=last,
        before=before,
    )


def gradient(R, ind: str) -> str | None:
    year = R.waves[-1]
    small, large = R.groups[0]["id"], R.groups[-1]["id"]
    lo, hi = R.est(ind, year, small), R.est(ind, year, large)
    if lo is None or hi is None:
        return None
    return R.tx(
        f"findings.gradient_{R.changed(lo, hi)}",
        name=R.ind_label(ind),
        year=year,
        hi=R.cell_pct(hi),
        hi_ci=R.cell_ci(hi),
        lo=R.cell_pct(lo),
        lo_ci=R.cell_ci(lo),
        large=R.esc(R.group_label[large]),
        small=R.esc(R.group_label[small]),
    )


def model_effect(R, model: str, effect: str) -> str | None:
    """An average marginal effect, worded by its sign and whether its interval excludes 0."""
    p = R.results / "models" / "predictions.csv"
    spec = next((m for m in R.ctx["models"] if m["id"] == model), None)
    if spec is None or not p.exists():
        return None
    d = pd.read_csv(p)
    d = d[(d.quantity == "ame") & (d.model == model) & (d.effect == effect)]
    if d.empty:
        return None
    r = d.iloc[0]
    clear = r.conf_low > 0 or r.conf_high < 0
    how = ("up" if r.estimate > 0 else "down") if clear else "unclear"
    return R.tx(
        f"findings.effect_{how}",
        effect=R.esc(effect_label(R, spec, effect)),
        outcome=R.var_label(spec["outcome"]).lower(),
        model=R.label(spec),
        pp=R.tx.pp(r.estimate),
        ci=R.tx.ci(r.conf_low, r.conf_high, 1),
    )


def effect_label(R, spec: dict, effect: str) -> str:
    return labels.effect_label(effect, spec, labels.context_settings(R.ctx), R.tx)


def replication_counts(R) -> tuple[int, int]:
    sc = R.scorecard[R.scorecard.reference == "published"]
    comp = int(sc.reproduced.notna().sum())
    ok = int(sc.within_tolerance.astype(str).str.lower().eq("true").sum())
    return ok, comp


KINDS = {
    "change": lambda R, item: change(R, item["indicator"]),
    "gradient": lambda R, item: gradient(R, item["indicator"]),
    "out_of_ten": lambda R, item: out_of_ten(R, item["indicator"]),
    "model_effect": lambda R, item: model_effect(R, item["model"], item["effect"]),
}


def sentences(R) -> list[str]:
    out = [KINDS[item["type"]](R, item) for item in R.ctx["indicators"].get("findings", [])]
    out = [s for s in out if s]
    ok, comp = replication_counts(R)
    if comp:
        out.append(R.tx("findings.replication", ok=ok, comp=comp))
    if R.synthetic:
        out.append(R.tx("findings.synthetic"))
    return out


def render(R) -> str:
    return (
        R.heading(1, "findings.title", "sec-findings")
        + "\n"
        + "\n".join(f"- {s}" for s in sentences(R))
        + "\n"
    )
