"""Loading and validating the configuration files (one source of truth for each concept:
codebook, size groups, indicator rules, model specifications, synthetic parameters)."""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from .errors import ConfigError
from .io import read_yaml
from .schemas import load_schema, schema_default
from .text import missing_labels
from .waves import comparison_waves


def _with_defaults(validator_class):
    """A validator class that also fills in each property's schema ``default`` (as
    Snakemake's ``validate`` does for config.yaml), so every config file gets its defaults
    from its schema and from nowhere else."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for prop, sub in properties.items():
                if isinstance(sub, dict) and "default" in sub:
                    instance.setdefault(prop, copy.deepcopy(sub["default"]))
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


DefaultFillingValidator = _with_defaults(jsonschema.Draft202012Validator)


# A label object in a schema: patternProperties with this pattern (any language code).
LANG_PATTERN = "^[a-z]{2,3}$"


def for_languages(schema: Any, languages: list[str]) -> Any:
    """``schema`` with every label object (patternProperties LANG_PATTERN) narrowed to the
    configured ``languages``: each of them required (all or none where the object says
    ``x-label: optional``), any other language code refused (additionalProperties)."""
    if isinstance(schema, list):
        return [for_languages(s, languages) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: for_languages(v, languages) for k, v in schema.items()}
    pattern = out.get("patternProperties") or {}
    if LANG_PATTERN in pattern:
        sub = pattern[LANG_PATTERN]
        rest = {k: v for k, v in pattern.items() if k != LANG_PATTERN}
        out["patternProperties"] = rest | {f"^({'|'.join(languages)})$": sub}
        if out.get("x-label") == "optional":
            out["dependentRequired"] = {
                lang: [x for x in languages if x != lang] for lang in languages
            }
        else:
            out["required"] = list(dict.fromkeys([*out.get("required", []), *languages]))
    return out


def config_languages(config: dict) -> list[str]:
    """The configured languages (config.yaml ``languages``; the schema's default)."""
    return list(config.get("languages") or schema_default("config.schema.yaml", "languages"))


def validate_against(
    data: Any, schema_name: str, source: str | os.PathLike, languages: list[str] | None = None
) -> Any:
    """Validate ``data`` against a JSON schema and fill in the schema's defaults; raise
    ConfigError naming the file, the key, the bad value and (for enums) the allowed values.
    All errors are reported at once. Every label must have each of ``languages`` (default:
    the languages of the string tables) and no other (:func:`for_languages`)."""
    from .text import languages as text_languages

    schema = for_languages(load_schema(schema_name), languages or text_languages())
    validator = DefaultFillingValidator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for err in errors:
            key = "/".join(str(p) for p in err.absolute_path) or "(top level)"
            msg = f"{source}: key '{key}': {err.message}"
            if err.validator == "enum":
                msg += f" (allowed values: {', '.join(map(str, err.validator_value))})"
            langs = languages or text_languages()
            schema_here = err.schema if isinstance(err.schema, dict) else {}
            if f"^({'|'.join(langs)})$" in (schema_here.get("patternProperties") or {}):
                msg += f" (configured languages: {', '.join(langs)})"
            lines.append(msg)
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines))
    return data


def _without_keys(obj: Any, keys: set[str]) -> Any:
    """``obj`` (dicts and lists, nested) with the dict entries named in ``keys`` left out."""
    if isinstance(obj, dict):
        return {k: _without_keys(v, keys) for k, v in obj.items() if k not in keys}
    if isinstance(obj, list):
        return [_without_keys(v, keys) for v in obj]
    return obj


