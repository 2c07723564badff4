"""The call budget: SSB allows so many calls per time window per IP address, and every
process that fetches (parallel Snakemake jobs, runs that follow each other) shares one
budget through a locked file."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__package__)

BUDGET_FILE = ".api_budget.json"  # shared call budget in raw_dir (see CallBudget)


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
