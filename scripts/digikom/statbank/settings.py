"""The ``statbank`` section of the config as the client uses it: where the API is, in
which language to ask, how long and how often to try, and how many cells a response may
have. The defaults are the config schema's (workflow/schemas/config.schema.yaml), read
from there and written nowhere else."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..schemas import schema_default


def _default(key: str) -> Any:
    return field(default_factory=lambda: schema_default("config.schema.yaml", "statbank", key))


@dataclass(frozen=True)
class StatbankSettings:
    """The ``statbank`` section of the config; ``lang`` is the API's language (``no`` or
    ``en``), which follows the report's language (common.statbank_lang)."""

    base_url: str = _default("base_url")
    lang: str = "no"
    timeout_s: float = _default("timeout_s")
    max_total_wait_s: float = _default("max_total_wait_s")
    retries: int = _default("retries")
    backoff_s: float = _default("backoff_s")
    max_cells: int = _default("max_cells")

    @classmethod
    def from_config(cls, section: dict[str, Any]) -> StatbankSettings:
        keys = cls.__dataclass_fields__
        return cls(**{k: v for k, v in section.items() if k in keys and v is not None})
