"""Benchmark the workflow on this machine and write docs/benchmarks.md.

    .venv/bin/python scripts/benchmark.py [--scales 1 10 100] [--out docs/benchmarks.md]

Every measurement runs in a temporary copy of the repository (tests/workflow_utils.py),
so the working tree's results/ are untouched. Measured:

* cold full rebuild of the default target: wall time and peak RSS of the whole process
  tree (snakemake + job processes, polled from /proc every 50 ms); the first in a fresh
  copy, the others (``--repeat``, default 3 runs) with ``--forceall``;
* no-op rebuild (everything up to date);
* incremental rebuild after editing one model's specification (config/models.yaml): a
  term added to the strategy model's formula, removed, added (each run one real edit);
* the three above as the median of their runs, all run as ``make report`` does (the
  default profile);
* the report render alone (`--forcerun report`), by renderer;
* the floor: every job of the full build run one after the other in ONE Python process,
  without Snakemake (no start-up, DAG, scheduling or per-job interpreter and imports):
  the scripts Snakemake generated for the cold build (`--skip-script-cleanup`, each with
  its job's inputs, outputs and params) are executed in their start order;
* with ``--simulation`` only: the cold full rebuild with and without the simulation study
  (its outputs made beforehand), and a forced full rebuild against the rebuild after
  editing one model's formula, as ratios;
* the pipeline on a panel 10x and 100x larger (municipalities replicated with new
  kommunenr codes, in the microdata and in every wave's frame), per-stage times from
  Snakemake's benchmarks/*.tsv; without the maps and the report (``--omit-from
  map_boundaries map_tables``), which draw the real 357 municipalities whatever the panel size.
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata as md
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from benchmark_report import write_markdown  # noqa: E402
from workflow_utils import copy_repo, env_for, snakemake_cmd  # noqa: E402

PACKAGES = [
    "snakemake",
    "pandas",
    "numpy",
    "statsmodels",
    "matplotlib",
    "pandera",
    "typst",
    "pypandoc-binary",
]


# --------------------------------------------------------------------------- measuring
def _tree_rss_kb(root: int) -> int:
    """Sum of VmRSS over ``root`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{d}/status") as fh:
                kb = next((int(x.split()[1]) for x in fh if x.startswith("VmRSS:")), 0)
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(d))
        rss[int(d)] = kb
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack += children.get(pid, [])
    return total


def timed_run(wd: Path, *args: str, cores: int = 2) -> dict:
    """Run snakemake; wall seconds and peak RSS (MiB) of the process tree."""
    # As `make report` runs it (the default profile's quiet console). The console goes to
    # a file, not a pipe: a pipe nobody reads while polling fills up (64 KiB) and blocks
    # Snakemake's logging for good.
    profile = ("--workflow-profile", str(wd / "workflow/profiles/default"))
    cmd = snakemake_cmd(wd, *profile, *args, cores=cores)
    with tempfile.TemporaryFile("w+") as console:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=wd, env=env_for(wd), stdout=console, stderr=console)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _tree_rss_kb(proc.pid))
            time.sleep(0.05)
        wall = time.perf_counter() - t0
        console.seek(0)
        out = console.read()
    if proc.returncode != 0:
        raise SystemExit(f"snakemake {' '.join(args)} failed in {wd}:\n{out[-4000:]}")
    return {"wall_s": wall, "peak_mib": peak / 1024, "output": out}


def stage_times(wd: Path) -> dict[str, float]:
    """Wall seconds per rule (summed over its jobs) from benchmarks/*.tsv."""
    out: dict[str, float] = {}
    for f in sorted((wd / "benchmarks").rglob("*.tsv")):
        with open(f) as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
        if not rows:
            continue
        stage = f.stem.split("_")[0] if f.parent.name == "models" else f.stem
        stage = {
            "fit": "fit_model (all)",
            "robustness": "robustness",
            "bootstrap": "bootstrap",
        }.get(stage, stage)
        out[stage] = out.get(stage, 0.0) + float(rows[-1]["s"])
    return out


def median_run(runs: list[dict]) -> dict:
    """The run with the median wall time, with every run's wall time as ``runs``."""
    ordered = sorted(runs, key=lambda r: r["wall_s"])
    mid = dict(ordered[(len(ordered) - 1) // 2])
    mid["runs"] = [round(r["wall_s"], 2) for r in runs]
    return mid


FLOOR_RUNNER = """
import runpy, sys, time
t0 = time.perf_counter()
for path in sys.argv[1:]:
    runpy.run_path(path, run_name="__main__")
print(time.perf_counter() - t0)
"""


def floor_run(wd: Path) -> dict:
    """All jobs of the cold build in one process (see the module docstring)."""
    scripts = sorted((wd / ".snakemake/scripts").glob("*.py"), key=lambda p: p.stat().st_mtime)
    if not scripts:
        raise SystemExit("no generated job scripts: run the cold build with --skip-script-cleanup")
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", FLOOR_RUNNER, *map(str, scripts)],
        cwd=wd,
        env=env_for(wd),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"floor run failed in {wd}:\n{proc.stderr[-4000:]}")
    return {"wall_s": time.perf_counter() - t0, "jobs": len(scripts)}


# --------------------------------------------------------------------------- scaled panel
def scale_copy(wd: Path, base_micro: Path, factor: int) -> None:
    """Replicate every municipality ``factor`` times (new 4-digit-pattern codes) in each
    wave's frame and in the microdata; writes wd/scaled_microdata.csv."""
    cfg = yaml.safe_load((wd / "config/config.yaml").read_text())
    micro = pd.read_csv(base_micro, dtype=str, keep_default_na=False)
    frames_pattern = cfg["files"]["frames"]
    codes = set()
    for y in cfg["waves"]:
        codes |= set(
            pd.read_csv(wd / frames_pattern.format(year=y), dtype={"kommunenummer": str})[
                "kommunenummer"
            ]
        )
    # copy k of municipality c gets the 6-digit code f"{k:02d}{c}"; the copy's codebook
    # accepts 4 or 6 digits (the real codebook demands 4, which caps the panel at 10 000).
    mapping = {(c, k): f"{k:02d}{c}" for c in codes for k in range(1, factor)}
    cb = wd / cfg["files"]["codebook"]
    cb.write_text(
        cb.read_text().replace('pattern: "^[0-9]{4}$"', 'pattern: "^([0-9]{2})?[0-9]{4}$"')
    )
    for y in cfg["waves"]:
        path = wd / frames_pattern.format(year=y)
        fr = pd.read_csv(path, dtype=str, keep_default_na=False)
        parts = [fr]
        for k in range(1, factor):
            cp = fr.copy()
            cp["kommunenummer"] = [mapping[(c, k)] for c in fr["kommunenummer"]]
            cp["kommunenavn"] = cp["kommunenavn"] + f" {k}"
            parts.append(cp)
        pd.concat(parts, ignore_index=True).to_csv(path, index=False)
    parts = [micro]
    for k in range(1, factor):
        cp = micro.copy()
        cp["kommunenr"] = [mapping[(c, k)] for c in micro["kommunenr"]]
        parts.append(cp)
    pd.concat(parts, ignore_index=True).to_csv(wd / "scaled_microdata.csv", index=False)


# --------------------------------------------------------------------------- machine
def machine() -> dict:
    cpu = "unknown"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as fh:
        mem_kb = int(next(x for x in fh if x.startswith("MemTotal")).split()[1])
    os_name = platform.platform()
    if Path("/etc/os-release").exists():
        rel = dict(line.rstrip().split("=", 1) for line in open("/etc/os-release") if "=" in line)
        os_name = rel.get("PRETTY_NAME", os_name).strip('"') + f" ({platform.release()})"
    versions = {}
    for p in PACKAGES:
        try:
            versions[p] = md.version(p)
        except md.PackageNotFoundError:
            versions[p] = "-"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": mem_kb / 1024**2,
        "os": os_name,
        "python": platform.python_version(),
        "packages": versions,
    }


# --------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scales", type=int, nargs="*", default=[10, 100])
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--out", default=str(REPO / "docs/benchmarks.md"))
    ap.add_argument("--keep", action="store_true", help="keep the temporary copies")
    ap.add_argument(
        "--repeat", type=int, default=3, help="runs per measurement of the default target (median)"
    )
    ap.add_argument(
        "--simulation",
        action="store_true",
        help="only measure what the simulation study adds to a full rebuild and what a "
        "formula edit re-runs "
        "(its section of --out is replaced, the rest kept)",
    )
    a = ap.parse_args()
    command = "python scripts/benchmark.py " + " ".join(shlex.quote(x) for x in sys.argv[1:])
    tmp = Path(tempfile.mkdtemp(prefix="digikom-bench-"))
    res: dict = {}
    print(f"working in {tmp}", flush=True)
    if a.simulation:
        simulation_cost(tmp, a.cores, a.repeat, Path(a.out), command)
        return

    wd = copy_repo(tmp / "base", shipped_simulation=True)
    # each measurement `--repeat` times, reported as the median (the machine is shared)
    cold = [timed_run(wd, "--skip-script-cleanup", cores=a.cores)]
    cold += [timed_run(wd, "--forceall", cores=a.cores) for _ in range(a.repeat - 1)]
    res["cold"] = median_run(cold)
    print(f"cold full rebuild {res['cold']['wall_s']:.1f} s {res['cold']['runs']}", flush=True)
    base_stages = stage_times(wd)
    res["noop"] = median_run([timed_run(wd, cores=a.cores) for _ in range(a.repeat)])
    print(f"no-op {res['noop']['wall_s']:.2f} s {res['noop']['runs']}", flush=True)
    # one model's formula edited: a term added, removed, added (each a real edit)
    models = wd / "config/models.yaml"
    original = models.read_text()
    cfg = yaml.safe_load(original)
    for m in cfg["models"]:
        if m["id"] == "strategy":
            m["formula"] += " + internal_functions"
    edited = yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False)
    runs = []
    for i in range(a.repeat):
        models.write_text(edited if i % 2 == 0 else original)
        runs.append(timed_run(wd, cores=a.cores))
    res["incremental"] = median_run(runs)
    print(
        f"incremental {res['incremental']['wall_s']:.1f} s {res['incremental']['runs']}", flush=True
    )
    renders = {}
    r = timed_run(wd, "--forcerun", "report", cores=a.cores)
    rows = list(csv.DictReader(open(wd / "benchmarks/report/report.tsv"), delimiter="\t"))
    renderer = "quarto" if shutil.which("quarto") else "pandoc + typst"
    renders[renderer] = {"wall_s": r["wall_s"], "rule_s": float(rows[-1]["s"])}
    res["render"] = renders
    print(f"render {renders}", flush=True)
    res["floor"] = floor_run(wd)
    print(f"floor {res['floor']['wall_s']:.1f} s ({res['floor']['jobs']} jobs)", flush=True)

    scaled = {
        1: {
            "rows": None,
            "stages": base_stages,
            "wall_s": res["cold"]["wall_s"],
            "peak_mib": res["cold"]["peak_mib"],
        }
    }
    base_micro = wd / "results/data/microdata_synthetic.csv"
    scaled[1]["rows"] = len(pd.read_csv(wd / "results/data/panel.csv", usecols=[0]))
    for f in a.scales:
        swd = copy_repo(tmp / f"x{f}")
        scale_copy(swd, base_micro, f)
        # the maps (and the report after them) draw the 357 real municipalities: the
        # replicated ones have no polygon, and the country does not grow with the panel
        r = timed_run(
            swd, "--config", "microdata=scaled_microdata.csv",
            "--omit-from", "map_boundaries", "map_tables", cores=a.cores,
        )  # fmt: skip
        scaled[f] = {
            "rows": len(pd.read_csv(swd / "results/data/panel.csv", usecols=[0])),
            "stages": stage_times(swd),
            "wall_s": r["wall_s"],
            "peak_mib": r["peak_mib"],
        }
        print(f"x{f}: {r['wall_s']:.1f} s", flush=True)
    res["scaled"] = scaled
    write_markdown(Path(a.out), machine(), res, command, a.cores)
    print(f"wrote {a.out}")
    if not a.keep:
        shutil.rmtree(tmp, ignore_errors=True)


SIMULATION_TARGETS = ("results/simulation/recovery.csv", "results/simulation/validation.csv")


def _cpu_s() -> float:
    """User + system CPU seconds of this process's waited-for children so far."""
    r = os.times()
    return r.children_user + r.children_system


def edit_cost(tmp: Path, cores: int, repeat: int) -> list[str]:
    """Forced full rebuild (--forceall) against the rebuild after editing one model's
    formula (a term added to the strategy model, removed, added: each run a real edit),
    alternating in one built copy; markdown lines."""
    wd = copy_repo(tmp / "edit", shipped_simulation=True)
    timed_run(wd, cores=cores)
    models = wd / "config/models.yaml"
    original = models.read_text(encoding="utf-8")
    edited = original.replace(
        'formula: "log_population + C(year)"\n    weights: none\n    cov_type: cluster\n'
        "    reference: {year: 2018}",
        'formula: "log_population + internal_functions + C(year)"\n    weights: none\n'
        "    cov_type: cluster\n    reference: {year: 2018}",
    )
    if edited == original:
        raise SystemExit("config/models.yaml: the strategy model's formula was not found")
    full, edit = [], []
    for i in range(repeat):
        full.append(timed_run(wd, "--forceall", cores=cores)["wall_s"])
        models.write_text(edited if i % 2 == 0 else original, encoding="utf-8")
        edit.append(timed_run(wd, cores=cores)["wall_s"])
        print(f"forced full {full[-1]:.1f} s, formula edit {edit[-1]:.1f} s", flush=True)
    ratios = sorted(e / f for e, f in zip(edit, full, strict=True))
    med = sorted(full)[len(full) // 2], sorted(edit)[len(edit) // 2]
    return [
        "",
        f"Editing one model's formula (the strategy model, {repeat} alternating edits) against a",
        "forced full rebuild (`--forceall`) in the same copy, each pair measured back to back:",
        "",
        "| measurement | forced full rebuild | formula edit | ratio (median of the pairs) |",
        "|---|---:|---:|---:|",
        f"| wall (s) | {med[0]:.1f} | {med[1]:.1f} | {ratios[len(ratios) // 2]:.2f} |",
    ]


def simulation_cost(tmp: Path, cores: int, repeat: int, out: Path, command: str) -> None:
    """Cold full rebuild of the default target with the simulation (a fresh copy each run)
    against the same rebuild with the simulation's outputs already made (the rest of the
    DAG only), alternating, in one session; wall and CPU seconds as ratios."""
    runs: dict[str, list[dict]] = {"with": [], "without": []}
    for i in range(repeat):
        for kind in ("without", "with"):
            wd = copy_repo(tmp / f"{kind}{i}", shipped_simulation=True)
            if kind == "without":
                timed_run(wd, *SIMULATION_TARGETS, cores=cores)
            c0 = _cpu_s()
            r = timed_run(wd, cores=cores)
            r["cpu_s"] = _cpu_s() - c0
            r["stages"] = stage_times(wd)
            runs[kind].append(r)
            print(
                f"{kind} simulation: {r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} s CPU", flush=True
            )
    med = {k: median_run(v) for k, v in runs.items()}
    cpu = {k: sorted(r["cpu_s"] for r in v)[len(v) // 2] for k, v in runs.items()}
    sim_stages: dict[str, list[float]] = {}
    for r in runs["with"]:
        per_run: dict[str, float] = {}  # summed over the jobs of a rule in this run
        for stage, sec in r["stages"].items():
            if stage == "cuts":
                key = "simulation_cuts"
            elif stage.startswith("validation_"):
                key = "simulation_validation (all chunks)"
            elif stage == "recovery":
                key = "simulation_recovery"
            elif stage.rsplit("_", 1)[-1].isdigit():
                key = "simulate_model (all models and chunks)"
            else:
                continue
            per_run[key] = per_run.get(key, 0.0) + sec
        for key, sec in per_run.items():
            sim_stages.setdefault(key, []).append(sec)
    lines = [
        "## Simulation: what it adds to a full rebuild",
        "",
        f"Measured with `{command}` ({cores} cores; median of {repeat} alternating runs, each",
        "in a fresh copy). *Without* = the same cold rebuild of the default target with the",
        "simulation's outputs already made, so only the rest of the DAG runs.",
        "",
        "| measurement | without simulation | with simulation | ratio |",
        "|---|---:|---:|---:|",
        f"| wall (s) | {med['without']['wall_s']:.1f} | {med['with']['wall_s']:.1f} | "
        f"{med['with']['wall_s'] / med['without']['wall_s']:.2f} |",
        f"| CPU, user + system (s) | {cpu['without']:.1f} | {cpu['with']:.1f} | "
        f"{cpu['with'] / cpu['without']:.2f} |",
        f"| peak memory (MiB) | {med['without']['peak_mib']:.0f} | "
        f"{med['with']['peak_mib']:.0f} | |",
        "",
        "Simulation jobs (Snakemake benchmarks, seconds summed over the jobs of a rule,",
        "median over the runs):",
        "",
        "| rule | s |",
        "|---|---:|",
    ]
    for key, secs in sorted(sim_stages.items()):
        lines.append(f"| {key} | {sorted(secs)[len(secs) // 2]:.1f} |")
    lines += edit_cost(tmp, cores, repeat)
    previous = out.read_text(encoding="utf-8") if out.exists() else ""
    head, sep, rest = previous.partition("\n## Simulation: what it adds to a full rebuild\n")
    if sep:  # replace the old section up to the next one
        after = rest.split("\n## ", 1)
        rest = "\n## " + after[1] if len(after) > 1 else ""
    else:
        head, sep2, rest = previous.partition("\n## Notes\n")
        rest = sep2 + rest
    out.write_text(head.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n" + rest, encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
