"""Rule simulate_chunk: see digikom.rules.simulation.simulate_chunk."""

from digikom.rules import run
from digikom.rules.simulation import simulate_chunk

run(snakemake, simulate_chunk)  # noqa: F821 (Snakemake injects `snakemake`)
