# StatBank stage (optional): official aggregates from SSB's PxWebApi v2.
# Off by default; `--config fetch_statbank=true` turns it on. Raw JSON-stat2 responses are
# cached immutably in data/raw/statbank/ (keyed by query hash, with provenance sidecars),
# so re-running the rule is cheap and makes no request when the cache is intact.

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


if statbank_enabled():

    rule statbank_fetch:
        output:
            ensure("results/statbank/{table}.csv", non_empty=True),
        log:
            "logs/statbank/{table}.log",
        benchmark:
            "benchmarks/statbank/{table}.tsv"
        wildcard_constraints:
            table="[A-Za-z0-9_]+",
        localrule: True
        params:
            selection=statbank_selection,
            settings=statbank_settings,
            raw_dir=STATBANK_RAW_DIR,
        script:
            "../../scripts/fetch_statbank.py"
