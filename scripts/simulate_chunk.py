"""Rule simulate_chunk: see digikom.rules.simulate_chunk."""

from digikom import rules

rules.run(snakemake, rules.simulate_chunk)
