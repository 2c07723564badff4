"""Rule fit_model: fit one model spec (wildcard {model}) and write its four outputs."""

from digikom.io import run_rule
from digikom.models import run_fit

run_rule(
    snakemake,
    run_fit,
    panel_path=snakemake.input.panel,
    spec=snakemake.params.spec,
    seed=snakemake.params.seed,
    out_coef=snakemake.output.coefficients,
    out_pred=snakemake.output.predictions,
    out_json=snakemake.output.json,
    out_txt=snakemake.output.txt,
)
