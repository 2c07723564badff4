"""Rule public_models: the protected public outputs (digikom.rules.public)."""

from digikom.rules import run
from digikom.rules.public import public_models

run(snakemake, public_models)  # noqa: F821 (Snakemake injects `snakemake`)
