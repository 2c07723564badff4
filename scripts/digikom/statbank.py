"""Client for SSB's StatBank through PxWebApi v2, with an immutable on-disk cache.

One call, :func:`fetch_table`, does the whole job for one configured table:

1. Look for a complete, intact cache of the query under ``raw_dir``
   (``{table}_{lang}_{queryhash}[_partN].json`` plus a ``.meta.json`` sidecar each). If
   every file's sha256 matches its sidecar, the cache is used and no request is made.
2. Otherwise read ``{base_url}/config`` (limits, license, source line) and the table's
   metadata (with any code lists applied: ``/metadata?codelist[VAR]=ID``), check that the
   requested dimensions and codes exist (selection expressions ``*``, ``?``,
   ``top(N[,offset])``, ``bottom(N[,offset])``, ``range(X,Y)``, ``from(X)``, ``to(X)`` are
   evaluated as PxWebApi does), split the query along its largest dimension if it exceeds
   ``maxDataCells``, and GET each part as JSON-stat2 (expressions with a comma in square
   brackets), within one call budget shared by all processes (:class:`CallBudget`),
   honouring 429 ``Retry-After`` and retrying 5xx, timeouts and malformed bodies with
   exponential backoff (tenacity) within ``max_total_wait_s``.
3. Check each response against the request (every dimension, exactly the codes asked
   for), store each raw body byte-for-byte with its sidecar (atomic writes), parse all
   parts with :mod:`digikom.jsonstat` and merge them into one tidy frame.

Why not pxwebpy: see docs/statbank.md.
"""

from __future__ import annotations

import contextlib
import email.utils
import fcntl
import hashlib
import json
import logging
import math
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import requests
import tenacity

from .errors import StatbankError
from .io import sha256_file, write_bytes, write_csv, write_json
from .jsonstat import category_codes, loads_jsonstat2, parse_jsonstat2

log = logging.getLogger("digikom.statbank")

OFFLINE_HINT = (
    "To build the report without StatBank, run with `--config fetch_statbank=false` (the default)."
)
MAX_GET_URL = 2000  # longer selections are sent as POST, as the API guide recommends
BUDGET_FILE = ".api_budget.json"  # shared call budget in raw_dir (see CallBudget)


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Settings:
    """The ``statbank`` section of the config (defaults as in the config schema)."""

    base_url: str = "https://data.ssb.no/api/pxwebapi/v2"
    lang: str = "no"
    timeout_s: float = 30.0
    max_total_wait_s: float = 300.0
    retries: int = 6
    backoff_s: float = 1.0

    @classmethod
    def from_config(cls, section: dict[str, Any]) -> Settings:
        keys = cls.__dataclass_fields__
        return cls(**{k: v for k, v in section.items() if k in keys and v is not None})


def query_hash(table: str, settings: Settings, selection: dict[str, Any]) -> str:
    """Stable 12-hex-digit hash of everything that determines the response."""
    key = {
        "base_url": settings.base_url.rstrip("/"),
        "table": str(table),
        "lang": settings.lang,
        "valueCodes": dict(sorted((selection.get("valueCodes") or {}).items())),
        "codelist": dict(sorted((selection.get("codelist") or {}).items())),
    }
    if selection.get("labels"):
        key["labels"] = selection["labels"]
    blob = json.dumps(key, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:12]


# --------------------------------------------------------------- selection expressions


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


def _short_list(items: list[str], n: int = 40) -> str:
    shown = ", ".join(items[:n])
    return shown + (f", ... ({len(items)} in all)" if len(items) > n else "")


def _norm(text: Any) -> str:
    return " ".join(str(text).split()).casefold()


