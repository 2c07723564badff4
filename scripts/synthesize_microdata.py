"""Rule synthesize_microdata: the seeded synthetic panel in digikom panel format."""

from digikom import rules

rules.run(snakemake, rules.synthesize_microdata)
