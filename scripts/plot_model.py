"""Rule plot_model: coefficient plot (estimates with 95 % CIs) of one model."""

from digikom.rules import run
from digikom.rules.models import plot_model

run(snakemake, plot_model)  # noqa: F821 (Snakemake injects `snakemake`)
