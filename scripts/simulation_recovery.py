"""Rule simulation_recovery: see digikom.rules.simulation.simulation_recovery."""

from digikom.rules import run
from digikom.rules.simulation import simulation_recovery

run(snakemake, simulation_recovery)  # noqa: F821 (Snakemake injects `snakemake`)
