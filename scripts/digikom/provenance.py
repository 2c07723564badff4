"""results/provenance.json: git commit, time, config, package versions, renderer and the
sha256 of every input file (results/context.json is built in
digikom.report_context)."""

from __future__ import annotations

import datetime as dt
import importlib.metadata as md
import os
import platform
import subprocess
import sys

from .io import sha256_file

PACKAGES = [
    "snakemake",
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "matplotlib",
    "pandera",
    "pyarrow",
    "pypandoc-binary",
    "typst",
    "requests",
    "patsy",
    "jsonschema",
    "pyyaml",
]

# Fields that differ between two runs from the same inputs (documented in README).
RUN_METADATA_FIELDS = ["created_utc", "git.dirty"]


def git_info(cwd: str = ".") -> dict:
    def run(*args):
        p = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
        return p.stdout.strip() if p.returncode == 0 else None

    commit = run("rev-parse", "HEAD")
    status = run("status", "--porcelain", "--untracked-files=no")
    return {
        "commit": commit or "unknown",
        "short": (commit or "unknown")[:8],
        "dirty": bool(status) if status is not None else None,
    }


def package_versions() -> dict:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = None
    return out


def build_provenance(inputs: list[str], config: dict, renderer: str, data_mode: str) -> dict:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    now = dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch else dt.datetime.now(dt.UTC)
    return {
        "created_utc": now.replace(microsecond=0).isoformat(),
        "git": git_info(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "renderer": renderer,
        "data_mode": data_mode,
        "seed": config["seed"],
        "config": config,
        "packages": package_versions(),
        "inputs": [
            {"path": str(p), "sha256": sha256_file(p), "bytes": os.path.getsize(p)}
            for p in sorted(set(map(str, inputs)))
        ],
        "run_metadata_fields": RUN_METADATA_FIELDS,
    }