@dataclass
class Settings:
    """What the configuration means, derived once: the validated config (defaults from
    workflow/schemas/config.schema.yaml), the other config files (each validated, defaults
    from its schema) and the facts derived from them. Rules get slices of it as params."""

    config: dict
    codebook: dict
    indicators: dict
    models: list[dict]
    robustness: dict
    synthetic: dict  # the generator's parameters (config/synthetic.yaml)
    size_groups: list[dict] = field(default_factory=list)
    labels: dict = field(default_factory=dict)  # short variable labels (config/models.yaml)

    @property
    def lang(self) -> str:
        return self.config["lang"]

    @property
    def seed(self) -> int:
        return int(self.config["seed"])

    @property
    def waves(self) -> list[int]:
        return [int(w) for w in self.config["waves"]]

    @property
    def is_synthetic(self) -> bool:
        """The synthetic default (config ``microdata: null``), else real microdata."""
        return self.config["microdata"] is None

    @property
    def data_mode(self) -> str:
        return "synthetic" if self.is_synthetic else "microdata"

    @property
    def confidence(self) -> float:
        """The confidence level of every interval (config/indicators.yaml ``confidence``)."""
        return float(self.indicators["confidence"])

    @property
    def min_cell(self) -> int:
        return int(self.config["report"]["min_cell"])

    @property
    def protection(self) -> dict:
        """Disclosure control of the public outputs (config ``report.protection``)."""
        return dict(self.config["report"]["protection"])

    @property
    def municipality_level(self) -> bool:
        """Per-municipality survey values in maps and the lookup (config.yaml)."""
        return bool(self.config["municipality_level"])

    @property
    def files(self) -> dict[str, str]:
        """Where the other config and reference files are (config.yaml ``files``)."""
        return dict(self.config["files"])

    def frame_file(self, year: int) -> str:
        """The municipality frame of wave ``year`` (``files.frames``)."""
        return self.config["files"]["frames"].format(year=year)

    @property
    def bootstrap(self) -> dict:
        """config.yaml ``bootstrap`` (replicates, chunks)."""
        return dict(self.config["bootstrap"])

    @property
    def simulation(self) -> dict:
        """config.yaml ``simulation`` (seeds, seeds_per_job, truth_scale)."""
        return dict(self.config["simulation"])

    @property
    def release(self) -> dict:
        """config.yaml ``release`` (version, compare_with, corrections, checks)."""
        return dict(self.config["release"])

    def without_labels(self, obj: Any) -> Any:
        """``obj`` without its labels (the text in each configured language): what
        computes results. As a param, a label edit then re-runs only the rules that show
        labels."""
        return _without_keys(obj, set(self.config["languages"]))

    @property
    def indicator_rules(self) -> dict:
        """config/indicators.yaml without its labels, which is all that computes
        indicators and checks panels."""
        return self.without_labels(self.indicators)

    @property
    def size_group_bounds(self) -> list[dict]:
        """The size groups without their labels, which is all that assigns a municipality to
        a group: as a param, a label edit re-runs only the rules that show labels."""
        return [{k: g[k] for k in ("id", "lower", "upper")} for g in self.size_groups]

    @property
    def calibration_ids(self) -> list[str]:
        """The published targets the synthetic generator is calibrated to: a synthetic panel
        reproduces them by construction, so they cannot also validate it."""
        from .synthetic import calibration_ids

        return sorted(calibration_ids(self.synthetic))

    @property
    def comparison(self) -> dict:
        """report.comparison resolved within the configured waves (digikom.waves)."""
        return comparison_waves(self.config)

    def model(self, model_id: str) -> dict:
        for m in self.models:
            if m["id"] == model_id:
                return m
        raise ConfigError(f"config/models.yaml: no model with id '{model_id}'")

    def model_spec(self, model_id: str) -> dict:
        """One model's spec with what the codebook and config add (a rule param)."""
        from .models.spec import job_spec

        return job_spec(self, model_id)


def load_codebook(path: str | os.PathLike, languages: list[str] | None = None) -> dict:
    """The codebook; with ``languages``, every variable and label must have each of them."""
    cb = read_yaml(path)
    if not isinstance(cb, dict) or "variables" not in cb:
        raise ConfigError(f"{path}: codebook must have a 'variables' mapping")
    for name, var in cb["variables"].items():
        if "items" in var:
            var["max"] = len(var["items"])
        for key in ("kind", *(languages or []), "theme"):
            if key not in var:
                raise ConfigError(f"{path}: variable '{name}' lacks '{key}'")
    if languages:
        check_labels(cb, languages, path)
    return cb


def check_labels(data: Any, languages: list[str], source: str | os.PathLike) -> None:
    """Every label of ``data`` has every configured language (digikom.text.missing_labels),
    for files that have no JSON schema of their own (the codebook)."""
    missing = missing_labels(data, languages)
    if missing:
        raise ConfigError(
            f"{source}: labels without every configured language ({', '.join(languages)}):"
            "\n  " + "\n  ".join(f"key '{m}'" for m in missing)
        )


def load_models_file(
    path: str | os.PathLike, codebook: dict | None = None, languages: list[str] | None = None
) -> dict:
    from .models.spec import check_models

    data = validate_against(read_yaml(path), "models.schema.yaml", path, languages)
    ids = [m["id"] for m in data["models"]]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ConfigError(f"{path}: duplicate model id(s): {', '.join(dupes)}")
    for m in data["models"]:
        if m["family"] == "binomial" and "trials" not in m:
            raise ConfigError(f"{path}: model '{m['id']}': family binomial needs 'trials'")
        if codebook is not None and m["outcome"] not in codebook["variables"]:
            raise ConfigError(
                f"{path}: model '{m['id']}': outcome '{m['outcome']}' is not a codebook variable"
            )
    if codebook is not None:
        check_models(data["models"], data["robustness"], codebook, path)
        unknown = sorted(set(data["labels"]) - set(codebook["variables"]))
        if unknown:
            raise ConfigError(
                f"{path}: key 'labels': {', '.join(unknown)} is not a codebook variable"
            )
    return data


