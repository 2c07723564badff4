"""digikom: reproducible pipeline for "Digitalisering i kommunene".

Reusable, importable code lives here; the per-rule scripts beside this package
(``scripts/*.py``) only read ``snakemake.input/params`` and call these functions.
"""

__version__ = "0.1.0"
