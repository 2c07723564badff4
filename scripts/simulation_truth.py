"""Rule simulation_truth: see digikom.rules.simulation.simulation_truth."""

from digikom.rules import run
from digikom.rules.simulation import simulation_truth

run(snakemake, simulation_truth)  # noqa: F821 (Snakemake injects `snakemake`)
