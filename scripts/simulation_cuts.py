"""Rule simulation_cuts: see digikom.rules.simulation.simulation_cuts."""

from digikom.rules import run
from digikom.rules.simulation import simulation_cuts

run(snakemake, simulation_cuts)  # noqa: F821 (Snakemake injects `snakemake`)
