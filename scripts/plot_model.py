"""Rule plot_model: coefficient plot (estimates with 95 % CIs) of one model."""

from digikom import rules

rules.run(snakemake, rules.plot_model)
