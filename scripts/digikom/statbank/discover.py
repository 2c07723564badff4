"""Finding tables and reading their metadata, to write ``statbank.tables`` in the config
from the real codes and labels: ``python -m digikom.statbank search WORDS`` /
``describe ID`` (:func:`main`)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from ..errors import StatbankError
from .client import Client
from .jsonstat import category_codes
from .labels import dim_labels
from .settings import StatbankSettings


def search_tables(
    settings: StatbankSettings, query: str, page_size: int = 50
) -> list[dict[str, Any]]:
    """Tables whose text matches ``query``: ``GET /tables?query=...&lang=...`` (one page
    of ``page_size``), as the API lists them (id, label, firstPeriod, lastPeriod,
    updated, variableNames)."""
    client = Client(settings)
    params = {"query": query, "lang": settings.lang, "pageSize": str(page_size)}
    body = client.get_json("/tables", params)
    tables = body.get("tables")
    if not isinstance(tables, list):
        raise StatbankError(f"{client.base}/tables: the answer has no list 'tables'")
    return tables


def format_search(tables: list[dict[str, Any]]) -> str:
    if not tables:
        return "no tables found"
    lines = []
    for t in tables:
        span = "–".join(dict.fromkeys(str(t[k]) for k in ("firstPeriod", "lastPeriod") if t.get(k)))
        lines.append(f"{t.get('id')}  {t.get('label', '')}" + (f"  [{span}]" if span else ""))
        names = t.get("variableNames") or t.get("variablesName") or []
        if names:
            lines.append(f"       dimensions: {', '.join(map(str, names))}")
    return "\n".join(lines)


def describe_table(settings: StatbankSettings, table: str) -> dict[str, Any]:
    """The table's metadata (``/tables/{id}/metadata``, JSON-stat2) in the settings'
    language, reduced to what a configuration needs."""
    client = Client(settings)
    meta = client.get_json(
        f"/tables/{table}/metadata", {"lang": settings.lang, "outputFormat": "json-stat2"}
    )
    role = meta.get("role") or {}
    dims = []
    for d in meta.get("id") or []:
        dim = meta["dimension"][d]
        ext = dim.get("extension") or {}
        codes = category_codes(d, dim, f"{table} metadata")
        labels = dim_labels(meta, d)
        dims.append(
            {
                "id": d,
                "label": dim.get("label", ""),
                "role": next((r for r in ("time", "metric") if d in (role.get(r) or [])), ""),
                "elimination": bool(ext.get("elimination")),
                "elimination_code": ext.get("eliminationValueCode"),
                "code_lists": [c.get("id") for c in ext.get("codeLists") or []],
                "categories": [(c, labels.get(c, c)) for c in codes],
            }
        )
    time = next((d for d in dims if d["role"] == "time"), None)
    span = (time["categories"][0][0], time["categories"][-1][0]) if time else None
    return {
        "table": str(table),
        "label": meta.get("label", ""),
        "updated": meta.get("updated"),
        "source": meta.get("source"),
        "lang": settings.lang,
        "time_span": span,
        "dimensions": dims,
    }


def format_description(desc: dict[str, Any], max_categories: int = 60) -> str:
    span = "–".join(dict.fromkeys(desc["time_span"])) if desc["time_span"] else "none"
    title = re.sub(rf"^\s*{re.escape(desc['table'])}\s*:\s*", "", desc["label"])
    lines = [
        f"{desc['table']}: {title}",
        f"updated {desc['updated']}; source {desc['source']}; time span {span}; lang {desc['lang']}",
    ]
    for d in desc["dimensions"]:
        elim = "may be left out" if d["elimination"] else "must be selected"
        if d["elimination"] and d["elimination_code"]:
            elim += f" (then {d['elimination_code']})"
        role = f", {d['role']}" if d["role"] else ""
        n = len(d["categories"])
        lines.append(f"\n{d['id']} ({d['label']}{role}): {n} code{'s' * (n != 1)}, {elim}")
        if d["code_lists"]:
            lines.append(f"  code lists: {', '.join(map(str, d['code_lists']))}")
        for code, label in d["categories"][:max_categories]:
            lines.append(f"  {code:<12} {label}")
        if len(d["categories"]) > max_categories:
            lines.append(f"  ... ({len(d['categories'])} in all)")
    return "\n".join(lines)


def _settings_for_cli(args) -> StatbankSettings:
    """Settings from the repository's config (``statbank:``), then ``--statbank-url``
    and ``--lang``."""
    section: dict[str, Any] = {}
    path = Path(args.config)
    if path.exists():
        import yaml

        section = dict(
            (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("statbank") or {}
        )
        section.pop("tables", None)
    if args.statbank_url:
        section["base_url"] = args.statbank_url
    section["lang"] = args.lang
    return StatbankSettings.from_config(section)


def main(argv: list[str] | None = None) -> int:
    """``python -m digikom.statbank search WORDS`` / ``describe ID``."""
    import argparse
    import sys

    ap = argparse.ArgumentParser(
        prog="python -m digikom.statbank",
        description="Find StatBank tables and read their metadata (PxWebApi v2), to write "
        "statbank.tables in the config from the real codes and labels.",
    )
    ap.add_argument("--statbank-url", help="API base (default: statbank.base_url of --config)")
    ap.add_argument("--lang", choices=["no", "en"], default="no", help="labels' language")
    ap.add_argument("--config", default="config/config.yaml", help="config file to read")
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("search", help="search tables: GET /tables?query=...")
    p.add_argument("query", nargs="+", help="words to search for, e.g. IKT kommuner")
    p.add_argument("--page-size", type=int, default=50)
    p = sub.add_parser("describe", help="a table's dimensions, codes, labels, elimination")
    p.add_argument("table", help="table id, e.g. 14023")
    p.add_argument("--json", action="store_true", help="print the description as JSON")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    try:
        settings = _settings_for_cli(args)
        if args.command == "search":
            print(format_search(search_tables(settings, " ".join(args.query), args.page_size)))
        else:
            desc = describe_table(settings, args.table)
            if args.json:
                print(json.dumps(desc, ensure_ascii=False, indent=1))
            else:
                print(format_description(desc))
    except StatbankError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
