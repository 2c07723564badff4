"""What the maps stage draws, from configuration alone (no data, no heavy imports).

Snakemake reads this while parsing the workflow (the map figures are rule outputs and the
map rules' params come from here), so it imports only the configuration layer. The figure
stems are formed here only (:func:`figure_stem`); the workflow, the drawing and the report
section all ask this module.
"""

from __future__ import annotations

from ..config import Settings
from ..errors import ConfigError
from ..schemas import load_schema

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


def unit_level(settings) -> bool:
    """Per-municipality survey values: only real microdata and municipality_level: true."""
    return not settings.is_synthetic and bool(settings.config.get("municipality_level"))


def lookup_mode(unit: bool, synthetic: bool) -> str:
    """What the "Din kommune" lookup shows: 'unit' (frame + survey values, unit level on),
    'frame' (the public frame only: synthetic runs, where no survey value is real) or
    'off' (real microdata without municipality_level: no per-municipality table at all)."""
    if unit:
        return "unit"
    return "frame" if synthetic else "off"


def map_subjects(ms: dict) -> list[dict]:
    """The survey-theme maps: one per composite, then one per configured indicator."""
    subs = [
        {"id": f"composite_{c['id']}", "kind": "composite", "spec": c}
        for c in ms["composite_specs"]
    ]
    subs += [{"id": s["id"], "kind": s["kind"], "spec": s} for s in ms["indicator_specs"]]
    return subs


def rule_settings(ms: dict) -> dict:
    """What the map rules need of ``maps:`` (their ``maps`` param): the wave, the reference
    wave of the composites, the category mapped, the reform years and the subjects with
    their specs. The inset is the figures' alone (param ``inset``)."""
    keys = ("wave", "reference_wave", "composite_category", "reforms")
    return {k: ms[k] for k in keys} | {"subjects": map_subjects(ms)}


# The frame maps (real register data): what each shows -> its figure stem.
FRAME_FIGURES = {"size_group": "map_size_group", "reforms": "map_reforms"}
LEVELS = ("county", "municipality")


def figure_stem(level: str, subject_id: str) -> str:
    """The file stem (under results/figures/) of the map of one subject by ``level``
    ('county' or 'municipality')."""
    if level not in LEVELS:
        raise ValueError(f"map level {level!r} is not one of {LEVELS}")
    return f"map_{level}_{subject_id}"


def figure_ids(subjects: list[dict], unit: bool) -> list[str]:
    """Every map figure (file stem under results/figures/): the frame maps, each subject
    by county and, with unit-level output, by municipality."""
    levels = LEVELS if unit else LEVELS[:1]
    return [
        *FRAME_FIGURES.values(),
        *(figure_stem(level, s["id"]) for level in levels for s in subjects),
    ]
