# Figures stage: the indicator figures (PNG 200 dpi, SVG, alt text). The model figures are
# drawn by the models stage (workflow/rules/models.smk).
from digikom.config import figure_ids, figure_stem

INDICATOR_STEMS = [figure_stem(f) for f in figure_ids(SETTINGS)]


rule indicator_figures:
    input:
        code=code("scripts/indicator_figures.py"),
        shares="results/indicators/shares.csv",
        composites="results/indicators/composites.csv",
        crosstab="results/indicators/crosstab.csv",
        # SSB's published figures of each theme (through the replication scorecard)
        scorecard="results/replication/scorecard.csv",
    output:
        png=expand("results/figures/{stem}.png", stem=INDICATOR_STEMS),
        svg=expand("results/figures/{stem}.svg", stem=INDICATOR_STEMS),
        alt=expand("results/figures/{stem}.alt.txt", stem=INDICATOR_STEMS),
    log:
        "logs/figures/indicator_figures.log",
    benchmark:
        "benchmarks/figures/indicator_figures.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=1500,
        runtime=15,
    params:
        synthetic=SYNTHETIC,
        lang=SETTINGS.lang,
        indicators=SETTINGS.indicators,
        codebook=SETTINGS.codebook,
        # what the figures show of config.yaml: group labels, the disclosure threshold
        size_groups=SETTINGS.size_groups,
        min_cell=SETTINGS.min_cell,
        # the waves drawn: the original's comparison first, then the last update wave
        waves=SETTINGS.waves,
        comparison=SETTINGS.comparison,
    script:
        "../../scripts/indicator_figures.py"


rule replication_figure:
    input:
        code=code("scripts/replication_figure.py"),
        scorecard="results/replication/scorecard.csv",
    output:
        validation_png="results/figures/fig_validation.png",
        validation_svg="results/figures/fig_validation.svg",
        validation_alt="results/figures/fig_validation.alt.txt",
        calibration_png="results/figures/fig_calibration.png",
        calibration_svg="results/figures/fig_calibration.svg",
        calibration_alt="results/figures/fig_calibration.alt.txt",
    log:
        "logs/figures/replication_figure.log",
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        lang=SETTINGS.lang,
        synthetic=SYNTHETIC,
    script:
        "../../scripts/replication_figure.py"
