"""Checks made when the workflow is parsed, before any job runs: a local `microdata` path
that does not exist, is a directory or cannot be read stops the run with one line naming
the key and the path, and results/ is left exactly as it was."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from digikom.errors import ConfigError
from digikom.io import check_readable_file
from workflow_utils import copy_repo, hash_tree, run_snakemake

SNAKEMAKE_INFO = "Config file config/config.yaml is extended"


@pytest.fixture(scope="module")
def copy_with_results(tmp_path_factory) -> Path:
    """A copy of the repository with a (fake) previous run's results/."""
    wd = copy_repo(tmp_path_factory.mktemp("parse"))
    for rel, text in {
        "results/report/report.nb.html": "<p>previous report</p>",
        "results/provenance.json": '{"previous": true}\n',
        "results/context.json": '{"previous": true}\n',
        "results/data/panel.csv": "kommunenr,year\n",
    }.items():
        (wd / rel).parent.mkdir(parents=True, exist_ok=True)
        (wd / rel).write_text(text)
    (wd / "a_directory.csv").mkdir()
    return wd


def error_lines(proc) -> list[str]:
    lines = (proc.stdout + proc.stderr).splitlines()
    return [line for line in lines if line.strip() and not line.startswith(SNAKEMAKE_INFO)]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("value", "problem"),
    [("no_such_file.csv", "does not exist"), ("a_directory.csv", "is a directory")],
)
def test_bad_microdata_path_fails_at_parse_time_in_one_line(copy_with_results, value, problem):
    wd = copy_with_results
    before = hash_tree(wd / "results")
    proc = run_snakemake(wd, "--config", f"microdata={value}")
    assert proc.returncode != 0
    lines = error_lines(proc)
    assert len(lines) == 1, lines
    assert "'microdata'" in lines[0] and repr(value) in lines[0] and problem in lines[0]
    assert hash_tree(wd / "results") == before
    assert not (wd / "logs").exists()  # no job started


@pytest.mark.slow
def test_retired_config_key_stops_the_run_in_one_line(copy_with_results):
    wd = copy_with_results
    config = wd / "config/config.yaml"
    original = config.read_text(encoding="utf-8")
    before = hash_tree(wd / "results")
    try:
        config.write_text(
            original.replace("  min_cell: 3\n", "  min_cell: 3\n  tolerance_pp: 2.0\n"),
            encoding="utf-8",
        )
        proc = run_snakemake(wd)
    finally:
        config.write_text(original, encoding="utf-8")
    assert proc.returncode != 0
    lines = error_lines(proc)
    assert len(lines) == 1, lines
    assert "'report/tolerance_pp' is no longer read" in lines[0]
    assert "config/indicators.yaml" in lines[0]
    assert hash_tree(wd / "results") == before


def test_check_readable_file_names_key_path_and_problem(tmp_path, monkeypatch):
    ok = tmp_path / "ok.csv"
    ok.write_text("kommunenr\n")
    check_readable_file("microdata", ok)  # no error
    with pytest.raises(ConfigError, match=r"key 'microdata': '.*missing\.csv' does not exist"):
        check_readable_file("microdata", tmp_path / "missing.csv")
    with pytest.raises(ConfigError, match="is a directory"):
        check_readable_file("microdata", tmp_path)
    # unreadable: root can read a chmod-000 file, so simulate the permission error too
    locked = tmp_path / "locked.csv"
    locked.write_text("x\n")
    locked.chmod(0)
    real_open = open

    def deny(path, *args, **kwargs):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", deny)
    with pytest.raises(ConfigError, match=r"'.*locked\.csv' (is not readable|cannot be read)"):
        check_readable_file("microdata", locked)
    if os.geteuid() != 0:
        monkeypatch.undo()
        with pytest.raises(ConfigError, match="is not readable"):
            check_readable_file("microdata", locked)


# Libraries the jobs need but parsing the workflow must not load: every `snakemake` call
# (a no-op rebuild too) pays for what the Snakefile imports, and statsmodels/scipy alone
# cost about 0.4 s (the maps helpers once pulled them in through digikom.indicators).
HEAVY = ("statsmodels", "scipy", "matplotlib", "geopandas", "pyogrio", "shapely", "pandera")


def test_parsing_the_workflow_imports_no_heavy_library():
    repo = Path(__file__).resolve().parents[1]
    sources = [repo / "Snakefile", *sorted((repo / "workflow/rules").glob("*.smk"))]
    modules = sorted(
        {
            m
            for f in sources
            for m in re.findall(r"^\s*from (digikom[\w.]*) import", f.read_text(), re.M)
        }
    )
    assert "digikom.maps.spec" in modules and "digikom.config" in modules
    code = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"print(json.dumps(sorted(h for h in {HEAVY!r} if h in sys.modules)))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(repo / "scripts"))
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == [], f"{modules} load {out.stdout.strip()}"


def test_the_unused_tolerance_key_is_refused_with_where_tolerances_are():
    """config.yaml had report.tolerance_pp, which nothing read (the scorecard's tolerances
    are in config/indicators.yaml): a value there must not look as if it counted."""
    import yaml
    from digikom.config import validate_config

    repo = Path(__file__).resolve().parents[1]
    config = yaml.safe_load((repo / "config/config.yaml").read_text(encoding="utf-8"))
    validate_config(dict(config))  # the shipped file passes
    config["report"] = dict(config["report"], tolerance_pp=2.0)
    with pytest.raises(ConfigError, match=r"report/tolerance_pp.*replication/tolerances"):
        validate_config(config)
