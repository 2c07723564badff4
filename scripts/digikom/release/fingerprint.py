"""What a build's public numbers rest on, as hashes a later build can compare with.

``waves``: per wave, the sha256 of that wave's rows of the panel (results/data/panel.csv:
answers, frame, weights), so a corrected answer changes exactly its wave's hash.
``method``: the sha256 of the configuration each table or model depends on (without
labels: a label edit moves no number). ``code``: the sha256 of the package and rule
scripts, and the git version."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pandas as pd

from . import MODEL_TABLES


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_obj(obj) -> str:
    """The sha256 of ``obj`` as canonical JSON (sorted keys)."""
    return sha256_text(json.dumps(obj, sort_keys=True, default=str, ensure_ascii=False))


def wave_hashes(panel: pd.DataFrame) -> dict[str, str]:
    """{wave: sha256 of that wave's panel rows (sorted by municipality)}."""
    out = {}
    for year, rows in panel.groupby("year", sort=True):
        rows = rows.sort_values(list(rows.columns[:2])).reset_index(drop=True)
        out[str(int(year))] = sha256_text(rows.to_csv(index=False))
    return out


def method_hashes(settings) -> dict[str, str]:
    """{part: sha256 of the configuration it depends on}: ``indicators`` (every indicator
    table: indicator rules, codebook, size groups, disclosure control), ``maps`` (the
    county table) and ``model:<id>`` (one model's spec and disclosure control)."""
    protect = {"protection": settings.protection, "min_cell": settings.min_cell}
    base = {
        "indicators": settings.indicator_rules,
        "codebook": settings.without_labels(settings.codebook),
        "size_groups": settings.size_group_bounds,
        **protect,
    }
    from ..maps.spec import map_settings, rule_settings

    maps = settings.without_labels(rule_settings(map_settings(settings)))
    out = {"indicators": sha256_obj(base), "maps": sha256_obj({**base, "maps": maps})}
    for m in settings.models:
        spec = settings.without_labels(settings.model_spec(m["id"]))
        out[f"model:{m['id']}"] = sha256_obj({"spec": spec, **protect})
    return out


def code_hash(root: str | Path) -> str:
    """sha256 over every .py file under ``root``/scripts (path and content)."""
    h = hashlib.sha256()
    for p in sorted(Path(root, "scripts").rglob("*.py")):
        if "__pycache__" in p.parts:
            continue
        h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def git_describe(cwd: str | Path = ".") -> str:
    """``git describe --always --dirty``, or "unknown" outside a git checkout."""
    p = subprocess.run(
        ["git", "describe", "--always", "--dirty"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    return p.stdout.strip() if p.returncode == 0 and p.stdout.strip() else "unknown"


def settings_fingerprint(settings) -> dict:
    """The part of the fingerprint the configuration gives (a rule param: an edit that can
    move numbers re-runs the comparison); the data and code hashes are taken in the job."""
    return {
        "method": method_hashes(settings),
        "decimals": int(settings.protection["decimals"]),
        # the composites' median splits rest on this wave's answers
        "reference_wave": settings.indicators.get("reference_wave"),
    }


def package_root() -> Path:
    """The folder holding scripts/digikom (the code this process runs)."""
    from .. import __file__ as package_init

    return Path(package_init).resolve().parents[2]


def method_keys(table: str, model: str | None) -> list[str]:
    """The ``method`` parts a number of ``table`` (of ``model``) depends on."""
    if table in MODEL_TABLES:
        return [f"model:{model}"]
    if table == "counties":
        return ["maps"]
    return ["indicators"]
