"""What a configured selection asks for: PxWebApi's selection-expression language
(codes, ``*``, ``?``, ``top(N[,offset])``, ``bottom(N[,offset])``, ``range(X,Y)``,
``from(X)``, ``to(X)``) evaluated against a table's metadata as the server does, the
resolved query (:class:`Plan`), its split into parts of at most ``maxDataCells``, and how
each part is sent (GET query string or POST body)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from ..errors import StatbankError
from .jsonstat import category_codes


def split_items(expr: str) -> list[str]:
    """The items of a ``valueCodes`` list.

    Split on commas outside square brackets, as PxWebApi does (its model binder), and
    also outside parentheses, so ``range(2018,2022)`` may be written without brackets in
    the config. An item wrapped in ``[...]`` is unwrapped: ``[top(2,1)],2018`` gives
    ``["top(2,1)", "2018"]``."""
    items, depth, cur = [], 0, []
    for ch in str(expr):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(depth - 1, 0)
        if ch == "," and depth == 0:
            items.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    items.append("".join(cur))
    out = []
    for item in (i.strip() for i in items):
        if item.startswith("[") and item.endswith("]"):
            item = item[1:-1].strip()
        if item:
            out.append(item)
    return out


def join_items(items: list[str]) -> str:
    """A ``valueCodes`` value for GET: items joined by commas, every item that contains a
    comma in square brackets (the server splits on commas outside brackets)."""
    return ",".join(f"[{i}]" if "," in i else i for i in items)


_TOP = re.compile(r"^(top|bottom)\((.*)\)$", re.IGNORECASE)
_FUNC = re.compile(r"^(range|from|to)\((.*)\)$", re.IGNORECASE)


def _index_of(codes: list[str], code: str) -> int:
    """Exact match first, then case-insensitive (as PxWebApi does); -1 if absent."""
    if code in codes:
        return codes.index(code)
    low = code.casefold()
    for i, c in enumerate(codes):
        if c.casefold() == low:
            return i
    return -1


def _wildcard(item: str, codes: list[str]) -> list[str]:
    """``*`` as PxWebApi's WildcardExpression: only ``*``, ``x*``, ``*x`` and ``*x*``."""
    n = item.count("*")
    if item == "*":
        return list(codes)
    if (
        n > 2
        or (n == 1 and item[0] != "*" and item[-1] != "*")
        or (n == 2 and not (item[0] == "*" and item[-1] == "*"))
    ):
        raise ValueError(f"{item!r}: illegal wildcard; the API allows only *, x*, *x and *x*")
    core = item.strip("*").casefold()
    if n == 2:
        return [c for c in codes if core in c.casefold()]
    if item[0] == "*":
        return [c for c in codes if c.casefold().endswith(core)]
    return [c for c in codes if c.casefold().startswith(core)]


def expand_item(item: str, codes: list[str], is_time: bool) -> list[str]:
    """Codes selected by one item of a ``valueCodes`` list, evaluated as PxWebApi's
    SelectionHandler does: a code (case-insensitive) first, then ``?`` (tested before
    ``*``, so in ``20?*`` the star is a literal character), ``*``, ``top``/``bottom``
    (time: the latest/earliest periods), ``range``, ``from``, ``to``.

    Raises ``ValueError`` with a short reason if the item is malformed or names a code
    that does not exist."""
    i = _index_of(codes, item)
    if i >= 0:
        return [codes[i]]
    asc = sorted(codes) if is_time else list(codes)
    desc = sorted(codes, reverse=True) if is_time else list(codes)
    if "?" in item:
        regex = "^" + re.escape(item).replace(r"\?", ".") + "$"
        pattern = re.compile(regex, re.IGNORECASE)
        return [c for c in codes if pattern.match(c)]
    if "*" in item:
        return _wildcard(item, codes)
    if m := _TOP.match(item):
        func, args = m.group(1).lower(), [a.strip() for a in m.group(2).split(",")]
        if not 1 <= len(args) <= 2 or not all(a.isdigit() for a in args) or args[0] == "0":
            raise ValueError(f"{item!r}: expected {func}(N) or {func}(N,offset), N >= 1")
        count, offset = int(args[0]), int(args[1]) if len(args) == 2 else 0
        if func == "top":
            return desc[offset : offset + count]
        end = len(desc) - offset
        return desc[max(end - count, 0) : max(end, 0)]
    m = _FUNC.match(item)
    if not m:
        raise ValueError(f"code {item!r} does not exist")
    func, args = m.group(1).lower(), [a.strip() for a in m.group(2).split(",")]
    if func == "range":
        if len(args) != 2:
            raise ValueError(f"{item!r}: expected range(X,Y)")
        i, j = _index_of(asc, args[0]), _index_of(asc, args[1])
        missing = [a for a, k in zip(args, (i, j), strict=True) if k < 0]
        if missing:
            raise ValueError(f"{item!r}: code(s) {missing} do not exist")
        i, j = min(i, j), max(i, j)
        return asc[i : j + 1]
    if len(args) != 1:
        raise ValueError(f"{item!r}: expected {func}(X)")
    i = _index_of(asc, args[0])
    if i < 0:
        raise ValueError(f"{item!r}: code {args[0]!r} does not exist")
    return asc[i:] if func == "from" else asc[: i + 1]


