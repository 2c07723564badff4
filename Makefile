# digikom: two commands for users (make report, make test); the rest for developers.
# Every target sets up .venv from the pinned lock file first (once; again when it changes).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.digikom-installed
CORES ?= all
# pytest-xdist workers for make test / test-fast (the machines have 2 cores; WORKERS=0 runs
# the suite in one process). make test sends each test file to one worker (the built runs
# the workflow tests start from are made once and shared), the longest files first in the
# order tests/conftest.py gives (LONGEST_FIRST), not xdist's order by number of tests.
WORKERS ?= 2

.PHONY: report release test test-fast lint format bench dag clean help

help:
	@echo "make report   build results/report/report.nb.{html,pdf} (sets up .venv first)"
	@echo "make release  build, then freeze the public tables into releases/<version>/ (VERSION=...)"
	@echo "make test     run the whole test suite (sets up .venv first)"
	@echo "make lint     ruff, snakefmt --check, snakemake --lint"
	@echo "make bench    measure the pipeline, write docs/benchmarks.md"
	@echo "make dag      results/dag.svg (needs graphviz 'dot')"

# uv installs the lock (parallel, from its cache) when it is on PATH or can be installed into
# the venv at the lock's version (by the system's pip, else the venv's own); pip installs it
# otherwise, or if uv fails. The venv starts without pip: ensurepip costs more than the rest
# of the set-up with uv (8 s of 9 here), and only the pip path needs it.
UV_PIN = $(shell grep -m1 '^uv==' requirements.lock)
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
VENV_PIP := { $(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip --upgrade >/dev/null; }

# Python writes the bytecode of each module it imports on first use; with
# PYTHONDONTWRITEBYTECODE set (as in some sandboxes) every job compiled pandas, statsmodels
# and matplotlib again on import (9.7 s against 4.2 s of CPU). So the targets below write
# it: into .venv and the repo's (ignored) __pycache__ folders, only for what is imported,
# once. Compiling all of .venv at install took 41 s of CPU instead.
unexport PYTHONDONTWRITEBYTECODE

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv --without-pip $(VENV)
	@uv=$$(command -v uv \
	  || { $(PYTHON) -m pip --python $(BIN)/python install --quiet --disable-pip-version-check "$(UV_PIN)" >/dev/null 2>&1 && echo $(BIN)/uv; } \
	  || { $(VENV_PIP) && $(PIP) "$(UV_PIN)" >/dev/null 2>&1 && echo $(BIN)/uv; }); \
	if [ -n "$$uv" ] && $$uv pip install --quiet --python $(BIN)/python -r requirements.lock \
	   && $$uv pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e .; then \
	  echo "installed requirements.lock with $$uv"; \
	else \
	  echo "installing requirements.lock with pip"; \
	  $(VENV_PIP) && $(PIP) -r requirements.lock && $(PIP) --no-deps --no-build-isolation -e .; \
	fi
	@touch $(STAMP)

report: $(STAMP)
	$(BIN)/snakemake --workflow-profile workflow/profiles/default --cores $(CORES)

# A release is the public tables of a complete, up-to-date build (docs/releases.md):
# build first, then freeze. VERSION=... names it (default: config release.version, else
# the date and git describe).
release: report
	$(BIN)/python -m digikom.release $(if $(VERSION),--version $(VERSION))

test: $(STAMP)
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadfile --no-loadscope-reorder --durations=15

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n $(WORKERS) -m "not slow" --hypothesis-profile=fast

lint: $(STAMP)
	$(BIN)/ruff check scripts tests
	$(BIN)/ruff format --check scripts tests
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/snakemake --lint

format: $(STAMP)
	$(BIN)/ruff format scripts tests
	$(BIN)/snakefmt Snakefile workflow/rules

bench: $(STAMP)
	$(BIN)/python scripts/benchmark.py --scales 10 100

dag: $(STAMP)
	@mkdir -p results
	$(BIN)/snakemake --dag | dot -Tsvg > results/dag.svg
	@echo "wrote results/dag.svg"

clean:
	rm -rf results logs benchmarks .snakemake/incomplete
