"""Rule collect_models: concatenate the per-model coefficient and prediction tables."""

from digikom.io import run_rule
from digikom.models import collect

run_rule(
    snakemake,
    collect,
    coef_paths=list(snakemake.input.coefficients),
    pred_paths=list(snakemake.input.predictions),
    out_coef=snakemake.output.coefficients,
    out_pred=snakemake.output.predictions,
)
