"""What leaves the office: the protected tables under results/public/tables/.

:func:`protect_tables` decides which cells are hidden (primary rule of
:mod:`digikom.disclosure`, then secondary suppression found by the audit of
:mod:`digikom.protection.audit` over the families of :mod:`digikom.protection.families`);
:func:`tidy` writes each table in the one public form, one row per cell::

    table, indicator, [category,] wave, group, weighted, n, value, conf_low, conf_high, status

``value`` is the share in [0, 1] (a mean for a count, the change for a change), rounded to
the published precision; ``status`` is empty (shown), ``:`` (suppressed) or ``..`` (not
available). A hidden cell has no value, interval or n. :func:`internal` reads a public
table back into the columns the figures and the report use, with a boolean ``suppressed``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import disclosure
from .audit import protect
from .families import ALL, change_families, composite_families, crosstab_families, variable_families

SUPPRESSED, NOT_AVAILABLE = disclosure.SYMBOL, ".."


def _primary_keys(df: pd.DataFrame, keyf, min_cell) -> set:
    if not min_cell or df.empty:
        return set()
    hide = disclosure.suppress(df, min_cell)["suppressed"].to_numpy()
    return {keyf(r) for r in df[hide].itertuples()}


def _share_key(r):
    return ("shares", r.indicator, int(r.year), r.group, bool(r.weighted))


def _composite_key(r):
    return ("composites", r.composite, int(r.year), r.group, r.category)


def _crosstab_key(crosstab_id):
    return lambda r: ("crosstab", crosstab_id, int(r.year), r.level, r.status)


def _county_key(r):
    return ("counties", r.map, int(r.year), r.fylkesnummer, r.category or "")


def _answers(shares: pd.DataFrame) -> pd.DataFrame:
    """The shares table without the response rates (frame counts, never hidden)."""
    return shares[~shares.indicator.astype(str).str.startswith("response_rate")]


def primary_keys(tables: dict, crosstab_id: str, min_cell: int, disclosure_on: bool) -> set:
    """The keys of the cells the primary rule (digikom.disclosure) hides: in every table
    with real microdata, in the county maps' table in every run."""
    cell_min = min_cell if disclosure_on else None
    counties = tables.get("counties")
    keys = _primary_keys(_answers(tables["shares"]), _share_key, cell_min)
    keys |= _primary_keys(tables["composites"], _composite_key, cell_min)
    keys |= _primary_keys(tables["crosstab"], _crosstab_key(crosstab_id), cell_min)
    if counties is not None:
        counties = counties.assign(category=counties["category"].fillna("").astype(str))
        keys |= _primary_keys(counties, _county_key, min_cell)
    return keys


def protect_tables(
    panel: pd.DataFrame,
    tables: dict[str, pd.DataFrame],
    *,
    rules: dict,
    codebook: dict,
    maps: dict,
    protection: dict,
    min_cell: int,
    disclosure_on: bool,
) -> tuple[set, pd.DataFrame]:
    """The keys of every hidden cell, and the audit (one row per hidden cell: its family,
    the interval an outsider can derive, the width required, and why it is hidden).
    ``disclosure_on`` is False for the synthetic default: then only the county maps are
    protected (as with real data; the rest shows the synthetic panel's values)."""
    shares, composites = tables["shares"], tables["composites"]
    crosstab, counties, changes = tables["crosstab"], tables["counties"], tables["changes"]
    counties = counties.assign(category=counties["category"].fillna("").astype(str))
    resp = panel[panel["responded"]]
    answers = _answers(shares)
    primary = primary_keys(tables, rules["crosstab"]["id"], min_cell, disclosure_on)
    wave = maps.get("wave") if maps else None
    subjects = maps.get("subjects", []) if maps else []
    if not disclosure_on:
        # the synthetic default protects the county maps alone, against the national
        # totals (its size-group cells are a demonstration, shown as they are)
        answers = answers[answers.group.eq(ALL)]
        composites = composites[composites.group.eq(ALL)]
    fams = variable_families(resp, answers, counties, rules, codebook, subjects, wave)
    fams += composite_families(panel, composites, counties, rules, subjects, wave)
    if disclosure_on:
        fams += crosstab_families(resp, crosstab, rules, codebook)
    hidden, audit = _run(fams, primary, protection, disclosure_on)
    if disclosure_on:
        kinds = {s["id"]: "mean" for s in rules["means"]}
        cprim = change_primary(changes, hidden, kinds, min_cell)
        h2, a2 = _run(change_families(changes, kinds), cprim, protection, True)
        hidden |= h2
        audit = pd.concat([audit, a2], ignore_index=True)
    return hidden, audit


