"""Rule revisions: what changed since the latest release (digikom.rules.release)."""

from digikom.rules import run
from digikom.rules.release import revisions

run(snakemake, revisions)  # noqa: F821 (Snakemake injects `snakemake`)
