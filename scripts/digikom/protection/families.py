"""The protection problems: every published cell as a linear function of atoms.

One family per set of cells that share unknowns:

* ``shares``: one per (variable, base, wave). Atoms are the numbers of respondents with each
  answer in each size group (x county, where a county map shows the variable), so every
  share, its complement, every value of a distribution and every union of values (a "large
  barrier" share is values 4 and 5) is a sum of atoms: the size groups add up to all
  municipalities, the counties too, the weighted total is the same atoms weighted by the
  public weights (frame count / respondents of the size group).
* ``means``: one per (variable, base, wave); atoms are each group's sum of the count.
* ``composites``: one per (composite, wave); atoms are the four categories per group
  (x county).
* ``crosstab``: one per wave; atoms are the statuses (and the rest) per level.
* ``changes``: one per (indicator, from, to); atoms are each size group's sums over the
  municipalities in both waves in the earlier and the later wave.

Each cell carries the value the table states; the family checks that its atoms give that
value back (:func:`check`), so the model of a table cannot drift from how it is computed.
Relations between families (a cross-tab status and the matching share, a composite and its
axes) are not modelled: docs/disclosure.md says so, and the cells are protected by the rule
that a hidden cell is hidden in every table that states it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..geography import county_2024
from ..indicators import composite_groups, crosstab_levels, query_rows
from .audit import AuditError, Cell, Family

ALL = "all"
STAR = "*"
# The largest value an outsider may assume for a count the codebook does not bound (its item
# list is illustrative): large enough that it never narrows an interval, finite so that the
# solver can tell a bound from an error.
UNBOUNDED = 1e6


def _categories(var: str, codebook: dict, observed) -> list:
    spec = codebook["variables"].get(var, {})
    if spec.get("values"):
        return sorted(int(v) for v in spec["values"])
    if spec.get("kind") in ("binary", "bool"):
        return [0, 1]
    return sorted(pd.unique(observed).tolist())


def _weights(sub: pd.DataFrame, where: str) -> dict:
    """The weight of each size group: constant within a group and wave when the weights are
    frame count / respondents (digikom.panel.nonresponse_weights)."""
    w = sub.groupby("size_group", observed=True)["weight"].agg(["min", "max", "mean"])
    if ((w["max"] - w["min"]) > 1e-9 * w["mean"].abs().clip(lower=1)).any():
        raise AuditError(
            f"{where}: the weights vary within a size group and wave, so the weighted "
            "totals are not linear in the group counts the audit models"
        )
    return {str(g): float(m) for g, m in w["mean"].items()}


class _Grid:
    """Atoms of one family: (size group, county, category) -> atom index."""

    def __init__(self, fam: Family, sub: pd.DataFrame, cats, cat_col, by_county: bool, weights):
        self.fam, self.w = fam, weights
        sub = _with_county(sub, by_county)
        self.n = sub.groupby(["size_group", "_c"], observed=True).size()
        self.index: dict[tuple, int] = {}
        counts = sub.groupby(["size_group", "_c", cat_col], observed=True).size()
        for (g, c), n in self.n.items():
            idx = []
            for cat in cats:
                k = int(counts.get((g, c, cat), 0))
                self.index[(str(g), c, cat)] = i = fam.atom(k, 0, int(n))
                idx.append(i)
            if cat_col != "_sum":
                fam.equalities.append(({i: 1.0 for i in idx}, float(n)))

    def form(self, group=ALL, county=STAR, cats=None, weighted=False):
        coef, denom = {}, 0.0
        for (g, c), n in self.n.items():
            g = str(g)
            if group != ALL and g != group or county not in (STAR, c):
                continue
            w = self.w[g] if weighted else 1.0
            denom += w * n
            for (gg, cc, cat), i in self.index.items():
                if gg == g and cc == c and (cats is None or cat in cats):
                    coef[i] = w
        return coef, denom


def _with_county(sub: pd.DataFrame, by_county: bool) -> pd.DataFrame:
    return sub.assign(_c=county_2024(sub).to_numpy() if by_county else STAR)


def check(fam: Family, cell: Cell, tol: float = 1e-6) -> None:
    got = sum(fam.true[i] * c for i, c in cell.coef.items()) / cell.denom
    if not np.isclose(got, cell.value, atol=tol):
        raise AuditError(
            f"disclosure audit, {fam.name}: cell {cell.key} is {cell.value} in its table "
            f"but {got} from the panel (the protection model does not match the table)"
        )


def _add(fam: Family, cell: Cell) -> None:
    if np.isfinite(cell.value) and cell.denom > 0:
        check(fam, cell)
        fam.add_cell(cell)


def variable_families(
    resp: pd.DataFrame,
    shares: pd.DataFrame,
    counties: pd.DataFrame,
    rules: dict,
    codebook: dict,
    map_subjects: list[dict],
    map_wave: int | None,
) -> list[Family]:
    """The shares and means families (see the module docstring)."""
    specs = [(s, "share", s.get("values", [1])) for s in rules["shares"]]
    specs += [(s, "mean", None) for s in rules["means"]]
    for d in rules.get("distributions", []):
        vals = _categories(d["variable"], codebook, [])
        specs += [
            (dict(d, id=f"{d['id']}_{v}", variable=d["variable"]), "share", [v]) for v in vals
        ]
    by_family: dict[tuple, list] = {}
    for spec, kind, values in specs:
        by_family.setdefault((spec["variable"], spec.get("among") or "", kind), []).append(
            (spec, values)
        )
    mapped = {s["id"]: s for s in map_subjects if s["kind"] in ("share", "mean")}
    fams = []
    for (var, among, kind), members in by_family.items():
        base = query_rows(resp, among or None, f"indicator {members[0][0]['id']}")
        base = base[base[var].notna()]
        for wave, sub in base.groupby("year"):
            wave = int(wave)
            on_map = [m for m in mapped if m in {s["id"] for s, _ in members} and wave == map_wave]
            fam = Family(f"{kind}s {var} [{among or 'all respondents'}] {wave}")
            weights = _weights(sub, fam.name)
            if kind == "share":
                cats = _categories(var, codebook, sub[var])
                grid = _Grid(fam, sub, cats, var, bool(on_map), weights)
            else:
                sums = (
                    _with_county(sub, bool(on_map))
                    .groupby(["size_group", "_c"], observed=True)[var]
                    .sum()
                )
                grid = _Grid(fam, sub.assign(_sum=0), [0], "_sum", bool(on_map), weights)
                spec = codebook["variables"].get(var, {})
                top = spec["max"] if spec.get("max") and spec.get("bounded", True) else UNBOUNDED
                for (g, c, _), i in grid.index.items():
                    fam.true[i] = float(sums[(g, c)])
                    fam.ub[i] = top * grid.n[(g, c)]
            ids = {s["id"]: v for s, v in members}
            rows = shares[shares.indicator.isin(ids) & shares.year.eq(wave)]
            for r in rows.itertuples():
                coef, denom = grid.form(r.group, cats=ids[r.indicator], weighted=r.weighted)
                key = ("shares", r.indicator, wave, r.group, bool(r.weighted))
                _add(
                    fam,
                    Cell(
                        key,
                        coef,
                        denom,
                        r.estimate,
                        int(r.n),
                        kind,
                        r.group == ALL,
                        ("group", r.group),
                    ),
                )
            for sid in on_map:
                crow = counties[counties["map"].eq(sid) & counties.year.eq(wave)]
                for r in crow.itertuples():
                    if r.n == 0:
                        continue
                    coef, denom = grid.form(county=r.fylkesnummer, cats=ids[sid])
                    key = ("counties", sid, wave, r.fylkesnummer, "")
                    _add(
                        fam,
                        Cell(
                            key,
                            coef,
                            denom,
                            r.estimate,
                            int(r.n),
                            kind,
                            unit=("county", r.fylkesnummer),
                        ),
                    )
            if fam.cells:
                fams.append(fam)
    return fams


def composite_families(
    panel: pd.DataFrame,
    composites: pd.DataFrame,
    counties: pd.DataFrame,
    rules: dict,
    map_subjects: list[dict],
    map_wave: int | None,
) -> list[Family]:
    cats = ["both", "y_only", "x_only", "neither"]
    mapped = {s["spec"]["id"]: s["id"] for s in map_subjects if s["kind"] == "composite"}
    fams = []
    for spec in rules["composites"]:
        groups = composite_groups(panel, spec, rules["reference_wave"])
        for wave, sub in groups.groupby("year"):
            wave = int(wave)
            sid = mapped.get(spec["id"]) if wave == map_wave else None
            fam = Family(f"composite {spec['id']} {wave}")
            grid = _Grid(fam, _with_2024(sub, panel), cats, "category", bool(sid), {})
            rows = composites[composites.composite.eq(spec["id"]) & composites.year.eq(wave)]
            for r in rows.itertuples():
                coef, denom = grid.form(r.group, cats=[r.category])
                key = ("composites", spec["id"], wave, r.group, r.category)
                _add(
                    fam,
                    Cell(
                        key,
                        coef,
                        denom,
                        r.estimate,
                        int(r.n),
                        margin=r.group == ALL,
                        unit=("group", r.group),
                    ),
                )
            if sid:
                crow = counties[counties["map"].eq(sid) & counties.year.eq(wave)]
                for r in crow.itertuples():
                    if r.n == 0:
                        continue
                    coef, denom = grid.form(county=r.fylkesnummer, cats=[r.category])
                    key = ("counties", sid, wave, r.fylkesnummer, r.category)
                    _add(
                        fam,
                        Cell(
                            key, coef, denom, r.estimate, int(r.n), unit=("county", r.fylkesnummer)
                        ),
                    )
            fams.append(fam)
    return fams


def _with_2024(sub: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    """``sub`` (rows keyed by kommunenr and year) with the panel's 2024 codes."""
    codes = panel.set_index(["kommunenr", "year"])["kommunenr_2024"]
    keys = pd.MultiIndex.from_frame(sub[["kommunenr", "year"]])
    return sub.assign(kommunenr_2024=codes.reindex(keys).to_numpy())


