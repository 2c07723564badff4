"""Rule simulation_validation: see digikom.rules.simulation.simulation_validation."""

from digikom.rules import run
from digikom.rules.simulation import simulation_validation

run(snakemake, simulation_validation)  # noqa: F821 (Snakemake injects `snakemake`)
