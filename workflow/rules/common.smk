# Shared set-up: config validation (defaults from the schema), the other config files,
# and helpers used by several rule files.
import logging
import os
import shutil
import sys
import time

from digikom.codedeps import cached_code_files
from digikom.config import load_all
from digikom.errors import DigikomError
from digikom.io import check_readable_file, warning_summary
from digikom.render import pick_renderer
from digikom.report_context import context_settings
from digikom.rules.public import public_paths

RUN_START = time.time()


class _QuietScheduler(logging.Filter):
    """With the default profile (quiet: progress, rules, ...) each job prints its own
    progress line; drop the scheduler's "Select jobs to execute..." and "Execute N
    jobs..." chatter that would otherwise remain (twice per scheduling round)."""

    def filter(self, record):
        msg = record.getMessage()
        return not (
            msg == "Select jobs to execute..."
            or (msg.startswith("Execute ") and msg.endswith(" jobs..."))
        )


logging.getLogger("snakemake.logging").addFilter(_QuietScheduler())

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
for _section in ("bootstrap", "simulation"):
    for _key, _value in dict(config.get(_section) or {}).items():
        if isinstance(_value, str) and _value.strip().isdigit():
            config[_section][_key] = int(_value)
if config.get("microdata") in ("null", "None", ""):
    config["microdata"] = None


def load_settings(config):
    """The one validation of the config (digikom.config.load_all: schema defaults filled
    in, retired keys, languages, size groups, frame files) and the other config files,
    plus a local microdata file (a storage-plugin URL is checked by its plugin). A problem
    ends the run with one line naming the file, the key and the value, before any job.
    """
    try:
        settings = load_all(config)
        md = config.get("microdata")
        if md is not None and "://" not in str(md):
            check_readable_file("microdata", md)
    except DigikomError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        sys.exit(1)
    return settings


SETTINGS = load_settings(config)
# Flat override from the command line: --config statbank_url=...
if config.get("statbank_url"):
    config["statbank"]["base_url"] = config["statbank_url"]

# One software environment for every rule (used with `--sdm conda`).
CONDA_ENV = "../../environment.yml"

MODEL_IDS = [m["id"] for m in SETTINGS.models]
WAVES = config["waves"]
SYNTHETIC = SETTINGS.is_synthetic


def microdata_input():
    """The microdata file: the synthetic default, or the user's file (local path or a
    storage-plugin URL such as https://, s3://, gs://)."""
    if SYNTHETIC:
        return "results/data/microdata_synthetic.csv"
    md = str(config["microdata"])
    if "://" in md:
        return storage(md)
    return md


def code(*sources):
    """The package modules that a rule's script (and the report's .qmd) runs, found by
    reading their `digikom` imports (digikom.codedeps): declared as the rule's inputs, so
    editing a module re-runs exactly the rules whose code uses it."""
    base = workflow.basedir
    files = cached_code_files(
        [os.path.join(base, s) for s in sources],
        os.path.join(base, "scripts"),
        ".snakemake/digikom/codedeps.json",
    )
    return [os.path.relpath(f) for f in files]


def frame_files():
    return [config["files"]["frames"].format(year=y) for y in WAVES]


def renderer():
    """The renderer that will run (report.renderer resolved: auto -> quarto if on PATH)."""
    return pick_renderer(config["report"]["renderer"])


def report_outputs():
    """The rendered report, named by language so that nb and en can both exist, and its
    records (those describe the last report rendered)."""
    return {
        "html": f"results/report/report.{config['lang']}.html",
        "pdf": f"results/report/report.{config['lang']}.pdf",
        "provenance": "results/provenance.json",
        "context": "results/context.json",
    }


# What leaves the office (workflow/rules/public.smk): the protected tables the figures,
# maps and report read.
PUBLIC_TABLES = public_paths("shares", "composites", "crosstab", "changes", "counties")
PUBLIC_MODEL_TABLES = list(public_paths("coefficients", "predictions").values())
# What changed since the latest release (workflow/rules/release.smk)
REVISIONS = "results/public/revisions.csv"

from digikom.release.fingerprint import settings_fingerprint
from digikom.release.freeze import latest as latest_release


def release_manifest():
    """The manifest of the release to compare with ([] when there is none)."""
    try:
        rel = latest_release("releases", config["release"]["compare_with"])
    except DigikomError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        sys.exit(1)
    if rel is None:
        return []
    return [os.path.join(rel["path"], "manifest.json")] + [
        os.path.join(rel["path"], f) for f in rel["files"]
    ]


# Outputs of rule evidence_tables (paired change, nonresponse, reform, composite rules).
EVIDENCE_TABLES = [
    f"results/indicators/{name}.csv"
    for name in (
        "changes",
        "response",
        "item_nonresponse",
        "reform_sensitivity",
        "composite_rules",
    )
]


def final_targets():
    targets = [
        *report_outputs().values(),
        "results/provenance.json",
        "results/replication/scorecard.csv",
        "results/models/coefficients.csv",  # all models in one table each, for users
        "results/models/predictions.csv",
        *EVIDENCE_TABLES,
        *PUBLIC_TABLES.values(),
        *PUBLIC_MODEL_TABLES,
        REVISIONS,
    ]
    targets += statbank_report_targets()
    targets += bootstrap_targets()
    targets += simulation_targets()
    return targets


def print_warnings():
    """Each distinct warning of this run's jobs once (the detail is in logs/)."""
    for line in warning_summary("logs", RUN_START):
        print(line, file=sys.stderr)


