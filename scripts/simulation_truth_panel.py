"""Rule simulation_truth_panel: see digikom.rules.simulation_truth_panel."""

from digikom import rules

rules.run(snakemake, rules.simulation_truth_panel)
