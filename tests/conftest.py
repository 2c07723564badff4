"""Shared fixtures: the configuration, the real frames, an in-memory synthetic panel,
and (for slow tests) one full workflow run in a temporary copy of the repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from digikom import panel as P
from digikom import synthetic as S
from digikom.config import load_all
from digikom.io import read_yaml
from digikom.published import read_targets
from workflow_utils import copy_repo, run_snakemake

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def config() -> dict:
    cfg = read_yaml(ROOT / "config" / "config.yaml")
    cfg.setdefault("report", {"min_cell": 3, "renderer": "auto"})
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


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """One full default run (synthetic data, nb) in a temporary copy of the repository."""
    wd = copy_repo(tmp_path_factory.mktemp("built"), full_simulation=True)
    run_snakemake(wd, check=True, timeout=900)
    return wd
