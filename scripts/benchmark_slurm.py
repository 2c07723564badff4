"""Measure the parameter-recovery study locally and through SLURM; write the table into
docs/scaling.md (between its `benchmark_slurm` markers).

    DIGIKOM_SLURM_PREFIX=/tmp/slurm .venv/bin/python scripts/benchmark_slurm.py \\
        --seeds 20 60 [--per-job 10] [--account root --partition main]

Needs a running cluster (../shared/tools/slurm/start-cluster.sh PREFIX). Everything runs
in temporary copies of the repository (tests/workflow_utils.py). Upstream of the chunks
(the truth panel and the pseudo-true values) is built once, locally; then for each S the
same tree is copied twice and `results/simulation/recovery.csv` is built with S seeds,
`--per-job` seeds per job: once locally (`--cores 2`), once through the SLURM profile
(workflow/profiles/slurm unmodified, plus account and partition), one after the other.
Measured: wall time of each run; per SLURM job, its elapsed time in `sacct` and the
chunk's own work (the rule's benchmark file, written inside the job), whose difference is
the job's overhead (the Snakemake process a job starts); the outputs are compared byte
for byte.
"""

from __future__ import annotations

import argparse
import csv
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from workflow_utils import copy_repo, env_for, hash_tree, snakemake_cmd  # noqa: E402

BEGIN = "<!-- benchmark_slurm:begin -->"
END = "<!-- benchmark_slurm:end -->"


def cluster_env(prefix: Path) -> dict[str, str]:
    conf = prefix / "etc" / "slurm.conf"
    if not conf.is_file():
        raise SystemExit(f"no SLURM cluster under {prefix} (start-cluster.sh PREFIX)")
    return {"SLURM_CONF": str(conf), "PATH": f"{prefix / 'bin'}:{os.environ['PATH']}"}


def run(wd: Path, *args: str, env: dict | None = None) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        snakemake_cmd(wd, *args, cores=2),
        cwd=wd,
        env=env_for(wd, env),
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise SystemExit(f"snakemake {' '.join(args)} failed in {wd}:\n{out[-4000:]}")
    return wall, out


def sacct_jobs(env: dict, run_id: str, since: datetime) -> list[dict]:
    cmd = [
        "sacct", "-X", "--parsable2", "--noheader", "--name", run_id,
        "--starttime", f"{since:%Y-%m-%dT%H:%M:%S}",
        "--format=JobIdRaw,State,ElapsedRaw,Submit,Start,End,SubmitLine",
    ]  # fmt: skip
    for _ in range(20):
        proc = subprocess.run(
            cmd, env={**os.environ, **env}, capture_output=True, text=True, check=True
        )
        rows = [dict(zip(["id", "state", "elapsed", "submit", "start", "end", "line"],
                         line.split("|", 6), strict=True))
                for line in proc.stdout.splitlines()]  # fmt: skip
        if rows and all(r["state"] == "COMPLETED" for r in rows):
            return rows
        time.sleep(1)
    raise SystemExit(f"sacct: not all jobs of {run_id} COMPLETED: {rows}")


def _seconds(t: str) -> float:
    """sacct's [DD-][HH:]MM:SS[.mmm] in seconds."""
    days, _, t = t.rpartition("-")
    parts = [float(x) for x in t.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0.0)
    return float(days or 0) * 86400 + parts[0] * 3600 + parts[1] * 60 + parts[2]


def total_cpu(env: dict, ids: list[str]) -> list[float]:
    """CPU seconds of each job, all its steps (the batch step's Snakemake, the job step's
    Snakemake and the rule's script)."""
    proc = subprocess.run(
        ["sacct", "--parsable2", "--noheader", "-j", ",".join(ids),
         "--format=JobIdRaw,TotalCPU"],
        env={**os.environ, **env}, capture_output=True, text=True, check=True,
    )  # fmt: skip
    cpu = dict(line.split("|", 1) for line in proc.stdout.splitlines())
    return [_seconds(cpu[i]) for i in ids]


def chunk_work(wd: Path) -> tuple[float, float]:
    """Mean wall and CPU seconds of the chunks' own work, from
    benchmarks/simulation/chunk_{i}.tsv (written where the chunk ran)."""
    rows = []
    for f in sorted((wd / "benchmarks/simulation").glob("chunk_*.tsv")):
        with open(f) as fh:
            rows.append(list(csv.DictReader(fh, delimiter="\t"))[-1])
    return (
        sum(float(r["s"]) for r in rows) / len(rows),
        sum(float(r["cpu_time"]) for r in rows) / len(rows),
    )


