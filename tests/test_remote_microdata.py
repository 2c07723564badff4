"""`microdata` read from a remote location through a Snakemake storage plugin: here the
HTTP plugin against a server on 127.0.0.1 that the test starts."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest
from workflow_utils import copy_repo, run_snakemake

pytestmark = pytest.mark.slow


@pytest.fixture
def http_dir(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(served))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_panel_from_http_microdata(built, http_dir, tmp_path):
    served, base = http_dir
    micro = pd.read_csv(built / "results/data/microdata_synthetic.csv", dtype={"kommunenr": str})
    micro = micro[micro.year.isin([2018, 2020, 2022, 2024])]
    micro.loc[micro.index[0], "cloud_use"] = 1 - micro.loc[micro.index[0], "cloud_use"]
    micro.to_csv(served / "kommuner.csv", index=False)
    wd = copy_repo(tmp_path / "wd")
    run_snakemake(
        wd, "results/data/panel.csv", "--config", f"microdata={base}/kommuner.csv", check=True
    )
    panel = pd.read_csv(wd / "results/data/panel.csv", dtype={"kommunenr": str})
    first = micro.iloc[0]
    row = panel[(panel.kommunenr == first.kommunenr) & (panel.year == first.year)].iloc[0]
    assert row.cloud_use == first.cloud_use  # the changed value came over HTTP
    assert panel.responded.sum() == len(micro)
    # a missing remote file is a clear, non-zero failure
    proc = run_snakemake(
        wd, "results/data/panel.csv", "-F", "--config", f"microdata={base}/missing.csv"
    )
    assert proc.returncode != 0
    assert "missing.csv" in proc.stdout + proc.stderr