def expand_selection(expr: str, codes: list[str], is_time: bool) -> list[str]:
    """All codes an expression such as ``"top(2),2018"`` selects, in variable order."""
    chosen: set[str] = set()
    for item in split_items(expr):
        chosen.update(expand_item(item, codes, is_time))
    return [c for c in codes if c in chosen]


def short_list(items: list[str], n: int = 40) -> str:
    """The first ``n`` items, comma-separated, for an error message."""
    shown = ", ".join(items[:n])
    return shown + (f", ... ({len(items)} in all)" if len(items) > n else "")


@dataclass
class Plan:
    """The resolved query: for each dimension (in table order) its expression and codes."""

    dims: list[str]
    expr: dict[str, str]
    codes: dict[str, list[str]]
    codelist: dict[str, str]

    @property
    def cells(self) -> int:
        return math.prod(len(self.codes[d]) for d in self.dims)


def resolve_selection(
    table: str,
    meta: dict[str, Any],
    selection: dict[str, Any],
    source: str = "metadata",
    by_label: dict[str, list[str]] | None = None,
) -> Plan:
    """Check a configured selection against the table metadata and expand it.

    Dimensions the selection does not name get ``"*"``. With code lists, ``meta`` is the
    metadata read with them applied (``/metadata?codelist[VAR]=ID``). ``by_label`` holds
    the codes :func:`resolve_labels` found; a dimension may be selected by codes or by
    labels, not both."""
    value_codes = dict(selection.get("valueCodes") or {})
    for d, codes in (by_label or {}).items():
        if d in value_codes:
            raise StatbankError(
                f"table {table}: dimension {d} is selected both by valueCodes "
                f"({value_codes[d]!r}) and by labels; keep one"
            )
        value_codes[d] = join_items(codes)
    codelist = dict(selection.get("codelist") or {})
    try:
        dims = list(meta["id"])
        dimension = meta["dimension"]
        time_dims = set((meta.get("role") or {}).get("time") or [])
    except (KeyError, TypeError) as exc:
        raise StatbankError(f"{source}: not a JSON-stat2 metadata document ({exc})") from exc
    available = ", ".join(f"{d} ({(dimension.get(d) or {}).get('label', '')})" for d in dims)
    unknown = [v for v in [*value_codes, *codelist] if v not in dims]
    if unknown:
        raise StatbankError(
            f"table {table}: unknown dimension(s) {sorted(set(unknown))}; "
            f"available dimensions: {available}"
        )
    plan = Plan(dims=dims, expr={}, codes={}, codelist=codelist)
    for d in dims:
        codes = category_codes(d, dimension[d], source)
        expr = str(value_codes.get(d, "*"))
        try:
            chosen = expand_selection(expr, codes, d in time_dims)
        except ValueError as exc:
            where = f"code list {codelist[d]}" if d in codelist else f"dimension {d}"
            raise StatbankError(
                f"table {table}: {where}: {exc}; available codes: {short_list(codes)}"
            ) from exc
        if not chosen:
            raise StatbankError(
                f"table {table}: dimension {d}: {expr!r} selects no codes; "
                f"available codes: {short_list(codes)}"
            )
        plan.expr[d], plan.codes[d] = expr, chosen
    return plan


def split_plan(plan: Plan, max_cells: int) -> list[dict[str, str]]:
    """``valueCodes`` of the sub-queries: the plan itself if it fits in ``max_cells``,
    else chunks of the largest dimension (recursively), each sent as explicit codes."""

    def rec(codes: dict[str, list[str]], explicit: frozenset[str]) -> list[dict[str, str]]:
        cells = math.prod(len(v) for v in codes.values())
        splittable = [d for d in plan.dims if len(codes[d]) > 1]
        if cells <= max_cells or not splittable:
            return [{d: join_items(codes[d]) if d in explicit else plan.expr[d] for d in plan.dims}]
        big = max(splittable, key=lambda d: len(codes[d]))
        chunk = max(max_cells // (cells // len(codes[big])), 1)
        out = []
        for i in range(0, len(codes[big]), chunk):
            sub = dict(codes)
            sub[big] = codes[big][i : i + chunk]
            out.extend(rec(sub, explicit | {big}))
        return out

    return rec(dict(plan.codes), frozenset())


def part_codes(plan: Plan, value_codes: dict[str, str]) -> dict[str, list[str]]:
    """The codes one (possibly split) query asks for, per dimension."""
    return {
        d: plan.codes[d] if value_codes[d] == plan.expr[d] else split_items(value_codes[d])
        for d in plan.dims
    }


def get_params(lang: str, value_codes: dict[str, str], codelist: dict[str, str]) -> dict[str, str]:
    """The query string of a GET for one part: ``valueCodes`` items re-joined with the
    comma-holding ones in square brackets, and the code lists."""
    params = {"lang": lang, "outputFormat": "json-stat2"}
    params.update({f"valueCodes[{k}]": join_items(split_items(v)) for k, v in value_codes.items()})
    params.update({f"codelist[{k}]": v for k, v in codelist.items()})
    return params


def post_body(value_codes: dict[str, str], codelist: dict[str, str]) -> dict[str, Any]:
    """The JSON body of a POST for one part (for selections too long for a URL)."""
    sel = []
    for var, expr in value_codes.items():
        item: dict[str, Any] = {"variableCode": var, "valueCodes": split_items(expr)}
        if var in codelist:
            item["codelist"] = codelist[var]
        sel.append(item)
    return {"selection": sel}
