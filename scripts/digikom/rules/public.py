"""Rule entry points of the public stage: public_tables, public_model, public_models.

What leaves the office is written here and nowhere else: results/public/tables/ holds the
protected tables (digikom.protection), and the figures, maps and report read them."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

TABLES = ("shares", "composites", "crosstab", "changes", "counties")


def public_paths(*names: str) -> dict[str, str]:
    """The path of each public table (results/public/tables/<name>.csv), by name."""
    return {name: f"results/public/tables/{name}.csv" for name in names}


def public_tables(job) -> None:
    """Primary and audited secondary suppression of every indicator table and the county
    maps' table, written in the public form; the audit (internal) lists every hidden
    cell with the interval an outsider can derive."""
    import pandas as pd

    from ..io import write_csv
    from ..panel import read_panel
    from ..protection.public import protect_tables, publish

    p = job.params
    panel = read_panel(job.input.panel)
    tables = {
        name: pd.read_csv(job.input[name], dtype={"fylkesnummer": str, "group": str})
        for name in TABLES
    }
    hidden, audit = protect_tables(
        panel,
        tables,
        rules=p.indicators,
        codebook=p.codebook,
        maps=p.maps,
        protection=p.protection,
        min_cell=p.min_cell,
        disclosure_on=p.disclosure,
    )
    short = audit[audit.width < audit.required - 1e-9]
    log.info(
        "disclosure control: %d cells hidden (%d primary), %d families audited; "
        "narrowest interval an outsider can derive: %s",
        len(audit),
        int(audit.reason.eq("primary").sum()),
        audit.family.nunique(),
        f"{audit.width.min():.3f}" if len(audit) else "none hidden",
    )
    if len(short):
        log.warning(
            "%d hidden cells keep an interval narrower than the protection level (every "
            "cell that could be hidden is): see %s",
            len(short),
            job.output.audit,
        )
    public = publish(tables, hidden, p.protection["decimals"], p.indicators["crosstab"]["id"])
    for name, table in public.items():
        write_csv(table, job.output[name])
    write_csv(audit, job.output.audit)


def public_model(job) -> None:
    """One model's predictions and coefficients, protected with the public shares."""
    import pandas as pd

    from ..io import write_csv
    from ..protection.models import protect_model
    from ..protection.public import read_public

    p = job.params
    shares = read_public(job.input.shares, "shares")
    hidden = {
        (r.indicator, int(r.year), str(r.group))
        for r in shares[shares.suppressed & ~shares.weighted].itertuples()
    }
    pred, coef = protect_model(
        pd.read_csv(job.input.predictions),
        pd.read_csv(job.input.coefficients),
        p.spec,
        p.indicators,
        hidden,
        min_cell=p.min_cell if p.disclosure else None,
        decimals=p.decimals,
    )
    write_csv(pred, job.output.predictions)
    write_csv(coef, job.output.coefficients)


def public_models(job) -> None:
    """Every model's public tables in one table each (results/public/tables/)."""
    import pandas as pd

    from ..io import write_csv

    for name in ("predictions", "coefficients"):
        frames = [pd.read_csv(f) for f in job.input[name]]
        write_csv(pd.concat(frames, ignore_index=True), job.output[name])
