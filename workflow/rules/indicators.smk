# Indicators stage: the report's three themes by wave and size group, and the replication
# scorecard against published figures.


rule indicators:
    input:
        code=code("scripts/compute_indicators.py"),
        panel="results/data/panel.csv",
        rules=config["files"]["indicators"],
        codebook=config["files"]["codebook"],
    output:
        shares="results/indicators/shares.csv",
        composites="results/indicators/composites.csv",
        crosstab="results/indicators/crosstab.csv",
    log:
        "logs/indicators/indicators.log",
    benchmark:
        "benchmarks/indicators/indicators.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=2000,
        runtime=15,
    script:
        "../../scripts/compute_indicators.py"


rule scorecard:
    input:
        code=code("scripts/replication_scorecard.py"),
        shares="results/indicators/shares.csv",
        crosstab="results/indicators/crosstab.csv",
        targets=config["files"]["targets"],
        rules=config["files"]["indicators"],
        statbank=statbank_targets(),
    output:
        "results/replication/scorecard.csv",
    log:
        "logs/indicators/scorecard.log",
    conda:
        CONDA_ENV
    params:
        waves=WAVES,
    script:
        "../../scripts/replication_scorecard.py"
