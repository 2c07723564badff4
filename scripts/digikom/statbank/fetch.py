"""Fetching one configured table, start to end (:func:`fetch_table`):

1. Use the cache (:mod:`.cache`) if it holds the query complete and intact: no request.
2. Otherwise read ``/config`` (limits, licence, source line) and the table's metadata
   (with any code lists applied), resolve the labels (:mod:`.labels`) and the selection
   (:mod:`.query`) against it, split the query to fit ``maxDataCells``, and GET (or POST,
   when the URL would be too long) each part as JSON-stat2 through the throttled,
   retrying :class:`~.client.Client`.
3. Check each response against the request (every dimension, exactly the codes asked
   for), then store every part with its provenance sidecar and parse them into one tidy
   frame.
"""

from __future__ import annotations

import functools
import logging
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import requests

from ..errors import StatbankError
from ..io import write_csv, write_json
from .budget import BUDGET_FILE
from .cache import (
    cache_stem,
    check_cache,
    clear_cache,
    part_path,
    query_hash,
    read_cached,
    store,
    table_meta,
)
from .client import Client, OfflineError, source_line
from .jsonstat import category_codes, decode_json, loads_jsonstat2
from .labels import resolve_labels
from .query import (
    Plan,
    get_params,
    part_codes,
    post_body,
    resolve_selection,
    short_list,
    split_plan,
)
from .settings import StatbankSettings

log = logging.getLogger(__package__)

OFFLINE_HINT = (
    "To build the report without StatBank, run with `--config fetch_statbank=false` (the default)."
)
MAX_GET_URL = 2000  # longer selections are sent as POST, as the API guide recommends


def _codelist_metadata(
    client: Client, table: str, meta: dict, codelist: dict[str, str]
) -> dict[str, Any]:
    """The table's metadata with the configured code lists applied, read from
    ``/tables/{id}/metadata?codelist[VAR]=ID`` (the server's own view of the codes and
    cell counts; ``outputValues`` no longer exists). Each code list must be one the
    dimension offers in ``extension.codeLists``."""
    for var, cl_id in codelist.items():
        dim = (meta.get("dimension") or {}).get(var) or {}
        ext = dim.get("extension") or {}
        known = [c.get("id") for c in ext.get("codeLists") or ext.get("codelists") or []]
        if cl_id not in known:
            raise StatbankError(
                f"table {table}: dimension {var} has no code list {cl_id!r}; "
                f"available code lists: {', '.join(map(str, known)) or 'none'}"
            )
    if not codelist:
        return meta
    params = {"lang": client.settings.lang, "outputFormat": "json-stat2"}
    params.update({f"codelist[{k}]": v for k, v in codelist.items()})
    return client.get_json(f"/tables/{table}/metadata", params)


def check_response(
    table: str, obj: dict[str, Any], plan: Plan, value_codes: dict[str, str], url: str
) -> None:
    """Fail unless the response has exactly the dimensions and codes asked for.

    PxWebApi silently eliminates an eliminable dimension whose selection matched nothing
    by its own rules, and may answer with other codes than a client expects; a table
    that then looks complete would be wrong."""
    want = part_codes(plan, value_codes)
    got_dims = list(obj.get("id") or [])
    gone = [d for d in plan.dims if d not in got_dims]
    if gone:
        asked = ", ".join(f"{d} = {value_codes[d]!r}" for d in gone)
        raise StatbankError(
            f"{url}: table {table}: the server eliminated dimension(s) {asked}: by its rules "
            "that selection matched no codes. Select the codes explicitly."
        )
    extra = [d for d in got_dims if d not in plan.dims]
    if extra:
        raise StatbankError(f"{url}: table {table}: unexpected dimension(s) {extra}")
    for d in plan.dims:
        got = category_codes(d, obj["dimension"][d], url)
        if sorted(got) != sorted(want[d]):
            raise StatbankError(
                f"{url}: table {table}: dimension {d}: asked for {short_list(want[d])} "
                f"({value_codes[d]!r}) but got {short_list(got) or 'none'}"
            )


