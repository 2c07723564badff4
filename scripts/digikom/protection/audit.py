"""The suppression audit: how far can an outsider narrow each hidden cell?

A *family* is a set of published cells that are linear functions of the same unknowns
(``atoms``): the counts of respondents with each answer in each size group x county x
category, or a group's sum of a count variable. An outsider who holds every published value
of the family, the number of respondents behind every atom (conservatively: each group's
and county's respondents are assumed known) and the weights (frame counts over respondents,
both public) solves, for each hidden cell, the smallest and the largest value it can take
subject to every published relation. This is the audit tau-ARGUS runs on a suppression
pattern ("Audit" in tau-ARGUS; Hundepool et al., *Statistical Disclosure Control*, 2012,
sec. 4.4), here with ``scipy.optimize.milp`` (HiGHS): integer counts, so the outsider's
interval is as narrow as it can be, and published values are taken as exact up to their
published precision (``half_unit``).

:func:`protect` then adds secondary suppressions, greedily, until every hidden cell keeps
an interval at least as wide as the protection level. docs/disclosure.md states the rules.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp


class AuditError(RuntimeError):
    """The audit could not bound a hidden cell (a solver failure or inconsistent cells)."""


@dataclass
class Cell:
    """One published number: ``value = sum(coef[i] * x[i]) / denom``."""

    key: tuple
    coef: dict[int, float]
    denom: float
    value: float  # the true value (the office's side)
    n: int  # respondents behind the cell
    kind: str = "share"  # share | mean | change
    margin: bool = False  # a total (all municipalities): hidden last
    unit: tuple = ()  # the cells of one unit are hidden together (see protect)
    # other numbers the same row publishes, hidden with it: (coef, denom, value), e.g. the
    # two levels of a change
    levels: list = field(default_factory=list)


@dataclass
class Family:
    """Atoms with bounds and known linear equalities, and the cells built on them."""

    name: str
    lb: list[float] = field(default_factory=list)
    ub: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    true: list[float] = field(default_factory=list)
    equalities: list[tuple[dict[int, float], float]] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)

    def atom(self, true: float, lb: float = 0.0, ub: float = np.inf, integer=True) -> int:
        self.lb.append(float(lb))
        self.ub.append(float(ub))
        self.integer.append(bool(integer))
        self.true.append(float(true))
        return len(self.lb) - 1

    def add_cell(self, cell: Cell) -> int:
        self.cells.append(cell)
        return len(self.cells) - 1


def _row(coef: dict[int, float], size: int) -> np.ndarray:
    r = np.zeros(size)
    for i, c in coef.items():
        r[i] += c
    return r


def intervals(
    fam: Family, hidden: set[int], half_unit: float, only: list[int] | None = None
) -> dict[int, tuple[float, float]]:
    """For each hidden cell (or those in ``only``), the smallest and largest value an
    outsider can derive from the family's visible cells (each known to ``half_unit``),
    the atoms' bounds and the equalities."""
    size = len(fam.lb)
    rows, lo, hi = [], [], []
    for coef, rhs in fam.equalities:
        rows.append(_row(coef, size))
        lo.append(rhs)
        hi.append(rhs)
    for j, c in enumerate(fam.cells):
        if j in hidden or not np.isfinite(c.value) or c.denom <= 0:
            continue
        for coef, denom, value in [(c.coef, c.denom, c.value), *c.levels]:
            pub = round(value / (2 * half_unit)) * (2 * half_unit)  # as published
            slack = half_unit + 1e-9
            rows.append(_row(coef, size))
            lo.append(denom * (pub - slack))
            hi.append(denom * (pub + slack))
    constraints = [LinearConstraint(np.array(rows), lo, hi)] if rows else []
    bounds = Bounds(np.array(fam.lb), np.array(fam.ub))
    integrality = np.array(fam.integer, dtype=int)
    out = {}
    for j in sorted(hidden) if only is None else only:
        c = fam.cells[j]
        obj = _row(c.coef, size) / c.denom
        ends = []
        for sign in (1.0, -1.0):
            res = milp(sign * obj, constraints=constraints, bounds=bounds, integrality=integrality)
            if res.status == 0:
                ends.append(float(sign * res.fun))
            elif res.status == 3:  # unbounded
                ends.append(-sign * np.inf)
            else:  # infeasible (the true atoms always fit) or the solver gave up
                raise AuditError(
                    f"disclosure audit of {fam.name}, cell {c.key}: {res.message} "
                    f"(milp status {res.status})"
                )
        out[j] = (ends[0], ends[1])
    return out


