"""Talking to PxWebApi v2: one request, throttled by the shared call budget, retried
(429 ``Retry-After``, 5xx, timeouts, malformed bodies) with exponential backoff within
``max_total_wait_s``, and each failure said in one line; the API's ``/config``."""

from __future__ import annotations

import email.utils
import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
import tenacity

from ..errors import CellLimitError, StatbankError
from .budget import CallBudget
from .jsonstat import decode_json
from .settings import StatbankSettings

log = logging.getLogger(__package__)


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
        settings: StatbankSettings,
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
            except CellLimitError:
                raise  # the same query would give the same size
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
            decode_json(raw, url)

        raw, url = self.request(path, params or {}, validate=check)
        return decode_json(raw, url)

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


def source_line(cfg: dict[str, Any], lang: str) -> str:
    refs = cfg.get("sourceReferences") or []
    for ref in refs:
        if isinstance(ref, dict) and ref.get("language") == lang:
            return str(ref.get("text", ""))
    return str(refs[0].get("text", "")) if refs and isinstance(refs[0], dict) else ""
