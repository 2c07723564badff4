# StatBank stage (optional): official aggregates from SSB's PxWebApi v2.
# Off by default; `--config fetch_statbank=true` turns it on. Raw JSON-stat2 responses are
# cached immutably in data/raw/statbank/ (keyed by query hash, with provenance sidecars),
# so re-running the rule is cheap and makes no request when the cache is intact.

if statbank_enabled():

    rule statbank_fetch:
        input:
            code=code("scripts/fetch_statbank.py"),
        output:
            ensure("results/statbank/{table}.csv", non_empty=True),
        log:
            "logs/statbank/{table}.log",
        benchmark:
            "benchmarks/statbank/{table}.tsv"
        wildcard_constraints:
            table="[A-Za-z0-9_]+",
        localrule: True
        conda:
            CONDA_ENV
        params:
            selection=statbank_selection,
            settings=statbank_settings,
            raw_dir=STATBANK_RAW_DIR,
        script:
            "../../scripts/fetch_statbank.py"
