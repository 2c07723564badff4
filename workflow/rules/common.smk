# Shared set-up: config validation (defaults from the schema), the other config files,
# and helpers used by several rule files.
import os
import shutil

from snakemake.utils import validate

from digikom.config import load_all, validate_config_extras

# `--config key=true` arrives as the string "true" (Snakemake only converts True/False).
for _key in ("fetch_statbank", "municipality_level"):
    if isinstance(config.get(_key), str) and config[_key].lower() in ("true", "false"):
        config[_key] = config[_key].lower() == "true"
# `--config waves=[2018,2022]` arrives as strings.
if isinstance(config.get("waves"), str):
    config["waves"] = [w for w in config["waves"].strip("[]").split(",") if w.strip()]
if isinstance(config.get("waves"), list):
    config["waves"] = [
        int(w) if isinstance(w, str) and w.strip().isdigit() else w
        for w in config["waves"]
    ]
# `--config bootstrap='{replicates: 1000, chunks: 20}'` arrives with string numbers.
for _key, _value in dict(config.get("bootstrap") or {}).items():
    if isinstance(_value, str) and _value.strip().isdigit():
        config["bootstrap"][_key] = int(_value)
if config.get("microdata") in ("null", "None", ""):
    config["microdata"] = None

validate(config, "../schemas/config.schema.yaml")
validate_config_extras(config)
# Flat override from the command line: --config statbank_url=...
if config.get("statbank_url"):
    config["statbank"]["base_url"] = config["statbank_url"]

# One software environment for every rule (used with `--sdm conda`).
CONDA_ENV = "../../environment.yml"

SETTINGS = load_all(config)
MODEL_IDS = [m["id"] for m in SETTINGS.models]
WAVES = config["waves"]
SYNTHETIC = config["microdata"] is None


def microdata_input():
    """The microdata file: the synthetic default, or the user's file (local path or a
    storage-plugin URL such as https://, s3://, gs://)."""
    if SYNTHETIC:
        return "results/data/microdata_synthetic.csv"
    md = str(config["microdata"])
    if "://" in md:
        return storage(md)
    return md


def frame_files():
    return [config["files"]["frames"].format(year=y) for y in WAVES]


def renderer():
    choice = config["report"]["renderer"]
    if choice == "auto":
        return "quarto" if shutil.which("quarto") else "pandoc"
    return choice


def final_targets():
    targets = [
        "results/report/report.html",
        "results/report/report.pdf",
        "results/provenance.json",
        "results/replication/scorecard.csv",
    ]
    targets += statbank_targets()
    targets += bootstrap_targets()
    return targets


def bootstrap_targets():
    """The combined bootstrap CIs; [] unless bootstrap.replicates > 0."""
    if int(config["bootstrap"]["replicates"]) > 0:
        return ["results/models/bootstrap_predictions.csv"]
    return []


# ---- statbank stage helpers
STATBANK_RAW_DIR = "data/raw/statbank"


def statbank_enabled():
    """fetch_statbank as a bool; also accepts the strings true and false in any case."""
    return str(config.get("fetch_statbank", False)).strip().lower() == "true"


def statbank_targets():
    """Tidy CSVs of all configured StatBank tables; empty unless fetch_statbank is on."""
    if not statbank_enabled():
        return []
    return expand(
        "results/statbank/{table}.csv", table=sorted(config["statbank"]["tables"])
    )


def statbank_selection(wildcards):
    """The configured valueCodes/codelist of one table (a params change re-runs it)."""
    return config["statbank"]["tables"][wildcards.table]


def statbank_settings(wildcards):
    """Connection settings: base URL (after the statbank_url override), language, limits."""
    return {k: v for k, v in config["statbank"].items() if k != "tables"}


# ---- models stage helpers
from digikom.models import resolve_spec


def model_spec(wildcards):
    """The spec of one model, with what the codebook adds (trials maximum, ordinal levels)."""
    return resolve_spec(SETTINGS.model(wildcards.model), SETTINGS.codebook)


def robustness_specs():
    """The specs of the models the robustness table refits."""
    ids = SETTINGS.robustness.get("models", [])
    return [resolve_spec(SETTINGS.model(i), SETTINGS.codebook) for i in ids]


def model_targets():
    """Every final output of the models stage (input of the report)."""
    return [
        "results/models/coefficients.csv",
        "results/models/predictions.csv",
        "results/models/robustness.csv",
        *expand("results/models/{model}.{ext}", model=MODEL_IDS, ext=["json", "txt"]),
        *expand(
            "results/figures/model_{model}_coef.{ext}",
            model=MODEL_IDS,
            ext=["png", "svg", "alt.txt"],
        ),
        *expand(
            "results/figures/model_predictions.{ext}", ext=["png", "svg", "alt.txt"]
        ),
    ]


# ---- maps stage helpers
from digikom.maps import figure_ids as map_figure_ids, unit_level, GEO_YEAR

MAP_FIGURES = map_figure_ids(SETTINGS, config)
MAP_UNIT_LEVEL = unit_level(config)
MAP_GEO = {
    "geo_municipalities": f"data/reference/municipalities_{GEO_YEAR}.geojson",
    "geo_counties": f"data/reference/counties_{GEO_YEAR}.geojson",
}
# Unit-level values are written only when they may be shown.
MAP_UNIT_OUTPUT = (
    {"municipalities": "results/maps/municipalities.csv"} if MAP_UNIT_LEVEL else {}
)


def maps_targets():
    """Every output of the maps stage (input of the report)."""
    return [
        "results/maps/frame_2024.csv",
        "results/maps/counties.csv",
        "results/maps/lookup.csv",
        "results/maps/maps.json",
        *MAP_UNIT_OUTPUT.values(),
        *expand(
            "results/figures/{fig}.{ext}",
            fig=MAP_FIGURES,
            ext=["png", "svg", "alt.txt"],
        ),
    ]


# ---- report stage helpers
def provenance_inputs():
    files = [
        *frame_files(),
        config["files"]["crosswalk"],
        config["files"]["targets"],
        config["files"]["codebook"],
        config["files"]["indicators"],
        config["files"]["models"],
        "config/config.yaml",
    ]
    if SYNTHETIC:
        files.append(config["files"]["synthetic"])
    else:
        files.append(microdata_input())
    return files
