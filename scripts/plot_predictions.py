"""Rule plot_predictions: predicted probabilities by size group and wave (logit models)."""

from digikom.io import run_rule
from digikom.model_plots import plot_predictions

run_rule(
    snakemake,
    plot_predictions,
    pred_path=snakemake.input.predictions,
    json_paths=list(snakemake.input.json),
    size_groups=list(snakemake.params.size_groups),
    lang=snakemake.params.lang,
    synthetic=snakemake.params.synthetic,
    png=snakemake.output.png,
    svg=snakemake.output.svg,
    alt=snakemake.output.alt,
)
