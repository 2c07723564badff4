"""Which waves are compared: the original report's comparison (``report.comparison``)
within the configured waves, and the later waves that form the update. Used by the
settings (``Settings.comparison``), the evidence tables and the figures."""

from __future__ import annotations

from .errors import ConfigError
from .schemas import schema_default


def comparison_pairs(waves: list[int], comparison: list[int]) -> list[tuple[int, int, str]]:
    """(from, to, part): the original report's comparison first (part 'comparison'), then
    every later wave against both of its years (part 'update'). A comparison year that is
    not configured falls back to the first / last configured wave."""
    waves = sorted(waves)
    a, b = comparison
    a = a if a in waves else waves[0]
    b = b if b in waves else waves[-1]
    pairs = [(a, b, "comparison")] if a < b else []
    for later in (w for w in waves if w > b):
        pairs += [(b, later, "update"), (a, later, "update")]
    return pairs


def comparison_waves(config: dict) -> dict:
    """The original report's comparison (report.comparison) within the configured waves,
    and the later waves that form the update."""
    waves = sorted(int(w) for w in config["waves"])
    wanted = (config.get("report") or {}).get("comparison") or schema_default(
        "config.schema.yaml", "report", "comparison"
    )
    if len(wanted) != 2 or int(wanted[0]) >= int(wanted[1]):
        raise ConfigError(
            f"config: key 'report/comparison': {wanted} must be two waves, the earlier first"
        )
    pairs = comparison_pairs(waves, wanted)
    first = next((p for p in pairs if p[2] == "comparison"), None)
    frm, to = (first[0], first[1]) if first else (waves[0], waves[-1])
    return {
        "configured": list(wanted),
        "from": frm,
        "to": to,
        "as_configured": [frm, to] == list(wanted),
        "update": [w for w in waves if w > to],
    }
