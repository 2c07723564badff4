"""Rule simulation_recovery: see digikom.rules.simulation_recovery."""

from digikom import rules

rules.run(snakemake, rules.simulation_recovery)
