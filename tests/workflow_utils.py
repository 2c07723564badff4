"""Helpers for tests that run the whole Snakemake workflow in a temporary copy of the
repository (so the working tree's results/ are never touched).

Workflow variants are scenario config files, `.test/config_<name>.yaml` (as in the
snakemake-workflows repositories). A scenario starts from a copy of one built run
(:func:`from_built`: sources, results, logs and Snakemake's metadata, file times kept), so
Snakemake re-runs only what the scenario changes (:func:`run_scenario`)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).with_name("snakemake")
SCENARIOS = REPO / ".test"
COPIED = (
    "Snakefile",
    "workflow",
    "scripts",
    "config",
    "data",
    "reports",
    "environment.yml",
    ".test",
)
_IGNORE_NAMES = shutil.ignore_patterns("__pycache__", "*.egg-info", ".snakemake")


def _ignore(directory: str, names: list[str]) -> set[str]:
    """What copy_repo leaves out: caches, and the raw StatBank cache data/raw/statbank
    (not the package scripts/digikom/statbank)."""
    skip = set(_IGNORE_NAMES(directory, names))
    if Path(directory).resolve() == (REPO / "data" / "raw").resolve():
        skip.add("statbank")
    return skip


# The simulation study in every workflow test: 20 seeds per scenario in one job per model,
# 4 validation panels and cut-points solved on 2x the frames. The shipped default (200
# seeds, 25x; tests/test_simulation.py checks the config says so) is what `make report`
# runs, measured in docs/benchmarks.md (copy_repo(shipped_simulation=True)); the workflow
# tests check the study's wiring and outputs on a small S.
SMALL_SIMULATION = {
    "seeds": 20,
    "seeds_per_job": 20,
    "validation_seeds": 4,
    "validation_per_job": 4,
    "truth_scale": 2,
}


def small_simulation(config_yaml: Path) -> None:
    """Set the copy's simulation block to SMALL_SIMULATION (the values only, so the file
    keeps its comments and every other key)."""
    text = Path(config_yaml).read_text(encoding="utf-8")
    head, sep, block = text.partition("\nsimulation:\n")
    if not sep:
        raise AssertionError(f"{config_yaml}: no simulation block")
    for key, value in SMALL_SIMULATION.items():
        block, n = re.subn(rf"(?m)^(  {key}:) *\S+", rf"\g<1> {value}", block, count=1)
        if n != 1:
            raise AssertionError(f"{config_yaml}: simulation.{key} not found")
    Path(config_yaml).write_text(head + sep + block, encoding="utf-8")


def copy_repo(dst: Path, shipped_simulation: bool = False) -> Path:
    """Copy the workflow sources (not results/, logs/, .snakemake/) into ``dst``, with the
    small simulation (SMALL_SIMULATION), or the shipped one (the benchmark scripts)."""
    dst = Path(dst)
    dst.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=_ignore, dirs_exist_ok=True)
        elif src.exists():
            shutil.copy2(src, dst / name)
    # the raw StatBank cache directory is expected to exist
    (dst / "data" / "raw").mkdir(parents=True, exist_ok=True)
    if not shipped_simulation:
        small_simulation(dst / "config" / "config.yaml")
    return dst


def from_built(built: Path, dst: Path) -> Path:
    """A copy of the built run ``built`` in ``dst``: its sources, results/, logs/,
    benchmarks/ and .snakemake/ metadata, with file times kept, so that Snakemake in the
    copy re-runs only what a change (config, code, data) makes out of date."""
    shutil.copytree(built, dst, symlinks=True, dirs_exist_ok=True)
    return Path(dst)


def scenario_config(name: str) -> str:
    """The scenario's config file, relative to a copy (``.test/config_<name>.yaml``)."""
    path = SCENARIOS / f"config_{name}.yaml"
    if not path.exists():
        raise FileNotFoundError(path)
    return path.relative_to(REPO).as_posix()


def run_scenario(workdir: Path, name: str, *args: str, **kwargs) -> subprocess.CompletedProcess:
    """``snakemake --configfile .test/config_<name>.yaml`` in ``workdir`` (a copy)."""
    return run_snakemake(workdir, "--configfile", scenario_config(name), *args, **kwargs)