def change_key(r) -> tuple:
    return ("changes", r.indicator, int(r.to_year), r.group, int(r.from_year))


def change_primary(changes: pd.DataFrame, hidden: set, kinds: dict, min_cell: int) -> set:
    """Changes to hide before their own audit: a change whose earlier or later level is a
    hidden cell (unweighted, same indicator and group), one resting on fewer than
    ``min_cell`` municipalities, and one whose level in either wave is 0 % or 100 %.
    ``kinds``: indicator -> "mean" for the means."""
    ends = {k[1:] for k in hidden if k[0] == "shares" and not k[4]}
    keys = set()
    for r in changes.itertuples():
        kind = kinds.get(r.indicator, "share")
        if (
            (r.indicator, int(r.from_year), r.group, False) in ends
            or (r.indicator, int(r.to_year), r.group, False) in ends
            or r.n_pairs < min_cell
            or any(
                disclosure.hidden(r.n_pairs, v, min_cell, kind, 0, 1)
                for v in (r.est_from, r.est_to)
            )
        ):
            keys.add(change_key(r))
    return keys


def _run(fams, primary: set, protection: dict, everywhere: bool) -> tuple[set, pd.DataFrame]:
    hidden, rows = set(), []
    half = 0.5 * 10.0 ** -int(protection["decimals"])
    for fam in fams:
        prim = {j for j, c in enumerate(fam.cells) if c.key in primary}
        if not prim:
            continue
        eligible = (
            None if everywhere else {j for j, c in enumerate(fam.cells) if c.key[0] == "counties"}
        )
        hid, iv = protect(
            fam,
            prim,
            level=protection["level"],
            mean_level=protection["mean_level"],
            half_unit=half,
            eligible=eligible,
        )
        for j in sorted(hid):
            c = fam.cells[j]
            lo, hi = iv[j]
            need = protection["mean_level"] if c.kind == "mean" else protection["level"]
            rows.append(
                dict(
                    family=fam.name,
                    table=c.key[0],
                    key="|".join(map(str, c.key[1:])),
                    n=c.n,
                    value=c.value,
                    lower=lo,
                    upper=hi,
                    width=hi - lo,
                    required=need,
                    reason="primary" if j in prim else "secondary",
                )
            )
            hidden.add(c.key)
    cols = ["family", "table", "key", "n", "value", "lower", "upper", "width", "required"]
    return hidden, pd.DataFrame(rows, columns=[*cols, "reason"])


# ----------------------------------------------------------------------- the public form
def _status(values: pd.Series, hide: np.ndarray) -> np.ndarray:
    return np.where(hide, SUPPRESSED, np.where(values.isna(), NOT_AVAILABLE, ""))


def _finish(out: pd.DataFrame, hide: np.ndarray, decimals: int) -> pd.DataFrame:
    out["status"] = _status(out["value"], hide)
    for col in ("value", "conf_low", "conf_high", "value_from", "value_to"):
        if col in out.columns:
            out[col] = out[col].astype(float).round(decimals).where(~hide, np.nan)
    out["n"] = out["n"].astype("Int64").where(~hide, pd.NA)
    return out


