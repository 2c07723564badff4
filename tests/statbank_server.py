"""A PxWebApi v2 stand-in for the tests: a threaded HTTP server on 127.0.0.1.

It follows PxWebApi 2.0 (PxTools/PxApiSpecs and the server in PxTools/PxWebApi) where
the client's behaviour depends on it:

* ``/config``, ``/tables/{id}/metadata``, ``/tables/{id}/data`` (GET with
  ``valueCodes[VAR]=...`` and ``codelist[VAR]=...``, or POST with a ``selection`` body) and
  ``/codelists/{id}``, served from the JSON fixtures in ``tests/fixtures/statbank``.
* ``valueCodes`` is split on commas **outside square brackets** and a bracketed item is
  unwrapped, as the server's model binder does: ``range(2018,2022)`` unbracketed is two
  broken items (400), ``[range(2018,2022)]`` is one expression.
* Each item is first matched as a code (case-insensitive), then as an expression, ``?``
  before ``*`` (so in ``2?2*`` the ``*`` is literal); ``*`` only as ``*``, ``x*``, ``*x``,
  ``*x*``; ``top(N[,offset])`` and ``bottom`` take the last/first values of a time
  variable and the first/last of any other; ``range``/``from``/``to`` by position.
* A mandatory variable (``elimination: false``) that is not selected, or whose
  expressions select nothing, is answered with 400 "Missing selection for mandantory
  variable". An eliminable variable left out (or selecting nothing) is **eliminated**: it
  disappears from the response, keeping its ``eliminationValueCode`` (or the sum).
* ``codelist[VAR]=agg_...`` replaces the variable's values by the code list's (values
  summed over ``valueMap``) on both ``/metadata`` and ``/data``.
* Too many cells and an unknown table on ``/data`` are 400, as on the real server; an
  unknown table on ``/metadata`` is 404.
* Calls are counted per fixed window of ``timeWindow`` seconds; beyond
  ``maxCallsPerTimeWindow`` the answer is 429 with ``Retry-After`` = whole seconds left in
  the window.
* ``category.label`` keys are written in label order, not index order (JSON-stat allows
  it; clients must use ``index``).

Faults are scripted with :meth:`StatbankServer.add_faults`: the next N data (or any)
responses can be ``429`` (with ``Retry-After: 1``), ``503``, ``slow`` (sleeps past the
client's timeout) or ``malformed`` (a truncated body). ``tamper`` (a function of the
payload) alters data responses. Every request is logged in ``server.requests``.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent / "fixtures" / "statbank"
PREFIX = "/api/pxwebapi/v2"
TABLES = ("99901", "14023", "12031", "14024", "12957")
CODELISTS = ("agg_KommSize3",)

# The server's split (PxWeb/Code/Api2/ModelBinder/CommaSeparatedStringToListOfStrings.cs):
# a comma followed by no "]" before the next "[" or the end, i.e. a comma outside brackets.
_SPLIT = re.compile(r",(?=[^\]]*(?:\[|$))")
_TOP = re.compile(r"^(top|bottom)\(([1-9]\d*)(?:,(\d+))?\)$", re.IGNORECASE)
_ONE = re.compile(r"^(from|to)\((.+)\)$", re.IGNORECASE)
_RANGE = re.compile(r"^range\(([^,]+),([^,]+)\)$", re.IGNORECASE)


class Problem(Exception):
    def __init__(self, status: int, title: str, detail: str = ""):
        super().__init__(title)
        self.status, self.title, self.detail = status, title, detail


def load_fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def split_value_codes(text: str) -> list[str]:
    out = []
    for item in _SPLIT.split(text):
        item = item.strip()
        if item.startswith("[") and item.endswith("]"):
            item = item[1:-1].strip()
        if item:
            out.append(item)
    return out


def codes_of(dim: dict) -> list[str]:
    index = dim["category"]["index"]
    if isinstance(index, list):
        return list(index)
    return sorted(index, key=index.get)


def select(item: str, codes: list[str], is_time: bool) -> list[str]:
    """Codes one item selects, as PxWebApi's SelectionHandler evaluates it."""
    for c in codes:
        if c.casefold() == item.casefold():
            return [c]
    if "?" in item:
        rx = re.compile("^" + re.escape(item).replace(r"\?", ".") + "$", re.IGNORECASE)
        return [c for c in codes if rx.match(c)]
    if "*" in item:
        n = item.count("*")
        core = item.strip("*").casefold()
        if item == "*":
            return list(codes)
        if (
            n > 2
            or (n == 1 and not (item[0] == "*" or item[-1] == "*"))
            or (n == 2 and not (item[0] == "*" and item[-1] == "*"))
        ):
            raise Problem(400, "Illegal selection expression", item)
        if n == 2:
            return [c for c in codes if core in c.casefold()]
        if item[0] == "*":
            return [c for c in codes if c.casefold().endswith(core)]
        return [c for c in codes if c.casefold().startswith(core)]
    if m := _TOP.match(item):
        count, offset = int(m.group(2)), int(m.group(3) or 0)
        top = m.group(1).lower() == "top"
        seq = list(reversed(codes)) if top == is_time else list(codes)
        return seq[offset : offset + count]
    if m := _RANGE.match(item):
        pos = [_position(a.strip(), codes, item) for a in m.groups()]
        return codes[min(pos) : max(pos) + 1]
    if m := _ONE.match(item):
        i = _position(m.group(2).strip(), codes, item)
        return codes[i:] if m.group(1).lower() == "from" else codes[: i + 1]
    detail = item
    if item.lower().startswith(("top(", "bottom(", "range(")) or item.endswith(")"):
        detail = (
            f"{item}: if the value code or expression contains a comma it should be in "
            "brackets e.g. [TOP(1,12)]"
        )
    raise Problem(400, "Non-existent value", detail)


