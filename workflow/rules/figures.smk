# Figures stage: the indicator figures (PNG 200 dpi, SVG, alt text). The model figures are
# drawn by the models stage (workflow/rules/models.smk).
from digikom.config import figure_ids, figure_stem

INDICATOR_STEMS = [figure_stem(f) for f in figure_ids(SETTINGS)]


rule indicator_figures:
    input:
        code=code("scripts/indicator_figures.py"),
        # the protected tables (what leaves the office)
        shares=PUBLIC_TABLES["shares"],
        composites=PUBLIC_TABLES["composites"],
        crosstab=PUBLIC_TABLES["crosstab"],
        # SSB's published figures of each theme (through the replication scorecard)
        scorecard="results/replication/scorecard.csv",
    output:
        # each figure: its PNG, SVG and alt text, as one output named after its stem
        **{
            stem: multiext(f"results/figures/{stem}", ".png", ".svg", ".alt.txt")
            for stem in INDICATOR_STEMS
        },
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
        # what the figures show of config.yaml: group labels
        size_groups=SETTINGS.size_groups,
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
        multiext(
            "results/figures/fig_validation",
            validation_png=".png",
            validation_svg=".svg",
            validation_alt=".alt.txt",
        ),
        multiext(
            "results/figures/fig_calibration",
            calibration_png=".png",
            calibration_svg=".svg",
            calibration_alt=".alt.txt",
        ),
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
