"""Rule simulation_truth: see digikom.rules.simulation_truth."""

from digikom import rules

rules.run(snakemake, rules.simulation_truth)