def publish(tables: dict, hidden: set, decimals: int, crosstab_id: str) -> dict:
    """Every table of ``tables`` in the public form (:func:`tidy`)."""
    return {name: tidy(name, df, hidden, decimals, crosstab_id) for name, df in tables.items()}


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name`` of ``df``, or an empty one (a table without that column)."""
    return df[name] if name in df.columns else pd.Series(np.nan, index=df.index)


def tidy(name: str, df: pd.DataFrame, hidden: set, decimals: int, crosstab_id="") -> pd.DataFrame:
    """Table ``name`` of the indicator stage in the public form, hidden cells blanked."""
    if name == "shares":
        keys = [_share_key(r) for r in df.itertuples()]
        out = pd.DataFrame(
            {
                "table": "shares",
                "indicator": _col(df, "indicator"),
                "kind": _col(df, "kind"),
                "theme": _col(df, "theme"),
                "wave": _col(df, "year").astype(int),
                "group": _col(df, "group"),
                "weighted": _col(df, "weighted").astype(bool),
                "n": _col(df, "n"),
                "value": _col(df, "estimate"),
                "conf_low": _col(df, "conf_low"),
                "conf_high": _col(df, "conf_high"),
            }
        )
    elif name == "composites":
        keys = [_composite_key(r) for r in df.itertuples()]
        out = pd.DataFrame(
            {
                "table": "composites",
                "indicator": _col(df, "composite"),
                "category": _col(df, "category"),
                "wave": _col(df, "year").astype(int),
                "group": _col(df, "group"),
                "weighted": False,
                "n": _col(df, "n"),
                "value": _col(df, "estimate"),
                "conf_low": _col(df, "conf_low"),
                "conf_high": _col(df, "conf_high"),
                "x_median": _col(df, "x_median"),
                "y_median": _col(df, "y_median"),
            }
        )
    elif name == "crosstab":
        keys = [_crosstab_key(crosstab_id)(r) for r in df.itertuples()]
        out = pd.DataFrame(
            {
                "table": "crosstab",
                "indicator": crosstab_id,
                "category": _col(df, "status"),
                "wave": _col(df, "year").astype(int),
                "group": _col(df, "level"),
                "weighted": False,
                "n": _col(df, "n"),
                "value": _col(df, "estimate"),
                "conf_low": _col(df, "conf_low"),
                "conf_high": _col(df, "conf_high"),
            }
        )
    elif name == "counties":
        df = df.assign(category=df["category"].fillna("").astype(str))
        keys = [_county_key(r) for r in df.itertuples()]
        out = pd.DataFrame(
            {
                "table": "counties",
                "indicator": df["map"],
                "kind": df["kind"],
                "category": _col(df, "category"),
                "wave": _col(df, "year").astype(int),
                "group": _col(df, "fylkesnummer").astype(str),
                "group_name": _col(df, "fylkesnavn"),
                "weighted": False,
                "n": _col(df, "n"),
                "value": _col(df, "estimate").where(df.n > 0),
            }
        )
    elif name == "changes":
        keys = [change_key(r) for r in df.itertuples()]
        out = pd.DataFrame(
            {
                "table": "changes",
                "indicator": _col(df, "indicator"),
                "comparison": _col(df, "from_year").astype(str)
                + "-"
                + _col(df, "to_year").astype(str),
                "wave_from": _col(df, "from_year").astype(int),
                "wave": _col(df, "to_year").astype(int),
                "group": _col(df, "group"),
                "weighted": False,
                "n": _col(df, "n_pairs"),
                "value": df["diff"],
                "conf_low": _col(df, "conf_low"),
                "conf_high": _col(df, "conf_high"),
                "value_from": _col(df, "est_from"),
                "value_to": _col(df, "est_to"),
                "part": _col(df, "part"),
            }
        )
    else:
        raise ValueError(f"no public form for table {name!r}")
    hide = np.array([k in hidden for k in keys], dtype=bool)
    return _finish(out.reset_index(drop=True), hide, decimals)


# The public form read back into the internal columns (figures and the report).
_BACK = {
    "shares": {"wave": "year", "value": "estimate"},
    "composites": {"indicator": "composite", "wave": "year", "value": "estimate"},
    "crosstab": {"category": "status", "wave": "year", "group": "level", "value": "estimate"},
    "counties": {
        "indicator": "map",
        "wave": "year",
        "group": "fylkesnummer",
        "group_name": "fylkesnavn",
        "value": "estimate",
    },
    "changes": {
        "wave_from": "from_year",
        "wave": "to_year",
        "n": "n_pairs",
        "value": "diff",
        "value_from": "est_from",
        "value_to": "est_to",
    },
}


def internal(name: str, public: pd.DataFrame) -> pd.DataFrame:
    """A public table in the columns of the indicator stage's table ``name``, with
    ``suppressed`` (bool) from its status; hidden cells have no value and no n."""
    status = public["status"].fillna("").eq(SUPPRESSED).to_numpy()
    out = public.drop(columns=["table", "status"]).rename(columns=_BACK[name])
    out["suppressed"] = status
    if "weighted" in out.columns:
        out["weighted"] = out["weighted"].astype(str).str.lower().eq("true")
    return out


def read_public(path, name: str) -> pd.DataFrame:
    """results/public/tables/<name>.csv in the internal columns (:func:`internal`)."""
    dtype = {"group": str, "status": str, "category": str}
    df = pd.read_csv(path, dtype=dtype, keep_default_na=False, na_values=[""])
    return internal(name, df)
