"""Rule provenance: results/provenance.json (git, time, config, packages, input hashes)."""

from digikom import rules

rules.run(snakemake, rules.provenance)
