# Models stage: one job per model spec of config/models.yaml (wildcard {model}). A model's
# spec reaches its job as a param, not via config/models.yaml as an input, so editing one
# model re-runs only that model and what depends on it (Snakemake's params rerun trigger).
from digikom.models.labels import label_settings, model_label_settings

CONFIDENCE = SETTINGS.confidence


wildcard_constraints:
    model="|".join(MODEL_IDS),


rule fit_model:
    input:
        code=code("scripts/fit_model.py"),
        panel="results/data/panel.csv",
    output:
        coefficients="results/models/{model}/coefficients.csv",
        predictions="results/models/{model}/predictions.csv",
        json="results/models/{model}.json",
        txt="results/models/{model}.txt",
    log:
        "logs/models/fit_{model}.log",
    benchmark:
        "benchmarks/models/fit_{model}.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        spec=lambda wildcards: SETTINGS.model_spec(wildcards.model),
        seed=SETTINGS.seed,
        confidence=CONFIDENCE,
    script:
        "../../scripts/fit_model.py"


rule collect_models:
    input:
        code=code("scripts/collect_models.py"),
        coefficients=expand("results/models/{model}/coefficients.csv", model=MODEL_IDS),
        predictions=expand("results/models/{model}/predictions.csv", model=MODEL_IDS),
    output:
        coefficients="results/models/coefficients.csv",
        predictions="results/models/predictions.csv",
    log:
        "logs/models/collect_models.log",
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../../scripts/collect_models.py"


rule robustness:
    input:
        code=code("scripts/robustness.py"),
        panel="results/data/panel.csv",
    output:
        "results/models/robustness.csv",
    log:
        "logs/models/robustness.log",
    benchmark:
        "benchmarks/models/robustness.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        robustness=SETTINGS.without_labels(SETTINGS.robustness),
        specs=[SETTINGS.model_spec(i) for i in SETTINGS.robustness["models"]],
        seed=SETTINGS.seed,
        confidence=CONFIDENCE,
    script:
        "../../scripts/robustness.py"


rule plot_model:
    input:
        code=code("scripts/plot_model.py"),
        coefficients="results/public/models/{model}/coefficients.csv",
        json="results/models/{model}.json",
    output:
        multiext(
            "results/figures/model_{model}_coef",
            png=".png",
            svg=".svg",
            alt=".alt.txt",
        ),
    log:
        "logs/models/plot_{model}.log",
    # before collect_models when both are ready: the report waits for the figures, and
    # the collected tables (for users) can be written while it renders
    priority: 1
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        spec=lambda wildcards: SETTINGS.model_spec(wildcards.model),
        labels=lambda wildcards: model_label_settings(SETTINGS, wildcards.model),
        lang=SETTINGS.lang,
        confidence=CONFIDENCE,
        synthetic=SYNTHETIC,
    script:
        "../../scripts/plot_model.py"


rule plot_predictions:
    input:
        code=code("scripts/plot_predictions.py"),
        # the models' own tables, not the collected one: drawn beside collect_models
        predictions=expand(
            "results/public/models/{model}/predictions.csv", model=MODEL_IDS
        ),
        json=expand("results/models/{model}.json", model=MODEL_IDS),
    output:
        multiext(
            "results/figures/model_predictions", png=".png", svg=".svg", alt=".alt.txt"
        ),
    log:
        "logs/models/plot_predictions.log",
    # before collect_models when both are ready: the report waits for the figures, and
    # the collected tables (for users) can be written while it renders
    priority: 1
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        labels=label_settings(SETTINGS, []),
        lang=SETTINGS.lang,
        confidence=CONFIDENCE,
        synthetic=SYNTHETIC,
    script:
        "../../scripts/plot_predictions.py"
