# Public stage: what leaves the office. Every table readers get, in one tidy form under
# results/public/tables/, with disclosure control (digikom.protection): primary suppression
# (digikom.disclosure) and secondary suppression found by an audit of what an outsider
# holding every published number can derive (docs/disclosure.md). The figures, maps and
# report read these tables, never the internal ones under results/indicators/ and
# results/models/.
rule public_tables:
    input:
        code=code("scripts/public_tables.py"),
        panel="results/data/panel.csv",
        shares="results/indicators/shares.csv",
        composites="results/indicators/composites.csv",
        crosstab="results/indicators/crosstab.csv",
        changes="results/indicators/changes.csv",
        counties="results/maps/counties.csv",
    output:
        **PUBLIC_TABLES,
        audit="results/disclosure/audit.csv",
    log:
        "logs/public/public_tables.log",
    benchmark:
        "benchmarks/public/public_tables.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        indicators=SETTINGS.indicator_rules,
        codebook=SETTINGS.codebook,
        # what the county maps show, without the labels (a label edit re-draws the maps)
        maps=SETTINGS.without_labels(MAPS),
        protection=SETTINGS.protection,
        min_cell=SETTINGS.min_cell,
        # real microdata; the synthetic default protects the county maps alone
        disclosure=not SYNTHETIC,
    script:
        "../../scripts/public_tables.py"


rule public_model:
    input:
        code=code("scripts/public_model.py"),
        shares=PUBLIC_TABLES["shares"],
        coefficients="results/models/{model}/coefficients.csv",
        predictions="results/models/{model}/predictions.csv",
    output:
        coefficients="results/public/models/{model}/coefficients.csv",
        predictions="results/public/models/{model}/predictions.csv",
    log:
        "logs/public/public_model_{model}.log",
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        spec=lambda wildcards: SETTINGS.model_spec(wildcards.model),
        indicators=SETTINGS.indicator_rules,
        min_cell=SETTINGS.min_cell,
        decimals=SETTINGS.protection["decimals"],
        disclosure=not SYNTHETIC,
    script:
        "../../scripts/public_model.py"


rule public_models:
    input:
        code=code("scripts/public_models.py"),
        coefficients=expand(
            "results/public/models/{model}/coefficients.csv", model=MODEL_IDS
        ),
        predictions=expand(
            "results/public/models/{model}/predictions.csv", model=MODEL_IDS
        ),
    output:
        coefficients="results/public/tables/coefficients.csv",
        predictions="results/public/tables/predictions.csv",
    log:
        "logs/public/public_models.log",
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../../scripts/public_models.py"
