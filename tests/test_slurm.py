"""The SLURM profile (workflow/profiles/slurm) against a real SLURM cluster.

The slow test runs the scale-out workloads, the parameter-recovery simulation study
(S = 4 seeds, 2 per job: two chunk jobs per model, as a SLURM run at S >= 1000 has many)
and a bootstrap, through the SLURM executor in a copy of the
repository, checks in `sacct` that every chunk ran as a SLURM job that COMPLETED, and that
the outputs are byte-identical to a local run of the same seeds.

It needs a running cluster: DIGIKOM_SLURM_PREFIX names the PREFIX of
../shared/tools/slurm/start-cluster.sh (.ci/run starts one and sets it). Without it the
test is skipped with the reason; with CI=true it fails. DIGIKOM_SLURM_ACCOUNT and
DIGIKOM_SLURM_PARTITION (default root and main, the local cluster's) are what a user gives
on a real cluster.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from workflow_utils import (
    REPO,
    SMALL_SIMULATION,
    copy_repo,
    from_built,
    hash_tree,
    run_snakemake,
)

PROFILE = "workflow/profiles/slurm"
SIMULATION_RULES = REPO / "workflow" / "rules" / "simulation.smk"


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {reason}: .ci/run must start the local SLURM cluster")
    pytest.skip(reason)


def _has_simulation() -> bool:
    """The simulation study (rule simulate_model) is part of the workflow."""
    return SIMULATION_RULES.exists() and "rule simulate_model:" in SIMULATION_RULES.read_text()


def _slurm_env() -> dict[str, str]:
    """The environment of PREFIX/env.sh: SLURM_CONF and the client wrappers on PATH (the
    jobstep plugin strips SLURM_CONF inside a job; the wrappers set it again)."""
    prefix = os.environ.get("DIGIKOM_SLURM_PREFIX")
    if not prefix:
        _unavailable(
            "DIGIKOM_SLURM_PREFIX is not set (start a cluster with "
            "../shared/tools/slurm/start-cluster.sh PREFIX and export it)"
        )
    prefix = Path(prefix)
    conf = prefix / "etc" / "slurm.conf"
    if not conf.is_file() or not (prefix / "bin" / "sbatch").is_file():
        _unavailable(f"no cluster set up under DIGIKOM_SLURM_PREFIX={prefix}")
    env = {"SLURM_CONF": str(conf), "PATH": f"{prefix / 'bin'}:{os.environ['PATH']}"}
    try:
        ping = subprocess.run(
            ["scontrol", "ping"],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        _unavailable(f"scontrol ping failed: {exc}")
    if ping.returncode != 0 or "UP" not in ping.stdout:
        _unavailable(f"slurmctld under {prefix} does not answer: {ping.stdout}{ping.stderr}")
    return env


def _sacct(env: dict, run_id: str, since: datetime, n_expected: int) -> list[dict]:
    """The run's jobs (sacct -X, job name = the plugin's run ID); waits briefly for
    sacct, which can lag behind the end of a job."""
    cmd = [
        "sacct",
        "-X",
        "--parsable2",
        "--noheader",
        "--name",
        run_id,
        "--starttime",
        f"{since:%Y-%m-%dT%H:%M:%S}",
        "--format=JobIdRaw,JobName,State,SubmitLine",
    ]
    rows: list[dict] = []
    for _ in range(20):
        proc = subprocess.run(
            cmd, env={**os.environ, **env}, capture_output=True, text=True, check=True
        )
        rows = []
        for line in proc.stdout.splitlines():
            jobid, name, state, submit = line.split("|", 3)
            comment = re.search(r"--comment (\S+)", submit)
            rows.append(
                {
                    "jobid": jobid,
                    "name": name,
                    "state": state,
                    "comment": comment.group(1) if comment else None,
                    "submit": submit,
                }
            )
        if len(rows) >= n_expected and all(r["state"] == "COMPLETED" for r in rows):
            break
        time.sleep(1)
    return rows


def _dry_run_jobs(text: str) -> list[dict]:
    """(rule, resources) of every job a dry run prints."""
    jobs = []
    for m in re.finditer(r"^rule (\w+):\n(.*?)(?=\n\n|\Z)", text, re.M | re.S):
        res = re.search(r"^\s+resources: (.*)$", m.group(2), re.M)
        resources = dict(
            kv.split("=", 1) for kv in (res.group(1).split(", ") if res else []) if "=" in kv
        )
        jobs.append({"rule": m.group(1), "resources": resources})
    return jobs


def _local_rules() -> set[str]:
    """Rules declared `localrule: True` (they run in the main Snakemake process on the
    login node; a dry run does not say which)."""
    local = set()
    for smk in [REPO / "Snakefile", *sorted((REPO / "workflow" / "rules").glob("*.smk"))]:
        for block in re.split(r"^\s*rule ", smk.read_text(), flags=re.M)[1:]:
            body = block.split("\n\n\n", 1)[0]
            if re.search(r"^\s+localrule: True", body, re.M):
                local.add(block.split(":", 1)[0])
    return local


@pytest.mark.slow  # a Snakemake dry run (make test-fast starts no Snakemake)
def test_profile_needs_only_account_and_partition(tmp_path):
    """With the profile unmodified, account and partition given on the command line reach
    every SLURM job, and every job still has its own memory and time limit (the command
    line's --default-resources replaces a profile's, so the rules declare their own)."""
    wd = copy_repo(tmp_path)
    scale = tmp_path / "scale.yaml"
    scale.write_text(yaml.safe_dump({"bootstrap": {"replicates": 4, "chunks": 2}}))
    proc = run_snakemake(
        wd,
        "--workflow-profile",
        PROFILE,
        "--configfile",
        str(scale),
        "--default-resources",
        "slurm_account=acct_x",
        "slurm_partition=part_y",
        "--config",
        "fetch_statbank=true",
        "--dry-run",
        check=True,
    )
    jobs = _dry_run_jobs(proc.stdout + proc.stderr)
    local = _local_rules()
    # the fan-in of the chunks runs on the login node, the StatBank fetch too (internet)
    assert {"bootstrap_combine", "statbank_fetch"} <= local, local
    remote = [j for j in jobs if j["rule"] not in local | {"all"}]
    rules = {j["rule"] for j in remote}
    assert {"bootstrap_chunk", "fit_model", "statbank_figure"} <= rules, rules
    if _has_simulation():
        assert {"simulate_model", "simulation_validation"} <= rules, rules
    missing = [
        (j["rule"], key)
        for j in remote
        for key in ("mem_mb", "runtime")
        if not j["resources"].get(key, "").isdigit()
    ]
    assert not missing, f"jobs without their own mem_mb/runtime: {missing}"
    assert {j["resources"].get("slurm_account") for j in remote} == {"acct_x"}
    assert {j["resources"].get("slurm_partition") for j in remote} == {"part_y"}


@pytest.mark.slow
def test_simulation_and_bootstrap_on_slurm_match_local(built, tmp_path):
    env = _slurm_env()
    account = os.environ.get("DIGIKOM_SLURM_ACCOUNT", "root")
    partition = os.environ.get("DIGIKOM_SLURM_PARTITION", "main")
    simulation = _has_simulation()

    scale = {"bootstrap": {"replicates": 4, "chunks": 1}}
    targets = ["results/models/bootstrap_predictions.csv"]
    chunk_rules = ["bootstrap_chunk"]
    if simulation:
        # two chunk jobs per model (a SLURM run at S >= 1000 has many), one validation
        # chunk; the cut-points (upstream, one job) from a small panel as in the other tests
        scale["simulation"] = {
            **SMALL_SIMULATION, "seeds": 4, "seeds_per_job": 2, "validation_seeds": 2,
            "validation_per_job": 2,
        }  # fmt: skip
        targets.append("results/simulation/recovery.csv")
        chunk_rules += ["simulate_model", "simulation_validation"]
    scale_file = tmp_path / "scale.yaml"
    scale_file.write_text(yaml.safe_dump(scale))
    args = [*targets, "--configfile", str(scale_file)]

    # Everything upstream of the chunks once, locally (from the built run: only what this
    # test's scale changes re-runs); then the same tree twice.
    base = from_built(built, tmp_path / "base")
    run_snakemake(base, *args, "--omit-from", *chunk_rules, check=True, timeout=1200)
    local = Path(shutil.copytree(base, tmp_path / "local", symlinks=True))
    slurm = Path(shutil.copytree(base, tmp_path / "slurm", symlinks=True))

    run_snakemake(local, *args, check=True, timeout=1200)
    since = datetime.now() - timedelta(minutes=1)
    proc = run_snakemake(
        slurm,
        *args,
        "--workflow-profile",
        PROFILE,
        "--default-resources",
        f"slurm_account={account}",
        f"slurm_partition={partition}",
        env=env,
        check=True,
        timeout=1800,
    )
    out = proc.stdout + proc.stderr
    run_id = re.search(r"SLURM run ID: (\S+)", out)
    assert run_id, out[-3000:]

    # The chunk jobs the local run made are exactly the SLURM jobs of the run.
    models = sorted(
        p.name.removesuffix("_chunk0.csv")
        for p in (local / "results/models/bootstrap").glob("*_chunk0.csv")
    )
    assert len(models) >= 2, models
    expected = {f"rule_bootstrap_chunk_wildcards_{m}_0" for m in models}
    if simulation:
        est = local / "results/simulation/estimates"
        chunks = sorted(f"{p.parent.name}_{p.stem}" for p in est.glob("*/*.csv"))
        assert {c.rsplit("_", 1)[1] for c in chunks} == {"0", "1"}, chunks  # S = 4, 2 per job
        expected |= {f"rule_simulate_model_wildcards_{c}" for c in chunks}
        expected |= {"rule_simulation_validation_wildcards_0"}
    jobs = _sacct(env, run_id.group(1), since, len(expected))
    assert sorted(j["comment"] for j in jobs) == sorted(expected), jobs
    assert {j["state"] for j in jobs} == {"COMPLETED"}, jobs
    assert all(f"-A {account} -p {partition} " in j["submit"] for j in jobs), jobs
    # each job's SLURM log under logs/slurm/<rule>/<wildcards>/<jobid>.log
    for j in jobs:
        rule = re.match(r"rule_(\w+?)_wildcards_", j["comment"]).group(1)
        logs = list((slurm / "logs/slurm" / f"rule_{rule}").glob(f"*/{j['jobid']}.log"))
        assert logs, (j, sorted((slurm / "logs/slurm").rglob("*.log")))

    # Byte-identical outputs: where a chunk runs does not change what it computes.
    compared = ["results/models/bootstrap"]
    if simulation:
        compared.append("results/simulation")
    for sub in compared:
        here, there = hash_tree(local / sub), hash_tree(slurm / sub)
        assert here and here == there, sub
    for f in ["results/models/bootstrap_predictions.csv"] + targets[1:]:
        assert (local / f).read_bytes() == (slurm / f).read_bytes(), f
    if not simulation:
        pytest.skip(
            "bootstrap checked on SLURM; the simulation study (rule simulate_model in "
            "workflow/rules/simulation.smk) is not part of this workflow yet"
        )