def env_for(workdir: Path, extra: dict | None = None) -> dict:
    """Environment in which ``import digikom`` resolves to the copy's scripts/."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(workdir) / "scripts")
    env.update(extra or {})
    return env


def snakemake_cmd(workdir: Path, *args: str, cores: int = 2) -> list[str]:
    return [
        str(SNAKEMAKE),
        "--snakefile",
        str(Path(workdir) / "Snakefile"),
        "--directory",
        str(workdir),
        "--cores",
        str(cores),
        *args,
    ]


def run_snakemake(
    workdir: Path,
    *args: str,
    cores: int = 2,
    timeout: float = 600,
    env: dict | None = None,
    check: bool = False,
) -> subprocess.CompletedProcess:
    """Run ``snakemake`` in ``workdir``; returns the CompletedProcess (text output)."""
    proc = subprocess.run(
        snakemake_cmd(workdir, *args, cores=cores),
        cwd=workdir,
        env=env_for(workdir, env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"snakemake {' '.join(args)} failed ({proc.returncode}):\n"
            f"{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}"
        )
    return proc


def planned_jobs(workdir: Path, *args: str, env: dict | None = None) -> dict[str, int]:
    """{rule: number of jobs} that a dry run would execute (``-n --quiet rules``)."""
    # options taking several values (--config, --configfile) must not swallow -n
    proc = run_snakemake(workdir, *args, "-n", "--quiet", "rules", env=env, check=True)
    jobs: dict[str, int] = {}
    text = proc.stdout + proc.stderr
    m = re.search(r"Job stats:\n(.*?)(?:\n\n|\Z)", text, re.S)
    if not m:
        return jobs  # nothing to be done
    for line in m.group(1).splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0] not in ("job", "total"):
            jobs[parts[0]] = int(parts[1])
    return jobs


def hash_tree(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` (relative posix path -> hex digest)."""
    root = Path(root)
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def reader_text(path: Path) -> str:
    """The text a reader sees in an HTML report: no scripts, styles or images, entities
    resolved, runs of spaces (non-breaking ones too) as one space; lines kept."""
    import html as htmllib

    doc = Path(path).read_text(encoding="utf-8")
    doc = re.sub(r"<(script|style)\b.*?</\1>", " ", doc, flags=re.S)
    doc = re.sub(r"<img\b[^>]*>", " ", doc)
    text = htmllib.unescape(re.sub(r"<[^>]+>", " ", doc))
    return re.sub(r"[ \t\u00a0\u202f]+", " ", text)


def callout_titles(html: str) -> list[str]:
    """The titles Quarto gives the callouts of an HTML report, in order (none from pandoc)."""
    return re.findall(r'<div class="callout-title-container[^"]*">\s*(.*?)\s*</div>', html, re.S)


def _argv(args) -> list[str]:
    if isinstance(args, str | bytes | os.PathLike):
        return os.fsdecode(args).split()
    return [os.fsdecode(a) for a in args]


def starts_quarto_render(args) -> bool:
    """Whether a subprocess command line (list or shell string) is ``quarto render``."""
    argv = _argv(args)
    return len(argv) > 1 and Path(argv[0]).name == "quarto" and argv[1] == "render"


def starts_snakemake(args) -> bool:
    """Whether a subprocess command line (list or shell string) starts Snakemake."""
    argv = _argv(args)
    if not argv:
        return False
    if Path(argv[0]).name == "snakemake":
        return True
    return any(a == "-m" and b == "snakemake" for a, b in zip(argv, argv[1:], strict=False))


# --------------------------------------------------------------------------- public tables
def publish_results(results: Path, hidden=()) -> Path:
    """results/public/ from the internal tables of a hand-made results folder, as rules
    public_tables and public_model write it: the primary rule (and the changes that rest
    on a hidden cell), plus the cell keys in ``hidden`` (digikom.protection.public). A
    hand-made folder has no panel, so the audit's secondary suppression is not run here;
    tests/test_protection.py tests it on a panel."""
    import json

    import pandas as pd
    from digikom.protection.models import protect_model
    from digikom.protection.public import change_primary, primary_keys, publish

    results = Path(results)
    ctx = json.loads((results / "context.json").read_text(encoding="utf-8"))
    on = ctx["data_mode"] != "synthetic"
    min_cell = int(ctx["min_cell"])
    rules = ctx["indicators"]
    xid = (rules.get("crosstab") or {}).get("id", "crosstab")
    tables = {}
    for name in ("shares", "composites", "crosstab", "changes"):
        path = results / "indicators" / f"{name}.csv"
        if path.exists():
            tables[name] = pd.read_csv(path, dtype={"group": str})
    counties = results / "maps" / "counties.csv"
    if counties.exists():
        tables["counties"] = pd.read_csv(counties, dtype={"fylkesnummer": str})
    keys = primary_keys(
        {"composites": pd.DataFrame(), "crosstab": pd.DataFrame(), **tables}, xid, min_cell, on
    )
    keys |= set(hidden)
    if on and "changes" in tables:
        kinds = {s["id"]: "mean" for s in rules.get("means", [])}
        keys |= change_primary(tables["changes"], keys, kinds, min_cell)
    out = results / "public" / "tables"
    out.mkdir(parents=True, exist_ok=True)
    for name, table in publish(tables, keys, 4, xid).items():
        table.to_csv(out / f"{name}.csv", index=False)
    shares = pd.read_csv(out / "shares.csv", dtype={"group": str, "status": str})
    cells = {
        (r.indicator, int(r.wave), str(r.group))
        for r in shares[shares.status.eq(":") & ~shares.weighted.astype(bool)].itertuples()
    }
    for spec in ctx.get("models", []):
        src = results / "models" / spec["id"]
        if not (src / "predictions.csv").exists():
            continue
        coef = src / "coefficients.csv"
        pred, co = protect_model(
            pd.read_csv(src / "predictions.csv"),
            pd.read_csv(coef) if coef.exists() else pd.DataFrame(),
            spec,
            rules,
            cells,
            min_cell=min_cell if on else None,
            decimals=4,
        )
        dest = results / "public" / "models" / spec["id"]
        dest.mkdir(parents=True, exist_ok=True)
        pred.to_csv(dest / "predictions.csv", index=False)
        co.to_csv(dest / "coefficients.csv", index=False)
    return results
