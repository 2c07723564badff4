"""Rule plot_predictions: predicted probabilities by size group and wave (logit models)."""

from digikom import rules

rules.run(snakemake, rules.plot_predictions)