def _dim_labels(meta: dict[str, Any], d: str) -> dict[str, str]:
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
        parts.append(f"{name} ({d}): {_short_list(list(_dim_labels(meta, d).values()), 20)}")
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
                codes = [c for c, lab in _dim_labels(m, d).items() if _norm(lab) == _norm(label)]
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
                f"table {table}: {where}: {exc}; available codes: {_short_list(codes)}"
            ) from exc
        if not chosen:
            raise StatbankError(
                f"table {table}: dimension {d}: {expr!r} selects no codes; "
                f"available codes: {_short_list(codes)}"
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


# ------------------------------------------------------------------------------ HTTP


class OfflineError(StatbankError):
    """The server could not be reached at all (no network, refused, DNS failure)."""


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _problem_detail(resp: requests.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:200]
    if isinstance(body, dict):
        parts = [str(body.get(k)) for k in ("title", "detail") if body.get(k)]
        return "; ".join(parts) or json.dumps(body, ensure_ascii=False)[:200]
    return str(body)[:200]


class CallBudget:
    """At most ``max_calls`` requests start within any ``window`` seconds.

    The start times (and the limits last read from ``/config``) live in a small JSON file
    guarded by an exclusive ``flock``, so every process that uses the same file shares one
    budget: parallel Snakemake fetch jobs (``--cores all``) together stay under SSB's
    per-IP limit, and so do runs that follow each other within a window. ``path=None``
    keeps the budget in memory (one process). ``MARGIN_S`` covers the time between our
    clock and the server's."""

    MARGIN_S = 0.25
    KEEP_S = 300.0  # how long start times are kept while the limits are not known yet

    def __init__(self, path: Path | None, max_calls: int = 0, window: float = 0.0):
        self.path = path
        self.max_calls = max_calls
        self.window = window
        self.state: dict[str, Any] = {}

    @contextlib.contextmanager
    def _locked(self):
        if self.path is None:
            yield self.state
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                fh.seek(0)
                try:
                    state = json.loads(fh.read() or "{}")
                    state = state if isinstance(state, dict) else {}
                except ValueError:
                    state = {}  # a damaged budget file only costs one window
                yield state
                fh.seek(0)
                fh.truncate()
                fh.write(json.dumps(state))
                fh.flush()
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def set_limits(self, max_calls: int, window: float) -> None:
        self.max_calls, self.window = max_calls, window
        with self._locked() as state:
            state["limits"] = [max_calls, window]

    def acquire(self) -> None:
        """Wait until one more call fits in the budget, and book it."""
        while True:
            with self._locked() as state:
                max_calls, window = self.max_calls, self.window
                if max_calls <= 0 or window <= 0:  # not read yet: the last known limits
                    max_calls, window = state.get("limits") or (0, 0.0)
                span = window + self.MARGIN_S if window > 0 else self.KEEP_S
                now = time.time()
                stamps = [float(t) for t in state.get("stamps") or []]
                stamps = [t for t in stamps if now - span < t <= now + 1]
                if max_calls <= 0 or len(stamps) < max_calls:
                    state["stamps"] = [*stamps, now]
                    return
                state["stamps"] = stamps
                wait = span - (now - min(stamps))
            log.info(
                "throttling: %d calls in %.0f s (budget %s), waiting %.2f s",
                len(stamps),
                window,
                self.path or "in memory",
                wait,
            )
            time.sleep(max(wait, 0.01))


class _Retryable(Exception):
    """A failed attempt worth repeating (429, 5xx, timeout, malformed body)."""

    def __init__(self, problem: str, retry_after: float | None = None):
        super().__init__(problem)
        self.problem, self.retry_after = problem, retry_after


def _client_error(url: str, path: str, code: int, resp: requests.Response) -> str:
    """The message for a 4xx other than 429, worded for what PxWebApi actually answers:
    400 for a bad selection, for too many cells and for an unknown table on /data;
    404 for an unknown table on /metadata."""
    detail = _problem_detail(resp)
    table = path.split("/")[2] if path.startswith("/tables/") else ""
    low = detail.casefold()
    if code == 400 and "too many cells" in low:
        hint = "the server counts more cells than its maxDataCells"
    elif "non-existent table" in low or (code == 404 and table):
        hint = f"table {table} does not exist on this server" if table else "unknown table"
    elif code == 400:
        hint = "the server rejected the query"
    elif code == 404:
        hint = "unknown endpoint"
    else:
        hint = "client error"
    return f"{url}: HTTP {code} ({hint}): {detail}"


class Client:
    """A small PxWebApi v2 client: throttled (shared budget), retrying, bounded in time."""

    def __init__(
        self,
        settings: Settings,
        session: requests.Session | None = None,
        budget_file: Path | None = None,
    ):
        self.settings = settings
        self.base = settings.base_url.rstrip("/")
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", "digikom (github: digikom pipeline)")
        self.budget = CallBudget(budget_file)
        self.api_config: dict[str, Any] = {}

    def _attempt(self, url: str, path: str, params, body, validate) -> tuple[bytes, str]:
        s = self.settings
        self.budget.acquire()
        try:
            if body is None:
                resp = self.session.get(url, params=params, timeout=s.timeout_s)
            else:
                resp = self.session.post(url, params=params, json=body, timeout=s.timeout_s)
        except requests.exceptions.Timeout as exc:
            raise _Retryable(f"no response within timeout_s={s.timeout_s}") from exc
        except requests.exceptions.ConnectionError as exc:
            raise OfflineError(f"{url}: cannot connect ({exc.__class__.__name__})") from exc
        except requests.exceptions.RequestException as exc:
            raise StatbankError(f"{url}: request failed: {exc}") from exc
        code = resp.status_code
        if code == 200:
            try:
                if validate:
                    validate(resp.content, resp.url)
            except StatbankError as exc:
                raise _Retryable(f"malformed response body ({exc})") from exc
            return resp.content, resp.url
        if code == 429:
            wait = _retry_after(resp.headers.get("Retry-After"))
            raise _Retryable("HTTP 429 Too Many Requests", wait)
        if code >= 500:
            wait = _retry_after(resp.headers.get("Retry-After"))
            raise _Retryable(f"HTTP {code} server error", wait)
        raise StatbankError(_client_error(resp.url, path, code, resp))

    def request(
        self,
        path: str,
        params: dict[str, str],
        body: dict | None = None,
        validate=None,
    ) -> tuple[bytes, str]:
        """GET (or POST with ``body``) ``base + path``; return (raw bytes, URL).

        429, 5xx, timeouts and bodies that ``validate(raw, url)`` rejects are retried with
        tenacity: waiting ``Retry-After`` when the server sends one, else
        ``backoff_s * 2**n``; at most ``retries`` times and never past
        ``max_total_wait_s`` since the first attempt."""
        s = self.settings
        url = self.base + path

        def wait(rs: tenacity.RetryCallState) -> float:
            exc = rs.outcome.exception() if rs.outcome else None
            if isinstance(exc, _Retryable) and exc.retry_after is not None:
                return exc.retry_after
            return s.backoff_s * 2 ** (rs.attempt_number - 1)

        def too_long(rs: tenacity.RetryCallState) -> bool:
            return (rs.seconds_since_start or 0) + rs.upcoming_sleep > s.max_total_wait_s

        def give_up(rs: tenacity.RetryCallState):
            exc = rs.outcome.exception()
            n, elapsed = rs.attempt_number, rs.seconds_since_start or 0.0
            if n > s.retries:
                raise StatbankError(
                    f"{url}: giving up after {n} attempts in {elapsed:.1f} s; "
                    f"last problem: {exc.problem}"
                ) from exc
            raise StatbankError(
                f"{url}: giving up after {n} attempts in {elapsed:.1f} s: waiting "
                f"{rs.upcoming_sleep:.1f} s more would exceed "
                f"max_total_wait_s={s.max_total_wait_s}; last problem: {exc.problem}"
            ) from exc

        def before_sleep(rs: tenacity.RetryCallState) -> None:
            exc = rs.outcome.exception()
            log.warning(
                "%s: %s; retry %d in %.1f s", url, exc.problem, rs.attempt_number, rs.upcoming_sleep
            )

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_Retryable),
            wait=wait,
            stop=lambda rs: rs.attempt_number > s.retries or too_long(rs),
            retry_error_callback=give_up,
            before_sleep=before_sleep,
            sleep=time.sleep,
        )
        return retrying(self._attempt, url, path, params, body, validate)

    def get_json(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        def check(raw: bytes, url: str) -> None:
            _decode(raw, url)

        raw, url = self.request(path, params or {}, validate=check)
        return _decode(raw, url)

    def load_config(self) -> dict[str, Any]:
        cfg = self.get_json("/config")
        try:
            max_calls = int(cfg.get("maxCallsPerTimeWindow") or 0)
            window = float(cfg.get("timeWindow") or 0)
            int(cfg["maxDataCells"])
        except (KeyError, TypeError, ValueError) as exc:
            raise StatbankError(f"{self.base}/config: missing or bad limits ({exc})") from exc
        self.budget.set_limits(max_calls, window)
        self.api_config = cfg
        log.info(
            "API limits: maxDataCells=%s, %s calls per %s s",
            cfg["maxDataCells"],
            max_calls,
            window,
        )
        return cfg


def _decode(raw: bytes, source: str) -> dict[str, Any]:
    try:
        obj = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StatbankError(f"{source}: not valid JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise StatbankError(f"{source}: expected a JSON object")
    return obj


def source_line(cfg: dict[str, Any], lang: str) -> str:
    refs = cfg.get("sourceReferences") or []
    for ref in refs:
        if isinstance(ref, dict) and ref.get("language") == lang:
            return str(ref.get("text", ""))
    return str(refs[0].get("text", "")) if refs and isinstance(refs[0], dict) else ""


# ----------------------------------------------------------------------------- cache


def _part_paths(raw_dir: Path, stem: str) -> list[Path]:
    single = raw_dir / f"{stem}.json"
    parts = sorted(
        raw_dir.glob(f"{stem}_part*.json"),
        key=lambda p: int(re.sub(r"\D", "", p.stem.rsplit("_part", 1)[1]) or 0),
    )
    parts = [p for p in parts if not p.name.endswith(".meta.json")]
    return ([single] if single.exists() else []) + parts


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name[: -len(".json")] + ".meta.json")


def check_cache(raw_dir: Path, stem: str) -> tuple[list[Path] | None, list[str]]:
    """(the cached files if complete and intact, else None; the problems found)."""
    files = _part_paths(raw_dir, stem)
    if not files:
        return None, []
    problems = []
    expected = None
    for path in files:
        meta_path = sidecar_path(path)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            want, parts = meta["sha256"], int(meta["parts"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            problems.append(f"{path}: sidecar {meta_path.name} missing or unreadable ({exc})")
            continue
        expected = parts if expected is None else expected
        got = sha256_file(path)
        if got != want:
            problems.append(
                f"{path}: sha256 {got[:12]}... does not match its sidecar {want[:12]}..."
            )
    if expected is not None and expected != len(files):
        problems.append(f"{raw_dir}/{stem}*: {len(files)} file(s) cached but {expected} expected")
    return (None if problems else files), problems


def _merge(frames: list[pd.DataFrame], dims: list[str], source: str) -> pd.DataFrame:
    """Concatenate parts and restore row-major order of the whole table."""
    if len(frames) == 1:
        return frames[0]
    df = pd.concat(frames, ignore_index=True)
    if not dims:
        return df
    if df.duplicated(subset=dims).any():
        raise StatbankError(f"{source}: the cached parts overlap (duplicate cells)")
    keys = {d: {c: i for i, c in enumerate(dict.fromkeys(df[d]))} for d in dims}
    order = df[dims].apply(lambda col: col.map(keys[col.name]))
    return df.loc[order.sort_values(dims, kind="stable").index].reset_index(drop=True)


def read_cached(files: list[Path]) -> pd.DataFrame:
    frames, dims = [], []
    for path in files:
        raw = path.read_bytes()
        obj = _decode(raw, str(path))
        frames.append(parse_jsonstat2(obj, str(path)))
        dims = list(obj.get("id") or [])
    return _merge(frames, dims, str(files[0]))


# ------------------------------------------------------------------------------ main


def _params(lang: str, value_codes: dict[str, str], codelist: dict[str, str]) -> dict[str, str]:
    params = {"lang": lang, "outputFormat": "json-stat2"}
    params.update({f"valueCodes[{k}]": join_items(split_items(v)) for k, v in value_codes.items()})
    params.update({f"codelist[{k}]": v for k, v in codelist.items()})
    return params


def _post_body(value_codes: dict[str, str], codelist: dict[str, str]) -> dict[str, Any]:
    sel = []
    for var, expr in value_codes.items():
        item: dict[str, Any] = {"variableCode": var, "valueCodes": split_items(expr)}
        if var in codelist:
            item["codelist"] = codelist[var]
        sel.append(item)
    return {"selection": sel}


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


def _part_codes(plan: Plan, value_codes: dict[str, str]) -> dict[str, list[str]]:
    """The codes one (possibly split) query asks for, per dimension."""
    return {
        d: plan.codes[d] if value_codes[d] == plan.expr[d] else split_items(value_codes[d])
        for d in plan.dims
    }


def check_response(
    table: str, obj: dict[str, Any], plan: Plan, value_codes: dict[str, str], url: str
) -> None:
    """Fail unless the response has exactly the dimensions and codes asked for.

    PxWebApi silently eliminates an eliminable dimension whose selection matched nothing
    by its own rules, and may answer with other codes than a client expects; a table
    that then looks complete would be wrong."""
    want = _part_codes(plan, value_codes)
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
                f"{url}: table {table}: dimension {d}: asked for {_short_list(want[d])} "
                f"({value_codes[d]!r}) but got {_short_list(got) or 'none'}"
            )


def fetch_table(
    table: str,
    selection: dict[str, Any],
    settings: Settings,
    raw_dir: str | Path,
    session: requests.Session | None = None,
) -> pd.DataFrame:
    """Fetch (or read from cache) one table as a tidy frame. See the module docstring."""
    raw_dir = Path(raw_dir)
    table = str(table)
    qhash = query_hash(table, settings, selection)
    stem = f"{table}_{settings.lang}_{qhash}"
    files, problems = check_cache(raw_dir, stem)
    if files:
        log.info("table %s: using cached %s (no request)", table, ", ".join(f.name for f in files))
        return read_cached(files)
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

    lang = settings.lang
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
    plan = resolve_selection(table, meta, selection, f"{table} metadata", by_label)
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
    fetched = []
    for value_codes in queries:
        params = _params(lang, value_codes, plan.codelist)
        body = None
        url_len = len(requests.Request("GET", client.base, params=params).prepare().url or "")
        if url_len > MAX_GET_URL:
            body = _post_body(value_codes, plan.codelist)
            params = {"lang": lang, "outputFormat": "json-stat2"}
        try:
            raw, url = client.request(
                f"/tables/{table}/data", params, body=body, validate=loads_jsonstat2
            )
        except StatbankError as exc:
            if "too many cells" not in str(exc).casefold():
                raise
            cells = math.prod(len(v) for v in _part_codes(plan, value_codes).values())
            raise StatbankError(
                f"{exc}. This query has {cells} cells by the table's metadata and /config "
                f"says maxDataCells={cfg['maxDataCells']}; select fewer codes"
            ) from exc
        check_response(table, _decode(raw, url), plan, value_codes, url)
        fetched.append((raw, url, value_codes, body))

    for old in _part_paths(raw_dir, stem):
        old.unlink()
        sidecar_path(old).unlink(missing_ok=True)
    n = len(fetched)
    paths = []
    fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
    for i, (raw, url, value_codes, body) in enumerate(fetched, start=1):
        path = raw_dir / (f"{stem}.json" if n == 1 else f"{stem}_part{i}.json")
        write_bytes(path, raw)
        obj = _decode(raw, url)
        write_json(
            sidecar_path(path),
            {
                "file": path.name,
                "table": table,
                "lang": lang,
                "url": url,
                "method": "POST" if body else "GET",
                "body": body,
                "query": {"valueCodes": value_codes, "codelist": plan.codelist},
                "selection": {
                    "valueCodes": selection.get("valueCodes") or {},
                    "codelist": codelist,
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
                "sha256": sha256_file(path),
                "bytes": len(raw),
            },
        )
        log.info("table %s: wrote %s (%d bytes)", table, path, len(raw))
        paths.append(path)
    return read_cached(paths)


def table_meta(files: list[Path]) -> dict[str, Any]:
    """What the report needs to know about a fetched table, from its cached raw
    response(s) and sidecars: title, source, ``updated``, licence, and per dimension its
    label, role, codes (in table order), category labels, units and elimination code."""
    objs = [_decode(f.read_bytes(), str(f)) for f in files]
    sides = [json.loads(sidecar_path(f).read_text(encoding="utf-8")) for f in files]
    first = objs[0]
    role = first.get("role") or {}
    dims = []
    for d in first.get("id") or []:
        codes: dict[str, None] = {}
        labels: dict[str, str] = {}
        units: dict[str, Any] = {}
        for obj in objs:
            dim = obj["dimension"][d]
            for c in category_codes(d, dim, str(files[0])):
                codes[c] = None
            cat = dim.get("category") or {}
            labels.update({str(k): str(v) for k, v in (cat.get("label") or {}).items()})
            units.update(cat.get("unit") or {})
        dim = first["dimension"][d]
        dims.append(
            {
                "id": d,
                "label": str(dim.get("label") or d),
                "role": next((r for r in ("time", "metric") if d in (role.get(r) or [])), ""),
                "codes": list(codes),
                "labels": {c: labels.get(c, c) for c in codes},
                "units": units,
                "elimination_code": (dim.get("extension") or {}).get("eliminationValueCode"),
            }
        )
    px = (first.get("extension") or {}).get("px") or {}
    return {
        "table": str(sides[0].get("table") or px.get("tableid") or ""),
        "label": str(first.get("label") or ""),
        "source": str(first.get("source") or ""),
        "updated": first.get("updated"),
        "note": first.get("note") or [],
        "decimals": px.get("decimals"),
        "license": sides[0].get("license"),
        "source_line": sides[0].get("source"),
        "lang": sides[0].get("lang"),
        "fetched_at": sides[0].get("fetched_at"),
        "urls": [side.get("url") for side in sides],
        "raw_files": [f.name for f in files],
        "dimensions": dims,
    }


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
    s = Settings.from_config(settings)
    df = fetch_table(table, selection, s, raw_dir)
    write_csv(df, out_csv)
    if out_meta:
        files, problems = check_cache(
            Path(raw_dir), f"{table}_{s.lang}_{query_hash(table, s, selection)}"
        )
        if not files:
            raise StatbankError(f"table {table}: cache incomplete after fetching: {problems}")
        write_json(out_meta, table_meta(files))
    log.info("table %s: %d rows -> %s", table, len(df), out_csv)
    return df


# ------------------------------------------------------------------ discovery (CLI)


def search_tables(settings: Settings, query: str, page_size: int = 50) -> list[dict[str, Any]]:
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


def describe_table(settings: Settings, table: str) -> dict[str, Any]:
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
        labels = _dim_labels(meta, d)
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


def _settings_for_cli(args) -> Settings:
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
    return Settings.from_config(section)


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


if __name__ == "__main__":
    raise SystemExit(main())
