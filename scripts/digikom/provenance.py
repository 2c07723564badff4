"""results/provenance.json: git commit, time, config, package versions, renderer and the
sha256 of every input file; and the calibration rows of results/report/context.json
(built in digikom.report_context)."""

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


def calibration_rows(params: dict, targets, waves: list[int], lang: str) -> list[dict]:
    """Every share the synthetic generator is calibrated to in the configured waves, one row
    per share spec of :func:`digikom.synthetic._share_specs` (targets, overall, high, low
    and within_level): the one list every calibration count of the report is taken from.
    ``source`` is the published target id(s) the value rests on, or "assumption";
    ``provenance`` the class of :func:`digikom.synthetic.parameter_provenance`; ``note`` is
    in the report language."""
    from .published import resolve_share
    from .synthetic import _share_specs

    rows = []
    for var, key, year, level, spec in _share_specs(params):
        if int(year) not in waves:
            continue
        ids = (
            [spec["target"]]
            if "target" in spec
            else list(spec.get("ratio_of", [])) or list(spec.get("derived_from", []))
        )
        path = f"{var}.{key}.{year}" + (f".{level}" if level else "")
        note = spec.get("note") or {}
        rows.append(
            {
                "variable": var,
                "part": key + (f" ({level})" if level else ""),
                "year": int(year),
                "level": level,
                "value": resolve_share(spec, targets, f"config/synthetic.yaml {path}"),
                "source": ", ".join(ids) if ids else "assumption",
                "provenance": "assumed"
                if not ids
                else "derived"
                if "derived_from" in spec
                else "published",
                "note": note.get(lang, "") if isinstance(note, dict) else str(note),
            }
        )
    return rows


def calibration_summary(rows: list[dict]) -> dict:
    """The calibration counts the report states: shares calibrated (``parameters``), how many
    rest on published figures (``published``) or are assumptions (``assumed``), and the
    distinct published figures they use (``figures``)."""
    ids = {i for r in rows if r["source"] != "assumption" for i in r["source"].split(", ")}
    published = sum(r["source"] != "assumption" for r in rows)
    return {
        "parameters": len(rows),
        "published": published,
        "assumed": len(rows) - published,
        "figures": len(ids),
    }
