"""Shared fixtures: the configuration, the real frames, an in-memory synthetic panel,
and (for slow tests) one full workflow run in a temporary copy of the repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from digikom import panel as P
from digikom import synthetic as S
from digikom.config import load_all
from digikom.io import read_yaml
from digikom.published import read_targets

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
COPY = ["Snakefile", "workflow", "scripts", "config", "data", "reports"]


@pytest.fixture(scope="session")
def config() -> dict:
    cfg = read_yaml(ROOT / "config" / "config.yaml")
    cfg.setdefault("report", {"min_cell": 3, "renderer": "auto", "tolerance_pp": 1.0})
    return cfg


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
    return P.read_frames({y: ROOT / f"data/reference/municipalities_{y}.csv" for y in config["waves"]})


@pytest.fixture(scope="session")
def targets():
    return read_targets(ROOT / "data/published/targets.csv")


@pytest.fixture(scope="session")
def micro(frames, settings, targets, config):
    """The default synthetic microdata (digikom panel format)."""
    return S.generate(frames, settings.synthetic, settings.codebook, targets, config["seed"])


@pytest.fixture(scope="session")
def panel(micro, frames, settings, config):
    cw = P.read_crosswalk(ROOT / "data/reference/municipality_crosswalk_to_2024.csv")
    typed = P.validate_microdata(P._as_text(micro), settings.codebook, frames, config["waves"], "synthetic")
    return P.build_panel(typed, frames, settings.size_groups, settings.codebook, cw)


def copy_repo(dest: Path) -> Path:
    """A copy of the workflow (no results, no .snakemake) in ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns(
                "__pycache__", "*.egg-info", "raw"))
        else:
            shutil.copy2(src, dest / name)
    return dest


def run_snakemake(workdir: Path, *args: str, check: bool = True, timeout: int = 900):
    env = {**os.environ, "PYTHONPATH": str(workdir / "scripts"), "PYTHONHASHSEED": "0"}
    proc = subprocess.run([SNAKEMAKE, "--cores", "2", *args], cwd=workdir, capture_output=True,
                          text=True, env=env, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}")
    return proc


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """One full default run (synthetic data, nb) in a temporary copy of the repository."""
    wd = copy_repo(tmp_path_factory.mktemp("built"))
    run_snakemake(wd)
    return wd
