# Indicators stage: the report's three themes by wave and size group, the evidence tables
# (paired change, nonresponse, reform sensitivity, composite rules) and the replication
# scorecard against published figures.


rule indicators:
    input:
        code=code("scripts/indicators.py"),
        panel="results/data/panel.csv",
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
    params:
        indicators=SETTINGS.indicator_rules,
        codebook=SETTINGS.codebook,
    script:
        "../../scripts/indicators.py"


rule scorecard:
    input:
        code=code("scripts/scorecard.py"),
        # the protected tables: a reproduced value is a published number
        shares=PUBLIC_TABLES["shares"],
        crosstab=PUBLIC_TABLES["crosstab"],
        panel="results/data/panel.csv",
        targets=SETTINGS.files["targets"],
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
        indicators=SETTINGS.indicator_rules,
        waves=SETTINGS.waves,
        # the generator's targets; a figure used to calibrate cannot also validate
        calibration=SETTINGS.calibration_ids if SYNTHETIC else [],
    script:
        "../../scripts/scorecard.py"


rule evidence_tables:
    input:
        code=code("scripts/evidence_tables.py"),
        panel="results/data/panel.csv",
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
        indicators=SETTINGS.indicator_rules,
        codebook=SETTINGS.codebook,
        size_groups=SETTINGS.size_group_bounds,
        waves=SETTINGS.waves,
        comparison=SETTINGS.comparison,
    script:
        "../../scripts/evidence_tables.py"
