"""The ``statbank`` section of the config as the client uses it: where the API is, in
which language to ask, and how long and how often to try."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StatbankSettings:
    """The ``statbank`` section of the config (defaults as in the config schema)."""

    base_url: str = "https://data.ssb.no/api/pxwebapi/v2"
    lang: str = "no"
    timeout_s: float = 30.0
    max_total_wait_s: float = 300.0
    retries: int = 6
    backoff_s: float = 1.0

    @classmethod
    def from_config(cls, section: dict[str, Any]) -> StatbankSettings:
        keys = cls.__dataclass_fields__
        return cls(**{k: v for k, v in section.items() if k in keys and v is not None})
