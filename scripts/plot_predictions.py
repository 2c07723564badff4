"""Rule plot_predictions: predicted probabilities by size group and wave (logit models)."""

from digikom.rules import run
from digikom.rules.models import plot_predictions

run(snakemake, plot_predictions)  # noqa: F821 (Snakemake injects `snakemake`)
