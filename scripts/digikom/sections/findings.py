"""Key findings: one generated sentence per entry of `findings` in config/indicators.yaml,
first for the original report's comparison (report.comparison, 2018 → 2022), then for the
later waves as an update. The wording follows the data: the variant key (rose / fell /
stable, higher / lower) is chosen from the paired change and the intervals; every number
says where it comes from (published, assumed or estimated)."""

from __future__ import annotations

from ..models import labels


def _ci(R, row, cls: str) -> str:
    """ " (95 % KI 78–86)" for an estimate from microdata; nothing for a published figure
    or a synthetic assumption (an interval there would look like evidence)."""
    if cls != "estimated" or row is None:
        return ""
    ci = R.cell_ci(row)
    return R.tx("findings.ci_part", ci=ci) if ci else ""


def change(R, ind: str, first: int, last: int) -> str | None:
    a, b = R.est(ind, first), R.est(ind, last)
    ch = R.change(ind, first, last)
    if a is None or b is None or ch is None or first == last:
        return None
    va, vb = R.value(ind, first)[0], R.value(ind, last)[0]
    verdict = R.verdict(ch)
    diff = ""
    if not R.synthetic:
        diff = R.tx(
            "findings.paired_part",
            diff=R.tx.pp(ch["diff"]),
            ci=R.tx.ci(ch.conf_low, ch.conf_high, 1),
            n=R.tx.num(ch.n_pairs),
        )
    return R.tx(
        f"findings.change_{verdict}",
        name=R.ind_label(ind),
        a=va,
        b=vb,
        first=first,
        last=last,
        paired=diff,
    )


def out_of_ten(R, ind: str, first: int, last: int) -> str | None:
    a, b = R.est(ind, first), R.est(ind, last)
    if b is None or R.hidden(b):
        return None
    vb, cls = R.value(ind, last)
    before = ""
    if a is not None and first != last:
        before = R.tx("findings.against", a=R.value(ind, first)[0], first=first)
    words = R.tx.out_of_ten(b.estimate)
    # a figure SSB published as "five in ten" is not said twice ("five in ten: five in ten")
    key = "findings.out_of_ten_as_published" if vb.startswith(words) else "findings.out_of_ten"
    return R.tx(
        key,
        name=R.ind_label(ind),
        words=words,
        b=vb,
        ci=_ci(R, b, cls),
        last=last,
        before=before,
    )


def gradient(R, ind: str, year: int) -> str | None:
    small, large = R.groups[0]["id"], R.groups[-1]["id"]
    lo, hi = R.est(ind, year, small), R.est(ind, year, large)
    if lo is None or hi is None:
        return None
    (v_hi, c_hi), (v_lo, c_lo) = R.value(ind, year, large), R.value(ind, year, small)
    return R.tx(
        f"findings.gradient_{R.changed(lo, hi)}",
        name=R.ind_label(ind),
        year=year,
        hi=v_hi,
        hi_ci=_ci(R, hi, c_hi),
        lo=v_lo,
        lo_ci=_ci(R, lo, c_lo),
        large=R.esc(R.group_label[large]),
        small=R.esc(R.group_label[small]),
    )


def model_effect(R, model: str, effect: str) -> str | None:
    """An average marginal effect, worded by its sign and whether its interval excludes 0.
    With synthetic data the model finds the relation the generator was built with: the
    sentence says so."""
    spec = next((m for m in R.ctx["models"] if m["id"] == model), None)
    d = R.model_table("predictions")
    if spec is None or d is None:
        return None
    d = d[(d.quantity == "ame") & (d.model == model) & (d.effect == effect)]
    if d.empty:
        return None
    r = d.iloc[0]
    clear = r.conf_low > 0 or r.conf_high < 0
    how = ("up" if r.estimate > 0 else "down") if clear else "unclear"
    text = R.tx(
        f"findings.effect_{how}",
        effect=R.esc(effect_label(R, spec, effect)),
        outcome=R.var_label(spec["outcome"]).lower(),
        model=R.label(spec),
        pp=R.tx.pp(r.estimate),
        ci=R.tx.ci(r.conf_low, r.conf_high, 1),
    )
    return text + (" " + R.tx("findings.effect_synthetic") if R.synthetic else "")


def effect_label(R, spec: dict, effect: str) -> str:
    return labels.effect_label(effect, spec, labels.context_settings(R.ctx), R.tx)


def replication_counts(R, role: str) -> tuple[int, int]:
    """(within tolerance, compared) of the distinct published statistics with this role."""
    from ..replication import check_counts

    return check_counts(R.scorecard, role)


def sentences(R, part: str) -> list[str]:
    """The findings of the comparison (``part="comparison"``) or of the update waves."""
    out = []
    if part == "comparison":
        first, last = R.first, R.second
    elif R.update_waves:
        first, last = R.second, R.update_waves[-1]
    else:
        return out
    for item in R.ctx["indicators"].get("findings", []):
        kind = item["type"]
        if kind == "change":
            out.append(change(R, item["indicator"], first, last))
        elif kind == "out_of_ten":
            out.append(out_of_ten(R, item["indicator"], first, last))
        elif kind == "gradient":
            out.append(gradient(R, item["indicator"], last))
        elif kind == "model_effect" and part == "comparison":
            out.append(model_effect(R, item["model"], item["effect"]))
    return [s for s in out if s]


def closing(R) -> list[str]:
    out = []
    ok, comp = replication_counts(R, "validation")
    if comp:
        out.append(R.tx("findings.validation", ok=ok, comp=comp, bad=comp - ok))
    if R.synthetic:
        _, cal = replication_counts(R, "calibration")
        out.append(R.tx("findings.synthetic", n=cal))
    return out


def render(R) -> str:
    tx = R.tx
    parts = [R.heading(1, "findings.title", "sec-findings")]
    intro = tx("findings.intro", first=R.first, last=R.second)
    if R.synthetic:
        intro += " " + tx("findings.classes")
    parts.append(intro + "\n")
    parts.append(
        R.heading(2, "findings.comparison", "sec-findings-comparison", first=R.first, last=R.second)
    )
    parts.append("\n".join(f"- {s}" for s in sentences(R, "comparison")) + "\n")
    update = sentences(R, "update")
    if update:
        parts.append(
            R.heading(
                2, "findings.update", "sec-findings-update", first=R.second, last=R.update_waves[-1]
            )
        )
        parts.append("\n".join(f"- {s}" for s in update) + "\n")
    parts.append("\n".join(f"- {s}" for s in closing(R)) + "\n")
    return "\n".join(parts)