def load_all(config: dict, source: str = "config/config.yaml") -> Settings:
    """The settings of a run: ``config`` validated (:func:`validate_config`, its defaults
    filled in, in place) and every config file it names; every label in them must have
    each configured language. The workflow calls this once per parse, and that is the one
    validation of the config."""
    validate_config(config, source)
    langs = config_languages(config)
    files = config["files"]
    codebook = load_codebook(files["codebook"], langs)
    ind_path = files["indicators"]
    indicators = validate_against(read_yaml(ind_path), "indicators.schema.yaml", ind_path, langs)
    models_file = load_models_file(files["models"], codebook, langs)
    syn_path = files["synthetic"]
    synthetic = validate_against(read_yaml(syn_path), "synthetic.schema.yaml", syn_path, langs)
    return Settings(
        config=config,
        codebook=codebook,
        indicators=indicators,
        models=models_file["models"],
        robustness=models_file["robustness"],
        synthetic=synthetic,
        size_groups=config["size_groups"],
        labels=models_file["labels"],
    )


def figure_id(kind: str, key: str | None = None) -> str:
    """The id of one figure of the indicator stage (``size_<indicator>``, ``trend_<theme>``,
    ``composite_<id>``, ``published_<theme>``, ``crosstab``, ``barrier_dist``): the one place
    its name is formed (the rule's outputs, the drawing and the report all call it)."""
    return f"{kind}_{key}" if key is not None else kind


def figure_stem(fid: str) -> str:
    """The file stem of figure ``fid`` under results/figures/ (``fig_<id>``)."""
    return f"fig_{fid}"


def figure_ids(settings: Settings) -> list[str]:
    """Every figure this stage draws (used by the Snakefile to declare outputs)."""
    figs = settings.indicators.get("figures", {})
    ids = [figure_id("size", i) for i in figs.get("by_size", [])]
    ids += [figure_id("trend", theme) for theme in figs.get("trends", {})]
    ids += [figure_id("composite", c["id"]) for c in settings.indicators["composites"]]
    ids += [figure_id("crosstab"), figure_id("barrier_dist")]
    # SSB's published figures of each theme (digikom.published_plots.plot_published)
    themes = [s["theme"] for s in settings.indicators["shares"] + settings.indicators["means"]]
    ids += [figure_id("published", t) for t in dict.fromkeys(themes)]
    return ids


# Keys of earlier versions that nothing reads any more, and where their concept lives now:
# refused with that hint rather than as an unknown key, or worse, silently kept.
RETIRED_KEYS = {
    ("report", "tolerance_pp"): "the replication check's tolerances are "
    "'replication/tolerances' in config/indicators.yaml",
    ("statbank", "lang"): "the tables' language follows the report's 'lang' "
    "(nb fetches lang=no, en fetches lang=en)",
}


def check_retired_keys(config: dict, source: str = "config/config.yaml") -> None:
    for (section, key), where in RETIRED_KEYS.items():
        if key in (config.get(section) or {}):
            raise ConfigError(f"{source}: key '{section}/{key}' is no longer read: {where}")


def validate_config(config: dict, source: str = "config/config.yaml") -> dict:
    """The main configuration, validated once: no retired key, ``lang`` one of the
    configured languages, the schema (defaults filled in, every label in each configured
    language), then the checks a schema cannot express (contiguous size groups, a frame
    file for every wave)."""
    check_retired_keys(config, source)
    langs = config_languages(config)
    lang = config.get("lang", schema_default("config.schema.yaml", "lang"))
    if lang not in langs:
        raise ConfigError(
            f"{source}: key 'lang': '{lang}' is not a configured language "
            f"(languages: {', '.join(langs)}); a new language needs its code in 'languages' "
            "and its texts (README: Adding a language)"
        )
    validate_against(config, "config.schema.yaml", source, langs)
    groups = config["size_groups"]
    for a, b in zip(groups, groups[1:], strict=False):
        if a["upper"] is None or a["upper"] != b["lower"]:
            raise ConfigError(
                f"config: size_groups '{a['id']}' (upper {a['upper']}) and '{b['id']}' "
                f"(lower {b['lower']}) are not contiguous"
            )
    if groups[-1]["upper"] is not None:
        raise ConfigError("config: the last size group must have upper: null")
    pattern = config["files"]["frames"]
    missing = [str(y) for y in config["waves"] if not Path(pattern.format(year=y)).exists()]
    if missing:
        raise ConfigError(
            f"config: key 'waves': no municipality frame for {', '.join(missing)} "
            f"(expected {pattern}); add the frame file first"
        )
    return config
