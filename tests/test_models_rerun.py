"""Editing one model's formula in config/models.yaml re-runs only that model (and what
depends on it), not the other models: the spec reaches each fit_model job as a param. (That a rebuild
gives byte-identical files, with no timings in the results, is checked for every stage by
tests/test_rebuild.py::test_interrupted_second_build_completes_byte_identical_to_the_first.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from workflow_utils import from_built, run_snakemake


def _targets(ids: list[str]) -> list[str]:
    out = [
        "results/models/coefficients.csv",
        "results/models/predictions.csv",
        "results/models/robustness.csv",
        "results/figures/model_predictions.png",
    ]
    for m in ids:
        out += [f"results/models/{m}.json", f"results/models/{m}.txt"]
        out += [f"results/figures/model_{m}_coef.png"]
    return out


def _snakemake(workdir: Path, *args: str) -> str:
    proc = run_snakemake(workdir, *args, timeout=900, check=True)
    return proc.stdout + proc.stderr


def _planned_jobs(workdir: Path, targets: list[str]) -> list[tuple[str, str | None]]:
    """(rule, model wildcard) of every job a dry run would execute."""
    out = _snakemake(workdir, "-n", *targets)
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", out):
        m = re.match(r"(?:local)?rule (\w+):", block.strip())
        if not m:
            continue
        w = re.search(r"wildcards: .*?model=(\w+)", block)
        jobs.append((m.group(1), w.group(1) if w else None))
    return jobs


def _edit_formula(path: Path, model_id: str, extra: str) -> None:
    """Append ``extra`` to one model's formula (YAML round trip: other specs unchanged)."""
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    for m in cfg["models"]:
        if m["id"] == model_id:
            m["formula"] += extra
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.mark.slow
def test_editing_one_formula_reruns_only_that_model(built, tmp_path):
    work = from_built(built, tmp_path / "digikom")

    cfg_path = work / "config" / "models.yaml"
    cfg = yaml.safe_load(cfg_path.read_text())
    ids = [m["id"] for m in cfg["models"]]
    targets = _targets(ids)
    _snakemake(work, *targets)
    for t in targets:
        assert (work / t).exists(), t
    assert _planned_jobs(work, targets) == []  # up to date

    # edit the formula of one model that the robustness table does not refit
    robust_ids = set(cfg.get("robustness", {}).get("models", []))
    edited = next(m["id"] for m in cfg["models"] if m["id"] not in robust_ids)
    _edit_formula(cfg_path, edited, " + log_population")

    jobs = _planned_jobs(work, targets)
    fits = [m for rule, m in jobs if rule == "fit_model"]
    assert fits == [edited], jobs
    plots = [m for rule, m in jobs if rule == "plot_model"]
    assert plots == [edited], jobs
    assert [m for rule, m in jobs if rule == "public_model"] == [edited], jobs
    rules = {rule for rule, _ in jobs}
    allowed = {"fit_model", "collect_models", "plot_model", "plot_predictions"}
    assert rules <= allowed | {"public_model", "public_models"}, jobs
    assert "robustness" not in rules
    assert "synthesize_microdata" not in rules and "build_panel" not in rules

    # editing a model the robustness table refits also re-runs the robustness table
    main = next(m["id"] for m in cfg["models"] if m["id"] in robust_ids)
    _edit_formula(cfg_path, main, " + internal_functions")
    jobs = _planned_jobs(work, targets)
    assert sorted(m for rule, m in jobs if rule == "fit_model") == sorted([edited, main])
    assert "robustness" in {rule for rule, _ in jobs}