def crosstab_families(
    resp: pd.DataFrame, crosstab: pd.DataFrame, rules: dict, codebook: dict
) -> list[Family]:
    var, levels = crosstab_levels(rules, codebook)
    statuses = rules["crosstab"]["statuses"]
    fams = []
    for wave, sub in resp[resp[var].notna()].groupby("year"):
        wave = int(wave)
        fam = Family(f"crosstab {rules['crosstab']['id']} {wave}")
        cells_of = {}
        for lvl, lspec in levels.items():
            col = sub[sub[var].isin(lspec["values"])]
            ks = {s: len(query_rows(col, q["query"], s)) for s, q in statuses.items()}
            rest = len(col) - sum(ks.values())
            idx = {s: fam.atom(k, 0, len(col)) for s, k in ks.items()}
            other = fam.atom(rest, 0, len(col))
            fam.equalities.append(({**{i: 1.0 for i in idx.values()}, other: 1.0}, len(col)))
            cells_of[lvl] = (idx, len(col))
        for r in crosstab[crosstab.year.eq(wave)].itertuples():
            idx, n = cells_of[r.level]
            key = ("crosstab", rules["crosstab"]["id"], wave, r.level, r.status)
            cell = Cell(
                key, {idx[r.status]: 1.0}, float(n), r.estimate, int(r.n), unit=("level", r.level)
            )
            _add(fam, cell)
        fams.append(fam)
    return fams


