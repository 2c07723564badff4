"""A small PxWebApi v2 stand-in for the tests: a threaded HTTP server on 127.0.0.1.

It serves ``/api/pxwebapi/v2/config``, ``/tables/{id}/metadata``, ``/tables/{id}/data``
(GET with ``valueCodes[VAR]=...`` or POST with a ``selection`` body) and
``/codelists/{id}`` from the JSON fixtures in ``tests/fixtures/statbank``. Data requests
are answered by slicing the fixture's full table to the requested codes (explicit codes,
``*`` and ``top(N)``), enforcing ``maxDataCells`` (403) and the calls-per-window limit
(429), like the real API.

Faults are scripted with :meth:`StatbankServer.add_faults`: the next N data (or any)
responses can be ``429`` (with ``Retry-After``), ``503``, ``slow`` (sleeps past the
client's timeout) or ``malformed`` (a truncated body). Every request is logged in
``server.requests`` so a test can assert that none was made.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent / "fixtures" / "statbank"
PREFIX = "/api/pxwebapi/v2"


def load_fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _codes(dim: dict) -> list[str]:
    index = dim["category"]["index"]
    if isinstance(index, list):
        return list(index)
    return sorted(index, key=index.get)


def slice_dataset(full: dict, selection: dict[str, list[str]]) -> dict:
    """The sub-table of ``full`` for ``selection`` (dimension -> codes/``*``/top(N))."""
    out = copy.deepcopy(full)
    picks = []
    for d, size in zip(full["id"], full["size"], strict=True):
        codes = _codes(full["dimension"][d])
        assert len(codes) == size
        wanted: list[str] = []
        for item in selection.get(d, ["*"]):
            if item == "*":
                wanted += codes
            elif item.lower().startswith("top("):
                n = int(item[4:-1])
                wanted += sorted(codes, reverse=True)[:n]
            elif item in codes:
                wanted.append(item)
            else:
                raise KeyError(f"{d}: {item}")
        keep = [i for i, c in enumerate(codes) if c in set(wanted)]
        picks.append(keep)
        cat = out["dimension"][d]["category"]
        kept = [codes[i] for i in keep]
        cat["index"] = {c: i for i, c in enumerate(kept)}
        cat["label"] = {c: full["dimension"][d]["category"]["label"][c] for c in kept}
        if "unit" in cat:
            cat["unit"] = {c: u for c, u in cat["unit"].items() if c in kept}
    sizes = full["size"]
    strides = [math.prod(sizes[i + 1 :]) for i in range(len(sizes))]
    value, status = full["value"], full.get("status") or {}
    new_values, new_status = {}, {}
    for flat, combo in enumerate(itertools.product(*picks)):
        old = sum(i * s for i, s in zip(combo, strides, strict=True))
        v = value[old] if isinstance(value, list) else value.get(str(old))
        if v is not None:
            new_values[str(flat)] = v
        if str(old) in status:
            new_status[str(flat)] = status[str(old)]
    n = math.prod(len(p) for p in picks)
    if isinstance(value, list):
        out["value"] = [new_values.get(str(i)) for i in range(n)]
    else:
        out["value"] = new_values
    out["size"] = [len(p) for p in picks]
    if new_status:
        out["status"] = new_status
    else:
        out.pop("status", None)
    return out


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that timed out closed the socket before a slow answer


class StatbankServer:
    """Start with ``with StatbankServer() as srv:``; ``srv.base_url`` is the API base."""

    def __init__(self, tables: tuple[str, ...] = ("12019", "14023"), **config_overrides):
        self.config = load_fixture("config.json") | config_overrides
        self.tables = {
            t: (load_fixture(f"{t}_metadata.json"), load_fixture(f"{t}_data.json")) for t in tables
        }
        self.codelists = {"agg_KommSize3": load_fixture("codelist_agg_KommSize3.json")}
        self.requests: list[dict] = []
        self.responses: list[int] = []
        self.faults: list[tuple[str, str]] = []  # (kind, scope) consumed in order
        self.slow_s = 2.0
        self.lock = threading.Lock()
        self.call_times: list[float] = []
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

    def _problem(self, h, code: int, title: str, headers: dict | None = None) -> None:
        self._send(h, code, {"type": "about:blank", "title": title, "status": code}, headers)

    def _handle(self, h, body: bytes | None) -> None:
        parts = urlsplit(h.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        path = parts.path
        with self.lock:
            self.requests.append({"method": h.command, "path": path, "query": query})
            now = time.monotonic()
            self.call_times = [t for t in self.call_times if now - t < self.config["timeWindow"]]
            over_limit = len(self.call_times) >= self.config["maxCallsPerTimeWindow"]
            self.call_times.append(now)
            is_data = path.endswith("/data")
            fault = None
            for i, (_kind, scope) in enumerate(self.faults):
                if scope == "any" or is_data:
                    fault = self.faults.pop(i)[0]
                    break
        if over_limit:
            return self._problem(h, 429, "Too many requests", {"Retry-After": "1"})
        if fault == "429":
            return self._problem(h, 429, "Too many requests", {"Retry-After": "1"})
        if fault == "503":
            return self._problem(h, 503, "Service unavailable")
        if fault == "slow":
            time.sleep(self.slow_s)
        if not path.startswith(PREFIX):
            return self._problem(h, 404, "Not found")
        route = path[len(PREFIX) :].strip("/").split("/")
        if route == ["config"]:
            payload: dict | bytes = self.config
        elif len(route) == 2 and route[0] == "codelists" and route[1] in self.codelists:
            payload = self.codelists[route[1]]
        elif len(route) == 3 and route[0] == "tables" and route[1] in self.tables:
            meta, full = self.tables[route[1]]
            if route[2] == "metadata":
                payload = meta
            elif route[2] == "data":
                if body:
                    sel = {
                        s["variableCode"]: s["valueCodes"] for s in json.loads(body)["selection"]
                    }
                else:
                    sel = {
                        k[len("valueCodes[") : -1]: v.split(",")
                        for k, v in query.items()
                        if k.startswith("valueCodes[")
                    }
                try:
                    payload = slice_dataset(full, sel)
                except KeyError as exc:
                    return self._problem(h, 400, f"Non-existent value: {exc}")
                if math.prod(payload["size"]) > self.config["maxDataCells"]:
                    return self._problem(h, 403, "Too many cells selected")
            else:
                return self._problem(h, 404, "Not found")
        else:
            return self._problem(h, 404, "Not found")
        raw = json.dumps(payload, ensure_ascii=False, indent=1).encode("utf-8")
        if fault == "malformed":
            raw = raw[: len(raw) // 2]
        self._send(h, 200, raw)
