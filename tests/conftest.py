"""Shared fixtures: the configuration, the real frames, an in-memory synthetic panel,
and (for slow tests) one full workflow run in a temporary copy of the repository."""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from digikom import panel as P
from digikom import synthetic as S
from digikom.config import load_all
from digikom.io import read_yaml
from digikom.published import read_targets
from hypothesis import settings as hypothesis_settings
from workflow_utils import (
    copy_repo,
    from_built,
    run_scenario,
    run_snakemake,
    starts_quarto_render,
    starts_snakemake,
)

ROOT = Path(__file__).resolve().parents[1]

# Hypothesis: the fuzz tests try 200 examples each in `make test`, 20 in `make test-fast`
# (--hypothesis-profile=fast).
hypothesis_settings.register_profile("full", max_examples=200)
hypothesis_settings.register_profile("fast", max_examples=20)
hypothesis_settings.load_profile("full")


@pytest.fixture(scope="session")
def config() -> dict:
    cfg = read_yaml(ROOT / "config" / "config.yaml")
    cfg.setdefault("report", {"min_cell": 3, "renderer": "auto"})
    return cfg


@pytest.fixture(scope="session")
def nested_keys():
    """Every dict key anywhere in a nested structure of dicts and lists (e.g. to check
    that a param carries no language's label)."""

    def keys(obj) -> set:
        if isinstance(obj, dict):
            return set(obj) | {k for v in obj.values() for k in keys(v)}
        if isinstance(obj, list):
            return {k for v in obj for k in keys(v)}
        return set()

    return keys


@pytest.fixture(scope="session")
def settings(config):
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return load_all(config)
    finally:
        os.chdir(cwd)


@pytest.fixture(scope="session")
def frames(config):
    return P.read_frames(
        {y: ROOT / f"data/reference/municipalities_{y}.csv" for y in config["waves"]}
    )


@pytest.fixture(scope="session")
def targets():
    return read_targets(ROOT / "data/published/targets.csv")


@pytest.fixture(scope="session")
def crosswalk():
    return P.read_crosswalk(ROOT / "data/reference/municipality_crosswalk_to_2024.csv")


@pytest.fixture(scope="session")
def micro(frames, settings, targets, config, crosswalk):
    """The default synthetic microdata (digikom panel format)."""
    return S.generate(
        frames, settings.synthetic, settings.codebook, targets, config["seed"], crosswalk
    )


@pytest.fixture(scope="session")
def panel(micro, frames, settings, config, crosswalk):
    cw = crosswalk
    typed = P.validate_microdata(
        P._as_text(micro), settings.codebook, frames, config["waves"], "synthetic"
    )
    return P.build_panel(typed, frames, settings.size_groups, settings.codebook, cw)


def shared_dir(request, tmp_path_factory, name: str, build) -> Path:
    """The directory ``name``, made once per test session by ``build(path)``.

    With pytest-xdist (``make test`` runs two workers) the workers share it: the first to
    ask makes it under a file lock, the others wait for it and reuse it. A failed build is
    recorded and not repeated: the next worker to ask fails with its message. Tests treat
    the directory as read-only and run Snakemake in copies of it (``from_built``)."""
    if getattr(request.config, "workerinput", None) is None:  # one process
        root = tmp_path_factory.getbasetemp()
    else:  # the workers' base temps share this parent
        root = tmp_path_factory.getbasetemp().parent
    path, failed = root / name, root / f"{name}.failed"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if failed.exists():
            pytest.fail(f"{name}: made by another worker, which failed:\n"
                        + failed.read_text(encoding="utf-8"), pytrace=False)  # fmt: skip
        if not (root / f"{name}.done").exists():
            try:
                build(path)
            except BaseException as exc:
                failed.write_text(f"{type(exc).__name__}: {exc}"[-8000:], encoding="utf-8")
                raise
            (root / f"{name}.done").touch()
    return path


@pytest.fixture(scope="session")
def built(request, tmp_path_factory) -> Path:
    """One full default run (synthetic data, nb) in a temporary copy of the repository, as
    `make report` runs it (the default profile), with the workflow tests' small simulation
    (tests/workflow_utils.py SMALL_SIMULATION); its console is kept (built_console)."""

    def build(wd: Path) -> None:
        copy_repo(wd)
        proc = run_snakemake(
            wd, "--workflow-profile", "workflow/profiles/default", check=True, timeout=1800
        )
        _console(wd).write_text(proc.stdout + "\0" + proc.stderr, encoding="utf-8")

    return shared_dir(request, tmp_path_factory, "built", build)


def _console(wd: Path) -> Path:
    # beside the copy, not in it: copies of the run (from_built) do not carry it
    return wd.with_name(wd.name + ".console.txt")


@pytest.fixture(scope="session")
def built_console(built) -> tuple[str, str]:
    """(stdout, stderr) of the `built` fixture's run."""
    out, err = _console(built).read_text(encoding="utf-8").split("\0")
    return out, err