def change_families(changes: pd.DataFrame, kinds: dict[str, str]) -> list[Family]:
    """One family per (indicator, from, to): each size group's sums over the municipalities
    in both waves (continuous: a merged municipality's earlier value is a mean of its
    parts). A visible row publishes both sums (its two levels); the cell is the change."""
    fams = []
    for (ind, a, b), rows in changes.groupby(["indicator", "from_year", "to_year"], sort=False):
        kind = kinds.get(ind, "share")
        top = 1.0 if kind == "share" else UNBOUNDED
        fam = Family(f"changes {ind} {a}-{b}")
        atoms = {}
        groups = rows[rows.group.ne(ALL) & rows.n_pairs.gt(0)]
        for r in groups.itertuples():
            n = float(r.n_pairs)
            atoms[r.group] = (
                fam.atom(r.est_from * n, 0, top * n, integer=False),
                fam.atom(r.est_to * n, 0, top * n, integer=False),
                n,
            )
        for r in rows.itertuples():
            if not r.n_pairs:
                continue
            members = list(atoms.values()) if r.group == ALL else [atoms[r.group]]
            coef = {}
            for fa, fb, _ in members:
                coef[fa], coef[fb] = -1.0, 1.0
            n = float(r.n_pairs)
            key = ("changes", ind, int(b), r.group, int(a))
            cell = Cell(key, coef, n, r.diff, int(n), "mean" if kind == "mean" else "share")
            cell.margin, cell.unit = r.group == ALL, ("group", r.group)
            cell.levels = [
                ({fa: 1.0 for fa, _, _ in members}, n, r.est_from),
                ({fb: 1.0 for _, fb, _ in members}, n, r.est_to),
            ]
            _add(fam, cell)
        fams.append(fam)
    return fams
