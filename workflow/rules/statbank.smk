# StatBank stage (optional): official aggregates from SSB's PxWebApi v2.
# Off by default; `--config fetch_statbank=true` turns it on. Raw JSON-stat2 responses are
# cached immutably in data/raw/statbank/ (keyed by query hash, with provenance sidecars),
# so re-running the rule is cheap and makes no request when the cache is intact.
# All fetch jobs share one call budget (data/raw/statbank/.api_budget.json, locked), and
# each holds one unit of the resource statbank_api: with `--resources statbank_api=1`
# Snakemake runs them one at a time.

if statbank_enabled():

    rule statbank_fetch:
        input:
            code=code("scripts/statbank_fetch.py"),
        output:
            csv=ensure("results/statbank/{table}.csv", non_empty=True),
            meta="results/statbank/{table}.meta.json",
        log:
            "logs/statbank/{table}.log",
        benchmark:
            "benchmarks/statbank/{table}.tsv"
        wildcard_constraints:
            table="[A-Za-z0-9_]+",
        localrule: True
        conda:
            CONDA_ENV
        resources:
            statbank_api=1,
        params:
            selection=statbank_selection,
            settings=statbank_settings,
            raw_dir=STATBANK_RAW_DIR,
        script:
            "../../scripts/statbank_fetch.py"

    rule statbank_figure:
        input:
            code=code("scripts/statbank_figure.py"),
            csv="results/statbank/{table}.csv",
            meta="results/statbank/{table}.meta.json",
        output:
            view="results/statbank/{table}.view.json",
            png="results/figures/statbank_{table}.png",
            svg="results/figures/statbank_{table}.svg",
            alt="results/figures/statbank_{table}.alt.txt",
        log:
            "logs/statbank/{table}_figure.log",
        wildcard_constraints:
            table="[A-Za-z0-9_]+",
        conda:
            CONDA_ENV
        resources:
            mem_mb=1000,
            runtime=10,
        params:
            report=statbank_report,
            lang=SETTINGS.lang,
        script:
            "../../scripts/statbank_figure.py"