def end_run():
    """Let the process end as soon as the run has (both hooks call this last; together
    about a second off every run that executes jobs):

    * Snakemake's scheduler re-arms a one-second `threading.Timer` (its job-rate
      re-evaluation, `--max-jobs-per-timespan`, whose shortest span is 1 s) on each pass,
      and Python waits for the last one at exit. The hooks run after the scheduler has
      finished, so the pending timers have nothing left to wake.
    * Python's last garbage collection walks every object of the run (DAG, jobs, parsed
      rules): `gc.freeze()` leaves them to the end of the process instead. Snakemake closes
      its log file and lock itself, not from finalizers."""
    import gc
    import threading

    for t in threading.enumerate():
        if isinstance(t, threading.Timer):
            t.cancel()
    gc.freeze()


def report_line():
    """The last line of a successful run: where the report is (the html/pdf of rule all)."""
    print_warnings()
    html = [t for t in final_targets() if t.endswith(".html")]
    if html and os.path.exists(html[0]):
        pdf = " (and .pdf)" if os.path.exists(html[0][: -len(".html")] + ".pdf") else ""
        print(f"Report: {html[0]}{pdf}")


def simulation_targets():
    """The parameter-recovery study (results/simulation/): part of the synthetic default
    only; with user microdata the models' estimates are the results."""
    if SYNTHETIC:
        return [
            "results/simulation/recovery.csv",
            "results/simulation/validation.csv",
        ]
    return []


def bootstrap_targets():
    """The combined bootstrap CIs; [] unless bootstrap.replicates > 0."""
    if int(config["bootstrap"]["replicates"]) > 0:
        return ["results/models/bootstrap_predictions.csv"]
    return []


def simulation_validation_targets():
    """The predictive check of each validation figure over the simulated panels
    (results/simulation/validation.csv: pred_low, pred_high, percentile, outside); an
    input of the report only with synthetic data and a configured simulation."""
    if SYNTHETIC and config.get("simulation"):
        return ["results/simulation/validation.csv"]
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


def statbank_report_targets():
    """Everything the report shows of the StatBank tables: the CSVs, the metadata, the
    resolved views and the figures; empty unless fetch_statbank is on."""
    if not statbank_enabled():
        return []
    return statbank_targets() + expand(
        [
            "results/statbank/{table}.meta.json",
            "results/statbank/{table}.view.json",
            "results/figures/statbank_{table}.png",
            "results/figures/statbank_{table}.svg",
            "results/figures/statbank_{table}.alt.txt",
        ],
        table=sorted(config["statbank"]["tables"]),
    )


def statbank_selection(wildcards):
    """The configured valueCodes/codelist of one table (a params change re-runs it;
    the `report` view does not take part in the query)."""
    table = config["statbank"]["tables"][wildcards.table]
    return {k: v for k, v in table.items() if k in ("valueCodes", "codelist", "labels")}


def statbank_report(wildcards):
    """The configured view of one table in the report (axis, series, select); {} = the
    defaults derived from the table's metadata."""
    return config["statbank"]["tables"][wildcards.table].get("report") or {}


def statbank_settings(wildcards):
    """Connection settings: base URL (after the statbank_url override), limits, and the
    language of the report, which decides the language of the tables' titles and labels
    (common.statbank_lang in reports/strings: nb and nn fetch lang=no, en lang=en)."""
    from digikom.text import Text

    settings = {k: v for k, v in config["statbank"].items() if k != "tables"}
    settings["lang"] = Text(config["lang"])("common.statbank_lang")
    return settings


# ---- models stage helpers
from digikom.simulation import n_chunks as sim_chunks


def model_targets():
    """What the report reads of the models stage: each model's own protected tables (not
    the collected copies, which are for users: the report does not wait for them)."""
    return [
        *expand(
            "results/public/models/{model}/{table}.csv",
            model=MODEL_IDS,
            table=["coefficients", "predictions"],
        ),
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
from digikom.maps.spec import (
    GEO_YEAR,
    figure_ids as map_figure_ids,
    map_settings,
    rule_settings,
    unit_level,
)

# What the map rules draw (their param `maps`: wave, subjects, reforms; the inset apart)
MAP_SETTINGS = map_settings(SETTINGS)
MAPS = rule_settings(MAP_SETTINGS)
MAP_UNIT_LEVEL = unit_level(SETTINGS)
MAP_FIGURES = map_figure_ids(MAPS["subjects"], MAP_UNIT_LEVEL)
# Each map figure: its PNG, SVG and alt text, as one output named after its stem
MAP_FIGURE_FILES = {
    stem: multiext(f"results/figures/{stem}", ".png", ".svg", ".alt.txt")
    for stem in MAP_FIGURES
}
MAP_GEO = {
    "geo_municipalities": f"data/reference/municipalities_{GEO_YEAR}.geojson",
    "geo_counties": f"data/reference/counties_{GEO_YEAR}.geojson",
}
# The same boundaries checked and projected once (rule map_boundaries); the map rules read these.
MAP_BOUNDARIES = {
    "geo_municipalities": f"results/maps/municipalities_{GEO_YEAR}.parquet",
    "geo_counties": f"results/maps/counties_{GEO_YEAR}.parquet",
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
        *(f for files in MAP_FIGURE_FILES.values() for f in files),
    ]


# ---- report stage helpers
def size_group_bounds():
    """The size groups without their labels (digikom.config.Settings.size_group_bounds)."""
    return SETTINGS.size_group_bounds


def provenance_inputs():
    """The data and configuration files of a run (hashed into provenance.json with every
    result the report reads)."""
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
