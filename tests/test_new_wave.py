"""A new wave: when the 2026 wave lands, a user adds its municipality frame and changes one
line of config/config.yaml (`waves`); the rebuild carries the wave through the panel, the
indicators, the models, the maps and the report (README, "A new wave")."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from digikom.panel import read_panel
from digikom.release.compare import read_revisions
from digikom.text import Text
from test_release_workflow import release
from workflow_utils import from_built, reader_text, run_scenario

WAVES = "waves: [2018, 2020, 2022, 2024]\n"


@pytest.fixture(scope="module")
def built_2026(built, tmp_path_factory):
    wd = from_built(built, tmp_path_factory.mktemp("new_wave"))
    release(wd, "before")  # the published 2018-2024 numbers (tests/test_release_workflow.py)
    ref = wd / "data/reference"
    # a stand-in for SSB's 2026 frame: the 2024 municipalities, counted on 1 January 2026
    frame = (ref / "municipalities_2024.csv").read_text(encoding="utf-8")
    (ref / "municipalities_2026.csv").write_text(
        frame.replace(",2024-01-01,", ",2026-01-01,"), encoding="utf-8"
    )
    config = wd / "config/config.yaml"
    text = config.read_text(encoding="utf-8")
    assert text.count(WAVES) == 1, "config/config.yaml: the waves line moved; update this test"
    config.write_text(text.replace(WAVES, "waves: [2018, 2020, 2022, 2024, 2026]\n"), "utf-8")
    proc = run_scenario(wd, "new_wave", check=True, timeout=900)
    return wd, proc


@pytest.mark.slow
def test_a_new_wave_by_one_config_line(built_2026):
    wd, proc = built_2026
    # the synthetic panel has no 2026 calibration: it says so and reuses 2024's parameters
    assert "no value for wave 2026; using wave 2024" in proc.stdout + proc.stderr
    frame = pd.read_csv(wd / "data/reference/municipalities_2026.csv", dtype=str)
    pan = read_panel(wd / "results/data/panel.csv")
    assert sorted(pan.loc[pan.year == 2026, "kommunenr"]) == sorted(frame.kommunenummer)
    # every indicator of the 2024 wave has its 2026 cells; every model with year terms a 2026 one
    shares = pd.read_csv(wd / "results/indicators/shares.csv")
    by_year = shares.groupby("year").indicator.agg(set)
    assert by_year[2026] == by_year[2024]
    coefs = pd.read_csv(wd / "results/models/coefficients.csv")
    with_year = coefs.groupby("model").term.agg(set)
    with_year = with_year[with_year.map(lambda t: "C(year)[T.2024]" in t)]
    assert len(with_year) >= 3 and all("C(year)[T.2026]" in t for t in with_year), with_year
    # the maps show the newest wave on the 2024 boundaries
    maps = pd.read_csv(wd / "results/maps/counties.csv")
    assert set(maps.year) == {2026}
    # the report: its waves, the update in the subtitle, the original comparison kept, and
    # a 2026 value computed here from the panel
    doc = (wd / "results/report/report.nb.html").read_text(encoding="utf-8")
    text = " ".join(reader_text(wd / "results/report/report.nb.html").split())
    tx = Text("nb")
    assert "Bølger: 2018, 2020, 2022, 2024, 2026" in text
    assert tx("common.subtitle_update", first=2018, last=2022, update=2026) in text
    # the key findings are SSB's published figures: their update runs to the latest
    # published year (2024), not to a wave SSB has not published yet
    assert tx("findings.update", first=2022, last=2024) in text
    assert tx("findings.update", first=2022, last=2026) not in text
    # the calibration appendix says where the synthetic 2026 values come from
    assert tx("appendix.calibration_carried", wave=2026, used=2024) in text
    assert tx("appendix.cal_carried", year=2026, used=2024) in text
    r = pan[(pan.year == 2026) & pan.responded]
    share = f"{100 * (r.has_strategy == 1).mean():.1f}".replace(".", ",")
    assert re.search(rf">\s*{share}\s*<", doc), share
    # compared with the release before the wave: every 2026 number is new data
    rev = read_revisions(wd / "results/public/revisions.csv")
    new = rev[rev.wave.eq("2026")]
    assert len(new) and set(new.reason) == {"new_data"}
    assert set(new.revision) <= {"appeared", "hidden"}