def _position(code: str, codes: list[str], item: str) -> int:
    for i, c in enumerate(codes):
        if c.casefold() == code.casefold():
            return i
    raise Problem(400, "Non-existent value", item)


def _reorder_labels(cat: dict) -> None:
    """Write ``label`` keys sorted by label text, not in index order."""
    labels = cat.get("label") or {}
    cat["label"] = {c: labels[c] for c in sorted(labels, key=lambda c: (labels[c], c))}


def check_codelist(meta: dict, var: str, cl_id: str) -> None:
    """400 unless the variable offers the code list (``extension.codeLists``)."""
    if var not in meta["dimension"]:
        raise Problem(400, "Non-existent variable", var)
    ext = meta["dimension"][var].get("extension") or {}
    if cl_id not in [c.get("id") for c in ext.get("codeLists") or []]:
        raise Problem(400, "Non-existent codelist", f"{var}: {cl_id}")


def apply_codelist(table: dict, var: str, cl: dict) -> tuple[dict, list[list[str]]]:
    """Metadata of ``table`` with ``var`` replaced by the code list's values, and for each
    new value the old codes it aggregates."""
    out = copy.deepcopy(table)
    cat = out["dimension"][var]["category"]
    cat["index"] = {v["code"]: i for i, v in enumerate(cl["values"])}
    cat["label"] = {v["code"]: v["label"] for v in cl["values"]}
    out["size"][out["id"].index(var)] = len(cl["values"])
    return out, [list(v["valueMap"]) for v in cl["values"]]


def cell_values(full: dict) -> tuple[list, dict[int, str]]:
    n = math.prod(full["size"])
    value, status = full["value"], full.get("status") or {}
    if isinstance(value, dict):
        value = [value.get(str(i)) for i in range(n)]
    if isinstance(status, str):
        status = {i: status for i in range(n)}
    elif isinstance(status, list):
        status = {i: s for i, s in enumerate(status) if s}
    else:
        status = {int(k): s for k, s in status.items()}
    return list(value), status


