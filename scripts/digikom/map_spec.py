"""What the maps stage draws, from configuration alone (no data, no heavy imports).

Snakemake reads this while parsing the workflow (the map figures are rule outputs), so it
imports only the configuration layer; the drawing is in :mod:`digikom.maps`.
"""

from __future__ import annotations

from .config import Settings, load_schema
from .errors import ConfigError

GEO_YEAR = 2024  # the structure of the shipped polygons


def map_settings(settings: Settings) -> dict:
    """The ``maps:`` section of config/indicators.yaml with the schema's defaults, the wave
    resolved, and every indicator id checked against the shares and means."""
    schema = load_schema("indicators.schema.yaml")["properties"]["maps"]["properties"]
    raw = dict(settings.indicators.get("maps") or {"indicators": []})
    out = {k: raw.get(k, spec.get("default")) for k, spec in schema.items()}
    inset_schema = schema["inset"]["properties"]
    out["inset"] = {
        k: (raw.get("inset") or {}).get(k, spec["default"]) for k, spec in inset_schema.items()
    }
    where = f"{settings.config['files']['indicators']}: key 'maps"
    waves = [int(w) for w in settings.config["waves"]]
    if out["wave"] is None:
        out["wave"] = max(waves)
    elif int(out["wave"]) not in waves:
        raise ConfigError(f"{where}/wave': {out['wave']} is not a configured wave (waves: {waves})")
    specs = {s["id"]: dict(s, kind="share") for s in settings.indicators["shares"]}
    specs |= {s["id"]: dict(s, kind="mean") for s in settings.indicators["means"]}
    unknown = [i for i in out["indicators"] if i not in specs]
    if unknown:
        raise ConfigError(
            f"{where}/indicators': unknown indicator(s) {', '.join(unknown)} "
            f"(allowed: the ids of shares and means: {', '.join(specs)})"
        )
    out["indicator_specs"] = [specs[i] for i in out["indicators"]]
    out["composite_specs"] = list(settings.indicators["composites"])
    out["reference_wave"] = int(settings.indicators["reference_wave"])
    return out


def unit_level(config: dict) -> bool:
    """Per-municipality survey values: only real microdata and municipality_level: true."""
    return config.get("microdata") is not None and bool(config.get("municipality_level"))


def lookup_mode(config: dict) -> str:
    """What the "Din kommune" lookup shows: 'unit' (frame + survey values, unit level on),
    'frame' (the public frame only: synthetic runs, where no survey value is real) or
    'off' (real microdata without municipality_level: no per-municipality table at all)."""
    if unit_level(config):
        return "unit"
    return "frame" if config.get("microdata") is None else "off"


def map_subjects(ms: dict) -> list[dict]:
    """The survey-theme maps: one per composite, then one per configured indicator."""
    subs = [
        {"id": f"composite_{c['id']}", "kind": "composite", "spec": c}
        for c in ms["composite_specs"]
    ]
    subs += [{"id": s["id"], "kind": s["kind"], "spec": s} for s in ms["indicator_specs"]]
    return subs


def figure_ids(settings: Settings, config: dict) -> list[str]:
    """Every map figure (file stem under results/figures/) of this configuration."""
    ms = map_settings(settings)
    ids = ["map_size_group", "map_reforms"]
    ids += [f"map_county_{s['id']}" for s in map_subjects(ms)]
    if unit_level(config):
        ids += [f"map_municipality_{s['id']}" for s in map_subjects(ms)]
    return ids
