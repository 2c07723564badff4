"""The rule entry points: one function per Snakemake rule, in one module per part of the
pipeline (data, statbank, indicators, models, maps, simulation, report).

Each rule script in scripts/ is three lines: it calls :func:`run` with its ``snakemake``
object and the function of its rule. :func:`run` logs to the rule's log file and turns a
:class:`~digikom.errors.DigikomError` into a one-line message and a non-zero exit. A rule
function reads ``job.input``, ``job.output``, ``job.params`` and ``job.wildcards`` (the
``snakemake`` object, or any object with those attributes in a test), calls the plain
functions of the package and writes its outputs atomically (``digikom.io``).
"""

from __future__ import annotations

import gc

from ..io import run_rule


def run(snakemake, func) -> None:
    """Run the rule function ``func`` for this ``snakemake`` job."""
    run_rule(snakemake, func, snakemake)
    # The job's process ends next. Python's last garbage collection would walk every
    # object pandas, matplotlib and statsmodels created (0.3-0.45 s per job here, measured
    # in docs/benchmarks.md); frozen objects are skipped, and files, logs and atexit
    # handlers still close as usual.
    gc.freeze()