def answer_data(
    full: dict, selection: dict[str, list[str]], codelists: dict[str, dict], max_cells: int
) -> dict:
    """The JSON-stat2 answer of /data for a parsed selection (variable -> items)."""
    ids, dims = full["id"], full["dimension"]
    time_dims = set((full.get("role") or {}).get("time") or [])
    lower = {d.casefold(): d for d in ids}
    sel = {}
    for var, items in selection.items():
        if var.casefold() not in lower:
            raise Problem(400, "Non-existent variable", var)
        sel[lower[var.casefold()]] = items
    for var in codelists:
        if var not in ids:
            raise Problem(400, "Non-existent variable", var)
    # Per dimension: the list of source groups (old positions) of each output code.
    groups, out_codes = {}, {}
    meta = full
    for var, cl in codelists.items():
        meta, maps = apply_codelist(meta, var, cl)
        old = codes_of(dims[var])
        groups[var] = [[old.index(c) for c in m] for m in maps]
    for d in ids:
        codes = codes_of(meta["dimension"][d])
        groups.setdefault(d, [[i] for i in range(len(codes))])
        ext = dims[d].get("extension") or {}
        mandatory = ext.get("elimination") is False
        chosen: set[str] = set()
        for item in sel.get(d, []):
            chosen.update(select(item, codes, d in time_dims))
        keep = [i for i, c in enumerate(codes) if c in chosen]
        if not keep and mandatory:
            raise Problem(400, "Missing selection for mandantory variable", d)
        out_codes[d] = keep
    cells = math.prod(len(k) or 1 for k in out_codes.values())
    if cells > max_cells:
        raise Problem(400, "Too many cells selected", "Too many cells selected")

    # Eliminated dimensions: the elimination value if any, else the sum of all values.
    kept_dims = [d for d in ids if out_codes[d]]
    axes = []
    for d in ids:
        codes = codes_of(meta["dimension"][d])
        if out_codes[d]:
            axes.append([groups[d][i] for i in out_codes[d]])
            continue
        elim = (dims[d].get("extension") or {}).get("eliminationValueCode")
        old = codes_of(dims[d])
        axes.append([[old.index(elim)]] if elim in old else [list(range(len(old)))])
    sizes = full["size"]
    strides = [math.prod(sizes[i + 1 :]) for i in range(len(sizes))]
    values, status = cell_values(full)
    new_values, new_status = [], {}
    for flat, combo in enumerate(itertools.product(*axes)):
        total, symbol = 0.0, None
        for cell in itertools.product(*combo):
            old = sum(i * s for i, s in zip(cell, strides, strict=True))
            if values[old] is None:
                symbol = symbol or status.get(old, "..")
            else:
                total += values[old]
        new_values.append(None if symbol else round(total, 1))
        if symbol:
            new_status[str(flat)] = symbol

    out = {k: copy.deepcopy(v) for k, v in full.items() if k not in ("value", "status")}
    out["id"] = kept_dims
    out["size"] = [len(out_codes[d]) for d in kept_dims]
    out["dimension"] = {}
    out["role"] = {k: [d for d in v if d in kept_dims] for k, v in (full.get("role") or {}).items()}
    for d in kept_dims:
        src = meta["dimension"][d]
        codes = codes_of(src)
        kept = [codes[i] for i in out_codes[d]]
        dim = copy.deepcopy(src)
        cat = dim["category"]
        cat["index"] = {c: i for i, c in enumerate(kept)}
        cat["label"] = {c: src["category"]["label"][c] for c in kept}
        if "unit" in cat:
            cat["unit"] = {c: u for c, u in cat["unit"].items() if c in kept}
        _reorder_labels(cat)
        out["dimension"][d] = dim
    out["value"] = new_values
    if new_status:
        out["status"] = new_status
    return out


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that timed out closed the socket before a slow answer


