# Shared set-up: config validation (defaults from the schema), the other config files,
# and helpers used by several rule files.
import os
import shutil

from snakemake.utils import validate

from digikom.config import load_all, validate_config_extras

# `--config key=true` arrives as the string "true" (Snakemake only converts True/False).
for _key in ("fetch_statbank",):
    if isinstance(config.get(_key), str) and config[_key].lower() in ("true", "false"):
        config[_key] = config[_key].lower() == "true"
if config.get("microdata") in ("null", "None", ""):
    config["microdata"] = None

validate(config, "../schemas/config.schema.yaml")
validate_config_extras(config)
# Flat override from the command line: --config statbank_url=...
if config.get("statbank_url"):
    config["statbank"]["base_url"] = config["statbank_url"]

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
    return targets
