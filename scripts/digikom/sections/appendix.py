"""Appendix: the codebook (variable names are the point here), the model specifications,
the calibration of the synthetic data, provenance and how to rebuild."""

from __future__ import annotations

from ..models.labels import context_settings, formula_label
from ..text import MISSING


def code(x) -> str:
    """Inline code; backticks inside are dropped (code spans need no other escaping)."""
    return "`" + str(x).replace("`", "'") + "`"


def value_range(R, v: dict) -> str:
    tx = R.tx
    if v["kind"] == "binary":
        rng = "0/1"
    elif v["kind"] == "ordinal":
        rng = ", ".join(f"{k} = {R.label(lab)}" for k, lab in v["values"].items())
    elif v["kind"] == "count" and "max" in v and v.get("bounded", True):
        rng = tx("common.range", lo="0", hi=str(v["max"]))
    elif v["kind"] == "count":
        rng = "≥ 0"
    else:
        rng = (
            tx(f"appendix.kind_{v['kind']}") if tx.has(f"appendix.kind_{v['kind']}") else v["kind"]
        )
    if v.get("nullable"):
        rng += tx("appendix.empty_allowed")
    return rng


def codebook(R) -> str:
    tx = R.tx
    rows = []
    for name, v in R.codebook["variables"].items():
        q = v.get("question", {})
        rows.append(
            [
                code(name),
                R.label(v),
                R.label(q) if isinstance(q, dict) else R.esc(q),
                value_range(R, v),
                tx("appendix.input" if v.get("input") else "appendix.derived"),
            ]
        )
    header = [tx(f"appendix.cb_{c}") for c in ("variable", "label", "question", "values", "type")]
    return (
        R.heading(2, "appendix.codebook", "sec-codebook")
        + "\n"
        + R.table(header, rows, tx("appendix.codebook_caption"), "tbl-codebook", ["l"] * 5)
    )


def model_specs(R) -> str:
    tx = R.tx
    names = context_settings(R.ctx)
    rows = [
        [
            R.label(m),
            code(m["outcome"]),
            tx(f"appendix.family_{m['family']}"),
            R.esc(formula_label(m["formula"], names, tx))
            + (f"; {code(m['subset'])}" if m.get("subset") else ""),
            tx(f"appendix.weights_{m.get('weights', 'none')}"),
        ]
        for m in R.models
    ]
    header = [tx(f"appendix.ms_{c}") for c in ("model", "outcome", "family", "formula", "weights")]
    return (
        R.heading(2, "appendix.modelspecs", "sec-modelspecs")
        + "\n"
        + R.table(header, rows, tx("appendix.modelspecs_caption"), "tbl-modelspecs", ["l"] * 5)
    )


def calibration(R) -> str:
    tx = R.tx
    cal = R.ctx.get("calibration") or []
    if not (R.synthetic and cal):
        return ""
    rows = []
    for c in cal:
        source = tx("appendix.assumption") if c["source"] == "assumption" else code(c["source"])
        note = R.esc(c.get("note") or "")
        rows.append(
            [
                code(c["variable"]),
                R.esc(c["part"]),
                str(int(c["year"])),
                tx.pct(c["value"], 1),
                source + (f": {note}" if note else ""),
            ]
        )
    header = [tx(f"appendix.cal_{c}") for c in ("variable", "part", "year", "target", "source")]
    carried: dict[int, set[int]] = {}
    for c in cal:
        if c.get("carried_from") is not None:
            carried.setdefault(int(c["year"]), set()).add(int(c["carried_from"]))
    note = "".join(
        tx("appendix.calibration_carried", wave=w, used=", ".join(map(str, sorted(u)))) + "\n\n"
        for w, u in sorted(carried.items())
    )
    return (
        R.heading(2, "appendix.calibration", "sec-calibration")
        + "\n"
        + note
        + R.table(
            header,
            rows,
            tx("appendix.calibration_caption"),
            "tbl-calibration",
            ["l", "l", "r", "r", "l"],
        )
    )


def provenance(R) -> str:
    tx = R.tx
    prov = R.prov
    inputs = [
        [code(i["path"]), code(i["sha256"][:16] + "…"), tx.num(i["bytes"])] for i in prov["inputs"]
    ]
    packages = [[R.esc(k), R.esc(v or MISSING)] for k, v in prov["packages"].items()]
    return "\n".join(
        [
            R.heading(2, "appendix.provenance", "sec-provenance"),
            tx(
                "appendix.provenance_text",
                commit=code(prov["git"]["commit"]),
                python=R.esc(prov["python"]),
                renderer=R.esc(R.renderer),
            ),
            "",
            R.table(
                [tx("appendix.file"), "sha256", "Bytes"],
                inputs,
                tx("appendix.inputs_caption"),
                "tbl-inputs",
                ["l", "l", "r"],
            ),
            R.table(
                [tx("appendix.package"), tx("appendix.version")],
                packages,
                tx("appendix.packages_caption"),
                "tbl-packages",
                ["l", "l"],
            ),
        ]
    )


def rebuild(R) -> str:
    tx = R.tx
    lines = [
        f"make report                      # {tx('appendix.rebuild_make')}",
        f"snakemake --cores all --config lang={R.lang}",
        f"snakemake --cores all --config microdata={tx('appendix.rebuild_path')}",
    ]
    return (
        R.heading(2, "appendix.rebuild", "sec-rebuild") + "\n```sh\n" + "\n".join(lines) + "\n```\n"
    )


def render(R) -> str:
    parts = [
        R.heading(1, "appendix.title", "sec-appendix"),
        codebook(R),
        model_specs(R),
        calibration(R),
        provenance(R),
        rebuild(R),
    ]
    if R.n_suppressed:
        parts.append(R.tx("common.suppressed_note", k=R.min_cell))
    return "\n\n".join(p for p in parts if p) + "\n"