class StatbankServer:
    """Start with ``with StatbankServer() as srv:``; ``srv.base_url`` is the API base.

    Keyword arguments override keys of ``/config``; ``enforce_cells`` and
    ``enforce_calls`` make the server enforce other limits than the ones it advertises."""

    def __init__(
        self, tables: tuple[str, ...] = TABLES, enforce_cells=None, enforce_calls=None, **config
    ):
        self.config = load_fixture("config.json") | config
        # Per table and language (no, en): (metadata, data). A table without English
        # fixtures answers lang=en in Norwegian.
        self.tables = {}
        for t in tables:
            no = (load_fixture(f"{t}_metadata.json"), load_fixture(f"{t}_data.json"))
            en = no
            if (FIXTURES / f"{t}_metadata.en.json").exists():
                en = (load_fixture(f"{t}_metadata.en.json"), load_fixture(f"{t}_data.en.json"))
            self.tables[t] = {"no": no, "en": en}
        self.codelists = {c: load_fixture(f"codelist_{c}.json") for c in CODELISTS}
        self.enforce_cells = enforce_cells or self.config["maxDataCells"]
        self.enforce_calls = enforce_calls or self.config["maxCallsPerTimeWindow"]
        self.requests: list[dict] = []
        self.responses: list[int] = []
        self.faults: list[tuple[str, str]] = []  # (kind, scope) consumed in order
        self.tamper = None  # optional function altering data payloads
        self.slow_s = 2.0
        self.lock = threading.Lock()
        self.window_start = 0.0
        self.window_calls = 0
        self.httpd: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    # -- control
    def add_faults(self, kind: str, n: int = 1, scope: str = "data") -> None:
        """Make the next ``n`` matching responses fail: kind in 429/503/slow/malformed;
        scope "data" (data requests only) or "any"."""
        with self.lock:
            self.faults += [(kind, scope)] * n

    @property
    def base_url(self) -> str:
        assert self.httpd is not None
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}{PREFIX}"

    def start(self) -> StatbankServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_GET(self):
                server._handle(self, None)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                server._handle(self, self.rfile.read(length))

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def __enter__(self) -> StatbankServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- request handling
    def _send(self, h, code: int, body: bytes | dict, headers: dict | None = None) -> None:
        if isinstance(body, dict):
            body = json.dumps(body, ensure_ascii=False).encode("utf-8")
        with self.lock:
            self.responses.append(code)
        h.send_response(code)
        h.send_header("Content-Type", "application/json; charset=UTF-8")
        h.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    def _problem(self, h, code: int, title: str, detail: str = "", headers=None) -> None:
        body = {"type": "Parameter error", "title": title, "status": code}
        if detail:
            body["detail"] = detail
        self._send(h, code, body, headers)

    def _rate_limited(self) -> int | None:
        """Seconds to wait if this call is over the fixed window's budget, else None."""
        now = time.monotonic()
        window = float(self.config["timeWindow"])
        if now - self.window_start >= window:
            self.window_start, self.window_calls = now, 0
        self.window_calls += 1
        if self.window_calls > self.enforce_calls:
            return max(math.ceil(self.window_start + window - now), 1)
        return None

    def _handle(self, h, body: bytes | None) -> None:
        parts = urlsplit(h.path)
        raw_query = parse_qs(parts.query)
        query = {k: v[-1] for k, v in raw_query.items()}
        path = parts.path
        with self.lock:
            self.requests.append({"method": h.command, "path": path, "query": query})
            wait = self._rate_limited()
            is_data = path.endswith("/data")
            fault = None
            for i, (_kind, scope) in enumerate(self.faults):
                if scope == "any" or is_data:
                    fault = self.faults.pop(i)[0]
                    break
        if wait is not None:
            return self._problem(h, 429, "Too many requests", headers={"Retry-After": str(wait)})
        if fault == "429":
            return self._problem(h, 429, "Too many requests", headers={"Retry-After": "1"})
        if fault == "503":
            return self._problem(h, 503, "Service unavailable")
        if fault == "slow":
            time.sleep(self.slow_s)
        try:
            payload = self._route(path, query, body)
        except Problem as p:
            return self._problem(h, p.status, p.title, p.detail)
        raw = json.dumps(payload, ensure_ascii=False, indent=1).encode("utf-8")
        if fault == "malformed":
            raw = raw[: len(raw) // 2]
        self._send(h, 200, raw)

    def _table_item(self, table: str, lang: str) -> dict:
        """A table as ``/tables`` and ``/tables/{id}`` describe it (PxApiSpecs: Table)."""
        meta = self.tables[table][lang][0]
        time = (meta.get("role") or {}).get("time") or []
        periods = codes_of(meta["dimension"][time[0]]) if time else []
        return {
            "type": "Table",
            "id": table,
            "label": meta["label"],
            "description": "",
            "updated": meta.get("updated"),
            "firstPeriod": periods[0] if periods else None,
            "lastPeriod": periods[-1] if periods else None,
            "category": "public",
            "variableNames": [meta["dimension"][d]["label"] for d in meta["id"]],
            "discontinued": False,
            "source": meta.get("source"),
            "links": [
                {"rel": "self", "hreflang": lang, "href": f"{PREFIX}/tables/{table}?lang={lang}"},
                {
                    "rel": "metadata",
                    "hreflang": lang,
                    "href": f"{PREFIX}/tables/{table}/metadata?lang={lang}",
                },
            ],
        }

    def _search(self, query: dict[str, str], lang: str) -> dict:
        """``GET /tables?query=...``: tables whose id, title or variable names contain
        every word of the query (case-insensitive), paged by pageNumber/pageSize."""
        words = (query.get("query") or "").casefold().split()
        hits = []
        for t in self.tables:
            item = self._table_item(t, lang)
            text = " ".join([t, item["label"], *item["variableNames"]]).casefold()
            if all(w in text for w in words):
                hits.append(item)
        try:
            size = int(query.get("pageSize") or 20)
            number = int(query.get("pageNumber") or 1)
        except ValueError as exc:
            raise Problem(400, "Bad paging parameter", str(exc)) from exc
        if size < 1 or number < 1:
            raise Problem(400, "Bad paging parameter")
        pages = max(math.ceil(len(hits) / size), 1)
        return {
            "language": lang,
            "tables": hits[(number - 1) * size : number * size],
            "page": {
                "pageNumber": number,
                "pageSize": size,
                "totalElements": len(hits),
                "totalPages": pages,
                "links": [],
            },
            "links": [],
        }

    def _codelist_args(self, pairs: dict[str, str]) -> dict[str, dict]:
        out = {}
        for var, cl_id in pairs.items():
            if cl_id not in self.codelists:
                raise Problem(400, "Non-existent codelist", cl_id)
            out[var] = self.codelists[cl_id]
        return out

    def _route(self, path: str, query: dict[str, str], body: bytes | None) -> dict:
        if not path.startswith(PREFIX):
            raise Problem(404, "Not found")
        route = path[len(PREFIX) :].strip("/").split("/")
        if route == ["config"]:
            return self.config
        if len(route) == 2 and route[0] == "codelists":
            if route[1] not in self.codelists:
                raise Problem(404, "Non-existent codelist")
            return self.codelists[route[1]]
        lang = query.get("lang") or self.config.get("defaultLanguage") or "no"
        if lang not in [x["id"] for x in self.config["languages"]]:
            raise Problem(400, "Unsupported language", lang)
        if route == ["tables"]:
            return self._search(query, lang)
        if len(route) == 2 and route[0] == "tables":
            if route[1] not in self.tables:
                raise Problem(404, "Non-existent table", route[1])
            return self._table_item(route[1], lang)
        if len(route) != 3 or route[0] != "tables" or route[2] not in ("metadata", "data"):
            raise Problem(404, "Not found")
        is_data = route[2] == "data"
        if route[1] not in self.tables:
            raise Problem(400 if is_data else 404, "Non-existent table", route[1])
        meta, full = self.tables[route[1]][lang]

        def bracketed(prefix: str) -> dict[str, str]:
            return {k[len(prefix) : -1]: v for k, v in query.items() if k.startswith(prefix)}

        codelist = bracketed("codelist[")
        if not is_data:
            out = meta
            for var, cl in self._codelist_args(codelist).items():
                check_codelist(meta, var, cl["id"])
                out, _ = apply_codelist(out, var, cl)
            out = copy.deepcopy(out)
            for dim in out["dimension"].values():
                _reorder_labels(dim["category"])
            return out
        if body:
            sel, codelist = {}, {}
            for s in json.loads(body)["selection"]:
                sel[s["variableCode"]] = [str(v) for v in s["valueCodes"]]
                if s.get("codelist"):
                    codelist[s["variableCode"]] = s["codelist"]
        else:
            sel = {k: split_value_codes(v) for k, v in bracketed("valueCodes[").items()}
        if not sel:
            raise Problem(400, "Missing selection for mandantory variable")
        for var, cl_id in codelist.items():
            check_codelist(meta, var, cl_id)
        payload = answer_data(full, sel, self._codelist_args(codelist), self.enforce_cells)
        return self.tamper(payload) if self.tamper else payload
