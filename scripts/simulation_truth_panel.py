"""Rule simulation_truth_panel: see digikom.rules.simulation.simulation_truth_panel."""

from digikom.rules import run
from digikom.rules.simulation import simulation_truth_panel

run(snakemake, simulation_truth_panel)  # noqa: F821 (Snakemake injects `snakemake`)