def required_width(cell: Cell, level: float, mean_level: float) -> float:
    return mean_level if cell.kind == "mean" else level


def _short(fam, iv, hidden, level, mean_level) -> list[int]:
    return [
        j
        for j in sorted(hidden)
        if iv[j][1] - iv[j][0] < required_width(fam.cells[j], level, mean_level) - 1e-9
    ]


def _is_margin(fam: Family, units: dict, u) -> bool:
    return any(fam.cells[j].margin for j in units[u])


def protect(
    fam: Family,
    primary: set[int],
    *,
    level: float,
    mean_level: float,
    half_unit: float,
    eligible: set[int] | None = None,
    candidates_per_step: int = 64,
    pair_candidates: int = 8,
) -> tuple[set[int], dict[int, tuple[float, float]]]:
    """Primary suppressions plus the secondary ones that make every hidden cell keep an
    interval of at least ``level`` (shares) or ``mean_level`` (means).

    Cells are hidden by *unit* (``Cell.unit``: every cell of the family on the same group
    of respondents, e.g. a share, its complement and their weighted copies in one size
    group and wave), since a unit's cells give each other away. Greedy, as tau-ARGUS's
    modular method is: while a hidden cell is too narrow, hide the visible unit that
    widens it enough at the least cost (a total last, then the fewest respondents), else
    the one that widens it most (often a total: a sparse category cannot be protected by
    other small groups). Only units of ``eligible`` cells (default: all) are
    hidden as secondary suppressions; when nothing helps, all of those are hidden. Returns
    the hidden cells and their final intervals."""
    units: dict = {}
    for j, c in enumerate(fam.cells):
        units.setdefault(c.unit, []).append(j)

    def cells_of(us):
        return {j for u in us for j in units[u]}

    def cost(u):
        cs = [fam.cells[j] for j in units[u]]
        return (any(c.margin for c in cs), max(c.n for c in cs), str(u))

    hidden_units = {fam.cells[j].unit for j in primary}
    if not hidden_units:
        return set(), {}
    cells = range(len(fam.cells)) if eligible is None else eligible
    allowed = {fam.cells[j].unit for j in cells}
    # Hiding more only widens intervals, so a cell once wide enough stays so: only the
    # newly hidden and the still too narrow are solved again.
    todo, iv = cells_of(hidden_units), {}
    while True:
        hidden = cells_of(hidden_units)
        iv.update(intervals(fam, hidden, half_unit, only=sorted(todo)))
        todo = set(_short(fam, iv, todo, level, mean_level))
        if not todo:
            return hidden, intervals(fam, hidden, half_unit)
        h = min(todo)
        need = required_width(fam.cells[h], level, mean_level)
        candidates = sorted(allowed - hidden_units, key=cost)[:candidates_per_step]

        def width(us, hidden=hidden, h=h):
            lo, hi = intervals(fam, hidden | cells_of(us), half_unit, only=[h])[h]
            return hi - lo

        best, best_width = None, -1.0
        for u in candidates:
            w = width([u])
            if w >= need - 1e-9:
                best = (u,)
                break
            if w > best_width + 1e-9:
                best, best_width = (u,), w
        if best is not None and best_width >= 0 and not _is_margin(fam, units, best[0]):
            pass  # widens without a total: take it
        elif best is not None and best_width >= 0:
            # Only a total widens it alone. Two more groups often do (a shown weighted and
            # unweighted total are two equations): the cheapest such pair, before a total.
            groups = [u for u in candidates if not _is_margin(fam, units, u)]
            for pair in itertools.combinations(groups[:pair_candidates], 2):
                if width(list(pair)) >= need - 1e-9:
                    best = pair
                    break
        if best is None:  # nothing left to hide that helps: every allowed unit is hidden
            hidden = cells_of(hidden_units | allowed)
            return hidden, intervals(fam, hidden, half_unit)
        hidden_units.update(best)
        todo |= cells_of(best)
