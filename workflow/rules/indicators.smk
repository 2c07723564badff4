# Indicators stage: the report's three themes by wave and size group, the evidence tables
# (paired change, nonresponse, reform sensitivity, composite rules) and the replication
# scorecard against published figures.


rule indicators:
    input:
        code=code("scripts/indicators.py"),
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
        "../../scripts/indicators.py"


rule scorecard:
    input:
        code=code("scripts/scorecard.py"),
        shares="results/indicators/shares.csv",
        crosstab="results/indicators/crosstab.csv",
        panel="results/data/panel.csv",
        targets=config["files"]["targets"],
        rules=config["files"]["indicators"],
        synthetic=config["files"]["synthetic"],
        statbank=statbank_targets(),
    output:
        "results/replication/scorecard.csv",
    log:
        "logs/indicators/scorecard.log",
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        waves=WAVES,
    script:
        "../../scripts/scorecard.py"


rule evidence_tables:
    input:
        code=code("scripts/evidence_tables.py"),
        panel="results/data/panel.csv",
        rules=config["files"]["indicators"],
        codebook=config["files"]["codebook"],
    output:
        changes="results/indicators/changes.csv",
        response="results/indicators/response.csv",
        item_nonresponse="results/indicators/item_nonresponse.csv",
        reform="results/indicators/reform_sensitivity.csv",
        composite_rules="results/indicators/composite_rules.csv",
    log:
        "logs/indicators/evidence_tables.log",
    benchmark:
        "benchmarks/indicators/evidence_tables.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        waves=WAVES,
        comparison=config["report"]["comparison"],
    script:
        "../../scripts/evidence_tables.py"
