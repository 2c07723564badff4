"""Rule public_model: the protected public outputs (digikom.rules.public)."""

from digikom.rules import run
from digikom.rules.public import public_model

run(snakemake, public_model)  # noqa: F821 (Snakemake injects `snakemake`)
