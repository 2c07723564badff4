"""Rule simulate_model: see digikom.rules.simulation.simulate_model."""

from digikom.rules import run
from digikom.rules.simulation import simulate_model

run(snakemake, simulate_model)  # noqa: F821 (Snakemake injects `snakemake`)
