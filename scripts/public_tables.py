"""Rule public_tables: the protected public outputs (digikom.rules.public)."""

from digikom.rules import run
from digikom.rules.public import public_tables

run(snakemake, public_tables)  # noqa: F821 (Snakemake injects `snakemake`)