def shared_scenario(request, tmp_path_factory, name: str, base: Path, scenario: str, **kw):
    """Scenario ``scenario`` run in a copy of the built run ``base``, made once per session
    (shared_dir): (the copy, its CompletedProcess, as the first run printed it)."""

    def build(wd: Path) -> None:
        from_built(base, wd)
        proc = run_scenario(wd, scenario, check=True, **kw)
        _console(wd).write_text(proc.stdout + "\0" + proc.stderr, encoding="utf-8")

    wd = shared_dir(request, tmp_path_factory, name, build)
    out, err = _console(wd).read_text(encoding="utf-8").split("\0")
    return wd, subprocess.CompletedProcess(["snakemake"], 0, out, err)


@pytest.fixture(scope="session")
def built_en(request, built, tmp_path_factory):
    """Scenario "en" from a copy of the built run: (the copy, its CompletedProcess)."""
    return shared_scenario(request, tmp_path_factory, "en", built, "en")


# Workflow variants: scenario config files .test/config_<name>.yaml, each run in a copy of a
# built run so that Snakemake re-runs only what the scenario changes.
@pytest.fixture(scope="session")
def built_microdata(request, built, tmp_path_factory) -> Path:
    """Scenario "microdata": the default synthetic microdata written as a user's file,
    with planted sensitive cells: the 2024 wave's largest size group cut to 2 respondents,
    every municipality of 50 000+ with a strategy in 2018 (100 %) and none of
    20 000-49 999 using cloud services in 2022 (0 %) (tests/test_protection.py)."""

    def build(wd: Path) -> None:
        from_built(built, wd)
        pan = P.read_panel(built / "results/data/panel.csv")
        micro = pd.read_csv(
            built / "results/data/microdata_synthetic.csv", dtype=str, keep_default_na=False
        )
        big24 = pan[(pan.year == 2024) & (pan.size_group == "ge50k") & pan.responded].kommunenr
        drop = micro.year.eq("2024") & micro.kommunenr.isin(sorted(big24)[2:])
        in_group = pan[pan.responded].set_index(["kommunenr", "year"])["size_group"]
        group = in_group.reindex(
            pd.MultiIndex.from_arrays([micro.kommunenr, micro.year.astype(int)])
        ).to_numpy()
        micro.loc[micro.year.eq("2018") & (group == "ge50k"), "has_strategy"] = "1"
        micro.loc[micro.year.eq("2022") & (group == "20k_50k"), "cloud_use"] = "0"
        micro[~drop].to_csv(wd / "my_microdata.csv", index=False)
        run_scenario(wd, "microdata", check=True, timeout=900)

    return shared_dir(request, tmp_path_factory, "microdata", build)


@pytest.fixture(scope="session")
def built_unit_level(request, built_microdata, tmp_path_factory) -> Path:
    """Scenario "unit_level", from a copy of the built microdata scenario."""
    return shared_scenario(
        request, tmp_path_factory, "unit_level", built_microdata, "unit_level", timeout=900
    )[0]


# --------------------------------------------------------------------------- fast tests
# `make test-fast` (-m "not slow") must start no Snakemake: a test that does (itself or in
# one of its fixtures) fails unless it is marked slow.
@contextlib.contextmanager
def _no_snakemake(item):
    if item.get_closest_marker("slow"):
        yield
        return
    real = subprocess.Popen

    class Guarded(real):
        def __init__(self, args, *a, **kw):
            for starts, what in ((starts_snakemake, "Snakemake"), (starts_quarto_render, "Quarto")):
                if starts(args):
                    pytest.fail(
                        f"{item.nodeid} starts {what} ({args!r}) but is not marked slow",
                        pytrace=False,
                    )
            super().__init__(args, *a, **kw)

    subprocess.Popen = Guarded
    try:
        yield
    finally:
        subprocess.Popen = real


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    with _no_snakemake(item):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    with _no_snakemake(item):
        yield


# The files whose tests took longest on one worker (make test, 2026-12-03), in the order
# they start. pytest-xdist's loadfile scheduler (make test passes --no-loadscope-reorder,
# else it orders files by their number of tests) gives each worker two files at first:
# worker 1 the cold second build (test_rebuild, which needs no built run until its end)
# and test_statbank_workflow, worker 2 test_reliability (its fast tests, then the built
# run and the microdata scenario) and test_maps; the rest go to whichever is free.
LONGEST_FIRST = ("test_rebuild.py", "test_reliability.py", "test_statbank_workflow.py",
                 "test_maps.py", "test_slurm.py", "test_nynorsk.py", "test_hostile_labels.py",
                 "test_report.py", "test_render_parity.py")  # fmt: skip


def pytest_collection_modifyitems(config, items):
    """The longest files first, then the other files with workflow (slow) tests, then the
    rest, each file's tests in their own order: the two workers of `make test` (--dist
    loadfile --no-loadscope-reorder) then end on short files, not one waiting for the
    other's long one."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}

    def rank(item):
        name = item.path.name
        if name in LONGEST_FIRST:
            return LONGEST_FIRST.index(name)
        return len(LONGEST_FIRST) + (item.path not in slow_files)

    items.sort(key=rank)