def measure(base: Path, tmp: Path, seeds: int, per_job: int, env: dict, res: list[str]) -> dict:
    cfg = tmp / f"sim_{seeds}_{per_job}.yaml"
    cfg.write_text(yaml.safe_dump({"simulation": {"seeds": seeds, "seeds_per_job": per_job}}))
    target = ["results/simulation/recovery.csv", "--configfile", str(cfg)]
    local = Path(shutil.copytree(base, tmp / f"local_{seeds}_{per_job}", symlinks=True))
    slurm = Path(shutil.copytree(base, tmp / f"slurm_{seeds}_{per_job}", symlinks=True))
    local_s, _ = run(local, *target)
    since = datetime.now() - timedelta(minutes=1)
    slurm_s, out = run(
        slurm, *target, "--workflow-profile", "workflow/profiles/slurm",
        "--default-resources", *res, env=env,
    )  # fmt: skip
    run_id = next(
        line.split("SLURM run ID: ", 1)[1].strip()
        for line in out.splitlines()
        if "SLURM run ID: " in line
    )
    jobs = sacct_jobs(env, run_id, since)
    work, cpu = chunk_work(slurm)
    local_work, local_cpu = chunk_work(local)
    per_job_s = [float(j["elapsed"]) for j in jobs]
    identical = hash_tree(local / "results/simulation") == hash_tree(slurm / "results/simulation")
    m = {
        "seeds": seeds,
        "per_job": per_job,
        "jobs": len(jobs),
        "local_s": local_s,
        "slurm_s": slurm_s,
        "job_elapsed_s": sum(per_job_s) / len(per_job_s),
        "work_s": work,
        "cpu_s": cpu,
        "local_work_s": local_work,
        "local_cpu_s": local_cpu,
        "identical": identical,
    }
    m["overhead_s"] = m["job_elapsed_s"] - m["work_s"]
    job_cpu = total_cpu(env, [j["id"] for j in jobs])
    m["overhead_cpu_s"] = sum(job_cpu) / len(job_cpu) - m["cpu_s"]
    print(m, flush=True)
    return m


def load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def write(out: Path, rows: list[dict], command: str, notes: list[str]) -> None:
    lines = [
        BEGIN,
        f"Measured with `{command}` (scripts/benchmark_slurm.py), {datetime.now():%Y-%m-%d %H:%M} "
        "UTC, one run each, local and SLURM one after the other on the same 2-core machine "
        "(the single-node cluster of ../shared/tools/slurm). Other developers' work shared "
        "the CPU and its load changed from minute to minute (load averages below), so the "
        "two wall times of one S, measured minutes apart, compare the conditions as much "
        "as the executors: read them with the chunks' CPU time (the same work in both) and "
        "the overhead per SLURM job.",
        "",
        "| S (seeds) | seeds per job | SLURM jobs | local wall | SLURM wall | SLURM / local "
        "| chunk, local: wall (CPU) | chunk in SLURM: wall (CPU) | SLURM job elapsed "
        "| overhead per job: wall (CPU) | outputs identical |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['seeds']} | {r['per_job']} | {r['jobs']} | {r['local_s']:.0f} s "
            f"| {r['slurm_s']:.0f} s | {r['slurm_s'] / r['local_s']:.2f} "
            f"| {r['local_work_s']:.0f} s ({r['local_cpu_s']:.0f} s) "
            f"| {r['work_s']:.0f} s ({r['cpu_s']:.0f} s) "
            f"| {r['job_elapsed_s']:.0f} s | {r['overhead_s']:.0f} s ({r['overhead_cpu_s']:.0f} s) "
            f"| {'yes' if r['identical'] else 'NO'} |"
        )
    lines += ["", *notes, END]
    text = out.read_text()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + "\n".join(lines) + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"
    out.write_text(text)
    print(f"wrote {out}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[20, 60])
    ap.add_argument("--per-job", type=int, default=10)
    ap.add_argument("--account", default="root")
    ap.add_argument("--partition", default="main")
    ap.add_argument("--prefix", default=os.environ.get("DIGIKOM_SLURM_PREFIX"))
    ap.add_argument("--out", default=str(REPO / "docs/scaling.md"))
    ap.add_argument(
        "--base",
        help="a copy whose upstream of the chunks is built (the 'base' of an earlier run)",
    )
    a = ap.parse_args()
    if not a.prefix:
        raise SystemExit("give --prefix or DIGIKOM_SLURM_PREFIX (the cluster's PREFIX)")
    env = cluster_env(Path(a.prefix))
    res = [f"slurm_account={a.account}", f"slurm_partition={a.partition}"]
    command = "python scripts/benchmark_slurm.py " + " ".join(shlex.quote(x) for x in sys.argv[1:])
    tmp = Path(tempfile.mkdtemp(prefix="digikom-bench-slurm-"))
    print(f"working in {tmp}", flush=True)
    if a.base:
        base, upstream = Path(a.base), "in an earlier run"
    else:
        base = copy_repo(tmp / "base", shipped_simulation=True)  # the shipped truth_scale
        cfg = tmp / "upstream.yaml"
        cfg.write_text(
            yaml.safe_dump({"simulation": {"seeds": min(a.seeds), "seeds_per_job": a.per_job}})
        )
        upstream_s, _ = run(
            base, "results/simulation/recovery.csv", "--configfile", str(cfg),
            "--omit-from", "simulate_chunk",
        )  # fmt: skip
        upstream = f"in {upstream_s:.0f} s"
        print(f"upstream (truth panel and values, locally) {upstream_s:.0f} s", flush=True)
    before = load()
    rows = []
    for seeds in a.seeds:  # the table is rewritten after each S (a long run may be stopped)
        rows.append(measure(base, tmp, seeds, a.per_job, env, res))
        notes = [
            f"Load averages before: `{before}`; after S = {seeds}: `{load()}`. Upstream of "
            "the chunks (the truth panel and the pseudo-true values, the same for every S) "
            f"was built once beforehand, locally, {upstream}. *Work per chunk* is the "
            "chunk's own time from its benchmark file (written inside the job); *overhead "
            "per job* is the SLURM job's elapsed time in `sacct` minus that work (and its "
            "CPU time in `sacct`, all steps, minus the chunk's): the Snakemake processes "
            "each job starts (one in the batch step, one in the job step: Python, imports, "
            "parsing the workflow). "
            "The rest of the gap between the two wall times is queueing and the status "
            "checks (every 10 s)."
        ]
        write(Path(a.out), rows, command, notes)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
