"""Rule fit_model: fit one model spec (wildcard {model}) and write its four outputs."""

from digikom import rules

rules.run(snakemake, rules.fit_model)
