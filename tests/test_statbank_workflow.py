"""End-to-end: the Snakemake StatBank rule against the local PxWebApi v2 stand-in.

Runs from a temporary copy of the repository and targets only the StatBank outputs, so
it does not depend on the other stages being complete (missing rule files are stubbed
inside the copy only)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from digikom.jsonstat import read_jsonstat2
from statbank_server import FIXTURES, StatbankServer
from workflow_utils import copy_repo, from_built, run_snakemake

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).with_name("snakemake")


def _copy_repo(dst: Path) -> None:
    copy_repo(dst)
    shutil.rmtree(dst / "data" / "raw" / "statbank", ignore_errors=True)  # no cached raw files


def _run(tmp: Path, url: str, *extra: str) -> subprocess.CompletedProcess:
    env = os.environ | {"PYTHONPATH": str(tmp / "scripts")}
    cmd = [
        str(SNAKEMAKE),
        "results/statbank/12019.csv",
        *extra,
        "--snakefile",
        str(tmp / "Snakefile"),
        "-d",
        str(tmp),
        "--cores",
        "1",
        "--workflow-profile",
        "none",
        "--config",
        "fetch_statbank=true",  # common.smk turns "true" into a bool
        f"statbank_url={url}",
    ]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_snakemake_fetches_statbank_table(tmp_path):
    _copy_repo(tmp_path)
    with StatbankServer() as srv:
        url = srv.base_url
        res = _run(tmp_path, url)
        assert res.returncode == 0, res.stderr[-3000:]
        n_requests = len(srv.requests)
    assert n_requests == 3
    assert (tmp_path / "results" / "statbank" / "12019.meta.json").exists()

    raw_dir = tmp_path / "data" / "raw" / "statbank"
    raws = sorted(p for p in raw_dir.glob("12019_no_*.json") if not p.name.endswith(".meta.json"))
    assert len(raws) == 1
    meta = json.loads(raws[0].with_name(raws[0].stem + ".meta.json").read_text(encoding="utf-8"))
    assert meta["url"].startswith(url + "/tables/12019/data?")
    assert meta["source"] == "Kilde: Statistisk sentralbyrå"
    assert meta["updated"] == "2024-06-20T06:00:00Z"

    out = tmp_path / "results" / "statbank" / "12019.csv"
    df = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert len(df) == 32
    row = df[(df.KommSize == "2") & (df.ContentsCode == "IKTStrategi") & (df.Tid == "2022")]
    assert row["value"].tolist() == ["69.7"] and row["status"].tolist() == [""]
    conf = df[(df.KommSize == "3") & (df.ContentsCode == "IKTStrategi") & (df.Tid == "2018")]
    assert conf["value"].tolist() == [""] and conf["status"].tolist() == [":"]
    assert (tmp_path / "logs" / "statbank" / "12019.log").exists()
    assert (tmp_path / "benchmarks" / "statbank" / "12019.tsv").exists()

    # Forced re-run with the server gone: served from the cache, same bytes.
    before = out.read_bytes()
    res = _run(tmp_path, url, "--forcerun", "statbank_fetch")
    assert res.returncode == 0, res.stderr[-3000:]
    assert out.read_bytes() == before
    log = (tmp_path / "logs" / "statbank" / "12019.log").read_text(encoding="utf-8")
    assert "no request" in log

    # Corrupt cache and no server: a one-line error naming the file.
    raws[0].write_bytes(b"{}")
    res = _run(tmp_path, url, "--forcerun", "statbank_fetch")
    assert res.returncode != 0
    log = (tmp_path / "logs" / "statbank" / "12019.log").read_text(encoding="utf-8")
    assert raws[0].name in log and "fetch_statbank=false" in log


REPORT_CONFIG = """
statbank:
  tables:
    "12019":
      valueCodes: {ContentsCode: "*", Tid: "*"}
      report: {series: KommSize, select: {ContentsCode: [IKTStrategi]}}
    "12031":
      valueCodes: {ContentsCode: "*", Tid: "[range(2018,2024)]"}
      report:
        series: IKTFunksjon
        select: {ContentsCode: [EgneAnsatte], KommSize: ["3"]}
report:
  renderer: {renderer}
"""


def _html_text(html: str) -> str:
    """The visible text of the report's HTML (tags dropped, entities decoded)."""
    import html as htmllib
    import re

    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", body)).split())


@pytest.mark.slow
@pytest.mark.parametrize(
    "renderer",
    [
        "pandoc",
        "quarto",
    ],
)
def test_report_shows_fetched_tables(built, tmp_path, renderer):
    """fetch_statbank=true against the stand-in: the rendered report's official-statistics
    section shows every configured table with values, labels, symbols and source."""
    env = {}
    if renderer == "quarto":
        from test_render import needs_quarto

        needs_quarto()
    from_built(built, tmp_path)  # only the StatBank jobs, their figures and the report re-run
    shutil.rmtree(tmp_path / "data" / "raw" / "statbank", ignore_errors=True)
    (tmp_path / "sb.yaml").write_text(REPORT_CONFIG.replace("{renderer}", renderer))
    with StatbankServer() as srv:
        run_snakemake(
            tmp_path,
            "--configfile", "config/config.yaml", "sb.yaml",
            "--config", "fetch_statbank=true", f"statbank_url={srv.base_url}",
            timeout=1200, env=env, check=True,
        )  # fmt: skip
    text = _html_text((tmp_path / "results" / "report" / "report.nb.html").read_text("utf-8"))
    section = text.split("Offisiell statistikk fra Statistikkbanken", 1)[1]
    assert "12031: Hvem utfører IKT-funksjonene" in section
    d31 = read_jsonstat2(FIXTURES / "12031_data.json")
    d31 = d31[(d31.KommSize == "3") & (d31.ContentsCode == "EgneAnsatte")]
    for r in d31.itertuples():  # every value of the configured view, as nb numbers
        shown = r.status if r.status else f"{r.value:.1f}".replace(".", ",")
        assert shown in section, (r.IKTFunksjon, r.Tid, shown)
    assert "Opplæring av ansatte i IT-verktøy" in section
    assert "Sikkerhetstesting og -gjennomgang" in section
    assert "20 000 innbyggere og over" in section  # 12019's series and 12031's filter
    assert "vises ikke av konfidensialitetshensyn" in section
    assert "tall ikke tilgjengelig" in section
    for t in ("12019", "12031"):
        assert f"Statistisk sentralbyrå, Statistikkbanken, tabell {t}" in section
    assert section.count("CC BY 4.0") >= 2
    fig = tmp_path / "results" / "figures" / "statbank_12031.png"
    assert fig.exists() and fig.with_suffix(".svg").exists()
