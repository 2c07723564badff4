"""Rule plot_model: coefficient plot (estimates with 95 % CIs) of one model."""

from digikom.io import run_rule
from digikom.model_plots import plot_coefficients

run_rule(
    snakemake,
    plot_coefficients,
    coef_path=snakemake.input.coefficients,
    json_path=snakemake.input.json,
    lang=snakemake.params.lang,
    synthetic=snakemake.params.synthetic,
    png=snakemake.output.png,
    svg=snakemake.output.svg,
    alt=snakemake.output.alt,
)
