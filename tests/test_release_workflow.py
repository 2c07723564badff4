"""Releases in the workflow (slow): release a built microdata run, revise a few answers of
one size group and wave, rebuild, and read results/public/revisions.csv; then edit one
model's formula. (A new wave as new data: tests/test_new_wave.py.)"""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
import yaml
from digikom.panel import read_panel
from digikom.release.compare import read_revisions
from workflow_utils import env_for, from_built, reader_text, run_scenario

WAVE, GROUP, VARIABLE = 2020, "5k_10k", "cloud_use"


def release(wd, version: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "digikom.release", "--version", version],
        cwd=wd,
        env=env_for(wd),
        check=True,
        capture_output=True,
        text=True,
    )


def depends_on(settings, variable: str) -> set[str]:
    """The share indicators computed from ``variable`` (config/indicators.yaml)."""
    return {
        s["id"]
        for s in settings.indicators["shares"] + settings.indicators["means"]
        if variable in json.dumps({k: v for k, v in s.items() if k not in ("nb", "nn", "en")})
    }


@pytest.fixture(scope="module")
def revised(built_microdata, tmp_path_factory):
    wd = from_built(built_microdata, tmp_path_factory.mktemp("release"))
    release(wd, "r1")
    manifest = json.loads((wd / "releases/r1/manifest.json").read_text(encoding="utf-8"))
    # three municipalities of one size group and wave now say they use cloud services
    pan = read_panel(wd / "results/data/panel.csv")
    members = pan[(pan.year == WAVE) & (pan.size_group == GROUP) & pan.responded].kommunenr
    micro = pd.read_csv(wd / "my_microdata.csv", dtype=str, keep_default_na=False)
    rows = micro.index[
        micro.year.eq(str(WAVE)) & micro.kommunenr.isin(set(members)) & micro[VARIABLE].eq("0")
    ][:3]
    assert len(rows) == 3
    micro.loc[rows, VARIABLE] = "1"
    micro.to_csv(wd / "my_microdata.csv", index=False)
    run_scenario(wd, "microdata", check=True, timeout=900)
    return wd, manifest


@pytest.mark.slow
def test_revised_answers_list_exactly_the_numbers_that_depend_on_them(revised, settings):
    wd, manifest = revised
    assert set(manifest["files"]) >= {"tables/shares.csv", "tables/predictions.csv"}
    assert set(manifest["fingerprint"]["waves"]) == {"2018", "2020", "2022", "2024"}
    assert manifest["config"]["microdata"] == "my_microdata.csv"
    rev = read_revisions(wd / "results/public/revisions.csv")
    assert len(rev) and set(rev.reason) == {"revised_data"}, rev.reason.value_counts()
    shares = rev[rev.table.eq("shares")]
    changed = depends_on(settings, VARIABLE)
    assert VARIABLE in changed
    # the shares of the changed indicator, in the size group and in all municipalities
    # (unweighted and weighted), in that wave: no other share
    listed = set(zip(shares.indicator, shares.wave, shares.group, shares.weighted, strict=True))
    assert listed == {
        (ind, str(WAVE), g, w) for ind in changed for g in (GROUP, "all") for w in ("false", "true")
    }
    assert (shares.change > 0).all() and shares.previous.notna().all()
    # the numbers of other tables that moved rest on the revised wave
    others = rev[~rev.table.isin(["shares", "predictions", "coefficients"])]
    assert (others.wave.eq(str(WAVE)) | others.wave_from.eq(str(WAVE))).all(), others
    checks = pd.read_csv(wd / "results/release/checks.csv")
    assert set(checks.result) <= {"pass", "warn"} and len(checks) >= 5
    text = " ".join(reader_text(wd / "results/report/report.nb.html").split())
    assert "Revisjoner" in text and "Sammenlignet med utgivelsen r1" in text
    assert "reviderte data" in text


@pytest.mark.slow
def test_a_formula_edit_is_a_method_change_of_that_models_numbers(revised):
    wd, _ = revised
    release(wd, "r2")
    path = wd / "config/models.yaml"
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    for m in cfg["models"]:
        if m["id"] == "cloud":  # not saturated: its predictions move with its terms
            m["formula"] += " + C(size_group)"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    run_scenario(wd, "microdata", check=True, timeout=900)
    rev = read_revisions(wd / "results/public/revisions.csv")
    assert len(rev) and set(rev.reason) == {"method_change"}, rev.reason.value_counts()
    assert set(rev.table) == {"predictions", "coefficients"} and set(rev.model) == {"cloud"}
    assert len(rev[rev.table.eq("predictions")])
    # the new terms appear among the coefficients
    new = rev[rev.revision.eq("appeared")]
    assert len(new) and new.term.str.startswith("C(size_group)").all() and new.current.notna().all()
    assert json.loads((wd / "results/release/summary.json").read_text())["release"] == "r2"
