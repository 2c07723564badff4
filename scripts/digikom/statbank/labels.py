"""Selecting by label: the codes that category labels name in a table's metadata (the
codes themselves were never seen here, so the config names labels such as "Kommuner")."""

from __future__ import annotations

from typing import Any

from ..errors import StatbankError
from .jsonstat import category_codes
from .query import short_list


def _norm(text: Any) -> str:
    return " ".join(str(text).split()).casefold()


def dim_labels(meta: dict[str, Any], d: str) -> dict[str, str]:
    """Code -> label of a dimension, in the order of ``category.index`` (the order of
    ``category.label`` carries no meaning)."""
    cat = (meta["dimension"][d].get("category") or {}).get("label") or {}
    codes = category_codes(d, meta["dimension"][d], "metadata")
    return {c: str(cat.get(c, c)) for c in codes}


def _labels_spec(table: str, labels: Any) -> list[tuple[str | None, str]]:
    """``labels`` of the config as (dimension or None, label) pairs: a list of labels
    (searched in every dimension) or a mapping dimension -> label or list of labels."""
    if isinstance(labels, str):
        labels = [labels]
    if isinstance(labels, list):
        return [(None, str(lab)) for lab in labels]
    if isinstance(labels, dict):
        out = []
        for dim, labs in labels.items():
            labs = [labs] if isinstance(labs, str) else list(labs)
            out += [(str(dim), str(lab)) for lab in labs]
        return out
    raise StatbankError(f"table {table}: labels must be a list or a mapping, not {labels!r}")


def available_labels(meta: dict[str, Any], dims: list[str] | None = None) -> str:
    """``dimension (id): label, label, ...; ...`` for error messages (time left out)."""
    time_dims = set((meta.get("role") or {}).get("time") or [])
    parts = []
    for d in dims or list(meta["id"]):
        if d in time_dims and dims is None:
            continue
        name = meta["dimension"][d].get("label") or d
        parts.append(f"{name} ({d}): {short_list(list(dim_labels(meta, d).values()), 20)}")
    return "; ".join(parts)


def resolve_labels(
    table: str,
    meta: dict[str, Any],
    labels: Any,
    other: dict[str, Any] | None = None,
) -> dict[str, list[str]]:
    """Codes selected by category *labels*, read from the table's metadata.

    ``labels`` is a list of labels, each looked up in every dimension, or a mapping from a
    dimension (its id or its label) to labels. Labels match case-insensitively and
    ignoring extra spaces, first in ``meta`` (the fetch language), then in ``other``
    (the same table's metadata in the other language, so ``Kommuner`` also selects
    ``Municipalities`` in English). A label that matches nothing, or categories of more
    than one dimension, stops with a one-line error listing the labels the table has."""
    dims = list(meta["id"])
    metas = [m for m in (meta, other) if m]
    out: dict[str, list[str]] = {}
    for want_dim, label in _labels_spec(table, labels):
        scope = dims
        if want_dim is not None:
            scope = [
                d
                for d in dims
                if _norm(want_dim)
                in {
                    _norm(d),
                    *(
                        _norm(m["dimension"][d].get("label", ""))
                        for m in metas
                        if d in m["dimension"]
                    ),
                }
            ]
            if not scope:
                raise StatbankError(
                    f"table {table}: labels: no dimension {want_dim!r}; available dimensions: "
                    + ", ".join(f"{d} ({meta['dimension'][d].get('label', '')})" for d in dims)
                )
        hits: dict[str, list[str]] = {}
        for m in metas:
            for d in scope:
                if d not in m["dimension"]:
                    continue
                codes = [c for c, lab in dim_labels(m, d).items() if _norm(lab) == _norm(label)]
                if codes:
                    hits.setdefault(d, [])
                    hits[d] += [c for c in codes if c not in hits[d]]
            if hits:
                break
        if not hits:
            raise StatbankError(
                f"table {table}: no category labelled {label!r}"
                + (f" in dimension {want_dim!r}" if want_dim else "")
                + f"; available labels: {available_labels(meta, scope if want_dim else None)}"
            )
        if len(hits) > 1:
            raise StatbankError(
                f"table {table}: the label {label!r} names categories of several dimensions "
                f"({', '.join(hits)}); write labels as {{dimension: [label]}}"
            )
        ((d, codes),) = hits.items()
        out.setdefault(d, [])
        out[d] += [c for c in codes if c not in out[d]]
    return out