def fetch_table(
    table: str,
    selection: dict[str, Any],
    settings: StatbankSettings,
    raw_dir: str | Path,
    session: requests.Session | None = None,
) -> pd.DataFrame:
    """Fetch (or read from cache) one table as a tidy frame. See the module docstring."""
    raw_dir = Path(raw_dir)
    table = str(table)
    qhash = query_hash(table, settings, selection)
    stem = cache_stem(table, settings, selection)
    files, problems = check_cache(raw_dir, stem)
    if files:
        log.info("table %s: using cached %s (no request)", table, ", ".join(f.name for f in files))
        return read_cached(files, settings.max_cells)
    for p in problems:
        log.warning("cache invalid, refetching: %s", p)

    client = Client(settings, session, budget_file=raw_dir / BUDGET_FILE)
    try:
        cfg = client.load_config()
    except OfflineError as exc:
        if problems:
            raise StatbankError(
                f"cannot refetch table {table}: {exc}. The cached file is corrupt: "
                f"{'; '.join(problems)}. Delete it and fetch again when online. {OFFLINE_HINT}"
            ) from exc
        raise StatbankError(
            f"cannot fetch table {table}: {exc}, and no cached copy "
            f"({raw_dir}/{stem}*.json) exists. {OFFLINE_HINT}"
        ) from exc

    plan, by_label = _plan(client, table, selection)
    queries = split_plan(plan, int(cfg["maxDataCells"]))
    log.info(
        "table %s: %d cells in %d quer%s (maxDataCells=%s)",
        table,
        plan.cells,
        len(queries),
        "y" if len(queries) == 1 else "ies",
        cfg["maxDataCells"],
    )
    # Fetch every part before writing any, so a failure leaves the old cache alone.
    fetched = [_fetch_part(client, table, plan, value_codes) for value_codes in queries]

    clear_cache(raw_dir, stem)
    n = len(fetched)
    paths = []
    fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
    lang = settings.lang
    for i, (raw, url, value_codes, body) in enumerate(fetched, start=1):
        path = part_path(raw_dir, stem, i, n)
        obj = decode_json(raw, url)
        store(
            path,
            raw,
            {
                "table": table,
                "lang": lang,
                "url": url,
                "method": "POST" if body else "GET",
                "body": body,
                "query": {"valueCodes": value_codes, "codelist": plan.codelist},
                "selection": {
                    "valueCodes": selection.get("valueCodes") or {},
                    "codelist": dict(selection.get("codelist") or {}),
                    "labels": selection.get("labels") or {},
                    "codes_by_label": by_label,
                },
                "query_hash": qhash,
                "part": i,
                "parts": n,
                "fetched_at": fetched_at,
                "updated": obj.get("updated"),
                "table_label": obj.get("label"),
                "license": cfg.get("license"),
                "source": source_line(cfg, lang),
                "api_version": cfg.get("apiVersion"),
            },
        )
        log.info("table %s: wrote %s (%d bytes)", table, path, len(raw))
        paths.append(path)
    return read_cached(paths, settings.max_cells)


def _plan(
    client: Client, table: str, selection: dict[str, Any]
) -> tuple[Plan, dict[str, list[str]]]:
    """The resolved query, from the table's metadata (with the code lists applied), and
    the codes the configured labels select."""
    lang = client.settings.lang
    meta = client.get_json(
        f"/tables/{table}/metadata", {"lang": lang, "outputFormat": "json-stat2"}
    )
    codelist = dict(selection.get("codelist") or {})
    meta = _codelist_metadata(client, table, meta, codelist)
    by_label: dict[str, list[str]] = {}
    if selection.get("labels"):
        try:
            by_label = resolve_labels(table, meta, selection["labels"])
        except StatbankError:
            # Not in the fetch language: try the table's labels in the other language.
            other_lang = "en" if lang == "no" else "no"
            params = {"lang": other_lang, "outputFormat": "json-stat2"}
            params.update({f"codelist[{k}]": v for k, v in codelist.items()})
            other = client.get_json(f"/tables/{table}/metadata", params)
            by_label = resolve_labels(table, meta, selection["labels"], other)
        log.info("table %s: labels %s select %s", table, selection["labels"], by_label)
    return resolve_selection(table, meta, selection, f"{table} metadata", by_label), by_label


def _fetch_part(
    client: Client, table: str, plan: Plan, value_codes: dict[str, str]
) -> tuple[bytes, str, dict[str, str], dict[str, Any] | None]:
    """One part of the query, checked: (raw body, URL, its valueCodes, the POST body or
    None for GET)."""
    lang = client.settings.lang
    params = get_params(lang, value_codes, plan.codelist)
    body = None
    url_len = len(requests.Request("GET", client.base, params=params).prepare().url or "")
    if url_len > MAX_GET_URL:
        body = post_body(value_codes, plan.codelist)
        params = {"lang": lang, "outputFormat": "json-stat2"}
    try:
        raw, url = client.request(
            f"/tables/{table}/data",
            params,
            body=body,
            validate=functools.partial(loads_jsonstat2, max_cells=client.settings.max_cells),
        )
    except StatbankError as exc:
        if "too many cells" not in str(exc).casefold():
            raise
        cells = math.prod(len(v) for v in part_codes(plan, value_codes).values())
        raise StatbankError(
            f"{exc}. This query has {cells} cells by the table's metadata and /config "
            f"says maxDataCells={client.api_config['maxDataCells']}; select fewer codes"
        ) from exc
    check_response(table, decode_json(raw, url), plan, value_codes, url)
    return raw, url, value_codes, body


def fetch_table_to_csv(
    table: str,
    selection: dict[str, Any],
    settings: dict[str, Any],
    raw_dir: str,
    out_csv: str,
    out_meta: str | None = None,
) -> pd.DataFrame:
    """Snakemake entry point: fetch one table and write the tidy CSV and (``out_meta``)
    the table's metadata for the report, atomically."""
    s = StatbankSettings.from_config(settings)
    df = fetch_table(table, selection, s, raw_dir)
    write_csv(df, out_csv)
    if out_meta:
        files, problems = check_cache(Path(raw_dir), cache_stem(table, s, selection))
        if not files:
            raise StatbankError(f"table {table}: cache incomplete after fetching: {problems}")
        write_json(out_meta, table_meta(files))
    log.info("table %s: %d rows -> %s", table, len(df), out_csv)
    return df
