"""Rule fit_model: fit one model spec (wildcard {model}) and write its four outputs."""

from digikom.rules import run
from digikom.rules.models import fit_model

run(snakemake, fit_model)  # noqa: F821 (Snakemake injects `snakemake`)
