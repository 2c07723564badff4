"""digikom: reproducible pipeline for "Digitalisering i kommunene".

Reusable, importable code lives here. The rule scripts beside this package
(``scripts/*.py``, three lines each) call their rule's function in :mod:`digikom.rules`
(one module per stage), which reads ``snakemake.input/output/params`` and calls the plain
functions.
"""

__version__ = "0.1.0"
