"""Rule collect_models: concatenate the per-model coefficient and prediction tables."""

from digikom import rules

rules.run(snakemake, rules.collect_models)
