"""Rule robustness: refit the main models under each robustness variant (one table)."""

from digikom.io import run_rule
from digikom.models import run_robustness

run_rule(
    snakemake,
    run_robustness,
    panel_path=snakemake.input.panel,
    specs=list(snakemake.params.specs),
    robustness=dict(snakemake.params.robustness),
    seed=snakemake.params.seed,
    out=snakemake.output[0],
)
