"""The StatBank client against a stand-in that follows the PxWebApi 2.0 specification.

Each test here covers a place where the real server (PxTools/PxWebApi) differs from what a
naive client assumes: comma-containing expressions over GET, the server's wildcard rules
and silent elimination, code lists read through ``/metadata?codelist[VAR]=ID``, one call
budget shared by parallel fetch jobs, and 400 answers for too many cells."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import requests
from digikom.errors import StatbankError
from digikom.statbank.client import Client
from digikom.statbank.fetch import fetch_table
from digikom.statbank.jsonstat import parse_jsonstat2, read_jsonstat2
from digikom.statbank.query import expand_selection, get_params, join_items, split_items
from digikom.statbank.settings import StatbankSettings
from statbank_server import FIXTURES, StatbankServer, answer_data

REPO = Path(__file__).resolve().parents[1]
YEARS = ["2018", "2020", "2022", "2024"]


@pytest.fixture
def server():
    with StatbankServer() as srv:
        yield srv


def cfg(srv: StatbankServer, **kw) -> StatbankSettings:
    base = dict(base_url=srv.base_url, timeout_s=2, max_total_wait_s=20, retries=4, backoff_s=0.05)
    return StatbankSettings(**(base | kw))


def data_requests(srv):
    return [r for r in srv.requests if r["path"].endswith("/data")]


def full_12031() -> pd.DataFrame:
    return read_jsonstat2(FIXTURES / "12031_data.json")


# ----------------------------------------------------------- expressions with a comma


@pytest.mark.parametrize(
    ("expr", "want"),
    [
        ("range(2020,2024)", ["2020", "2022", "2024"]),
        ("[range(2020,2024)]", ["2020", "2022", "2024"]),
        ("top(2,1)", ["2020", "2022"]),
        ("[top(2,1)]", ["2020", "2022"]),
        ("bottom(1,1),[top(1)]", ["2020", "2024"]),
    ],
)
def test_comma_expressions_are_bracketed_over_get(server, tmp_path, expr, want):
    sel = {"valueCodes": {"ContentsCode": "IKTStrategi", "Tid": expr, "KommSize": "0"}}
    df = fetch_table("99901", sel, cfg(server), tmp_path)
    assert df["Tid"].tolist() == want
    sent = data_requests(server)[0]["query"]["valueCodes[Tid]"]
    # every item with a comma went out in brackets, so the server read it as one item
    assert all(not ("," in i and not i.startswith("[")) for i in sent.split("],"))
    assert "[" in sent
    full = read_jsonstat2(FIXTURES / "99901_data.json")
    ref = full[(full.KommSize == "0") & (full.ContentsCode == "IKTStrategi")]
    assert df["value"].tolist() == ref.set_index("Tid").loc[want, "value"].tolist()


def test_items_split_like_the_server():
    assert split_items("[range(2018,2022)],2024") == ["range(2018,2022)", "2024"]
    assert split_items("range(2018,2022), top(2,1)") == ["range(2018,2022)", "top(2,1)"]
    assert join_items(["range(2018,2022)", "2024"]) == "[range(2018,2022)],2024"


# -------------------------------------------------------- wildcards and elimination


def test_wildcard_rules_of_the_server(server, tmp_path):
    # "?" is tested before "*": in "?*" the star is literal, so it matches no code of
    # KommSize; the server would silently eliminate that (eliminable) dimension.
    sel = {"valueCodes": {"KommSize": "?*", "ContentsCode": "*", "Tid": "*"}}
    with pytest.raises(StatbankError, match=r"KommSize: '\?\*' selects no codes"):
        fetch_table("99901", sel, cfg(server), tmp_path)
    assert data_requests(server) == []
    assert expand_selection("*02*", ["2018", "2020", "2022"], True) == ["2020", "2022"]
    for bad in ("2*2*4", "*0*2*", "2*4"):  # more than two stars, or one in the middle
        with pytest.raises(ValueError, match="illegal"):
            expand_selection(bad, YEARS, True)


def test_eliminated_or_short_response_is_an_error(server, tmp_path):
    sel = {"valueCodes": {"KommSize": "1,2", "ContentsCode": "*", "Tid": "*"}}

    def drop_size(payload):  # what the server answers when KommSize selects nothing
        full = server.tables["99901"]["no"][1]
        return answer_data(full, {"ContentsCode": ["*"], "Tid": ["*"]}, {}, 10**6)

    server.tamper = drop_size
    with pytest.raises(StatbankError, match=r"eliminated.*KommSize.*'1,2'"):
        fetch_table("99901", sel, cfg(server), tmp_path)

    def drop_year(payload):  # an answer one period short
        full = server.tables["99901"]["no"][1]
        sel = {"KommSize": ["1", "2"], "ContentsCode": ["*"], "Tid": ["2018", "2020", "2022"]}
        return answer_data(full, sel, {}, 10**6)

    server.tamper = drop_year
    with pytest.raises(StatbankError, match=r"Tid: asked for 2018, 2020, 2022, 2024.*got"):
        fetch_table("99901", sel, cfg(server), tmp_path)
    assert list(tmp_path.glob("99901_*")) == []  # nothing cached from a wrong answer


def test_fake_eliminates_and_requires_mandatory(server):
    url = server.base_url + "/tables/99901/data"
    # KommSize (eliminable, eliminationValueCode 0) left out: the dimension disappears
    r = requests.get(url, params={"valueCodes[ContentsCode]": "*", "valueCodes[Tid]": "*"})
    body = r.json()
    assert r.status_code == 200 and body["id"] == ["ContentsCode", "Tid"]
    full = read_jsonstat2(FIXTURES / "99901_data.json")
    assert parse_jsonstat2(body, "x")["value"].tolist()[:4] == full["value"].tolist()[:4]
    # Tid (mandatory) left out: 400
    r = requests.get(url, params={"valueCodes[ContentsCode]": "*"})
    assert r.status_code == 400 and r.json()["title"].startswith("Missing selection")
    # unbracketed comma expression: the server splits it and answers 400
    r = requests.get(url, params={"valueCodes[ContentsCode]": "*", "valueCodes[Tid]": "top(2,1)"})
    assert r.status_code == 400 and "[TOP(1,12)]" in r.json()["detail"]


DOC_EXPRESSIONS = [
    "*", "20*", "*4", "*02*", "20?2", "top(2)", "top(2,1)", "bottom(2)", "bottom(1,1)",
    "range(2020,2022)", "from(2020)", "to(2020)", "2018,2024", "[range(2018,2020)],2024",
]  # fmt: skip


@pytest.mark.parametrize("expr", DOC_EXPRESSIONS)
def test_documented_expressions_agree_with_the_server(server, expr):
    """The real GET URL the client builds for each expression documented in
    docs/statbank.md selects on the server what the client expects."""
    value_codes = {"ContentsCode": "IKTStrategi", "Tid": expr, "KommSize": "*"}
    params = get_params("no", value_codes, {})
    url = requests.Request("GET", server.base_url + "/tables/99901/data", params=params)
    r = requests.Session().send(url.prepare())
    assert r.status_code == 200, r.text
    got = list(r.json()["dimension"]["Tid"]["category"]["index"])
    assert got == expand_selection(expr, YEARS, True)
    assert got  # every documented expression selects something here


def test_index_order_not_label_order(server, tmp_path):
    df = fetch_table(
        "12031", {"valueCodes": {"ContentsCode": "*", "Tid": "*"}}, cfg(server), tmp_path
    )
    meta = server.tables["12031"]["no"][0]
    body = json.loads(
        next(p for p in tmp_path.glob("12031_*.json") if ".meta" not in p.name).read_text()
    )
    labels = list(body["dimension"]["IKTFunksjon"]["category"]["label"])
    assert labels != list(body["dimension"]["IKTFunksjon"]["category"]["index"])
    assert df["IKTFunksjon"].unique().tolist() == ["F1", "F2", "F3", "F4"]
    assert (
        meta["dimension"]["IKTFunksjon"]["category"]["label"]["F3"]
        == df.loc[df.IKTFunksjon == "F3", "IKTFunksjon_label"].iloc[0]
    )
    pd.testing.assert_frame_equal(df, full_12031())
    assert set(df["status"]) == {"", "..", ":"}
    assert "Opplæring av ansatte i IT-verktøy" in set(df["IKTFunksjon_label"])


# ---------------------------------------------------------------------- code lists


def test_codelist_read_through_table_metadata(server, tmp_path):
    sel = {
        "valueCodes": {"KommSize": "1,3", "ContentsCode": "*", "Tid": "top(1)"},
        "codelist": {"KommSize": "agg_KommSize3"},
    }
    df = fetch_table("99901", sel, cfg(server), tmp_path)
    paths = [(r["path"].split("/v2/")[1], r["query"]) for r in server.requests]
    assert not any(p.startswith("codelists/") for p, _ in paths)
    meta_q = [q for p, q in paths if p.endswith("/metadata")]
    assert {"codelist[KommSize]": "agg_KommSize3"}.items() <= meta_q[-1].items()
    assert "outputValues[KommSize]" not in data_requests(server)[0]["query"]
    assert data_requests(server)[0]["query"]["codelist[KommSize]"] == "agg_KommSize3"
    assert df["KommSize"].tolist() == ["1", "1", "3", "3"]
    assert df["KommSize_label"].tolist()[0] == "Under 5 000 innbyggere"
    sel["valueCodes"]["KommSize"] = "0"  # "Alle kommuner" is not in the 3-group list
    with pytest.raises(StatbankError, match=r"code list agg_KommSize3: code '0' does not exist"):
        fetch_table("99901", sel, cfg(server), tmp_path / "b")


# -------------------------------------------------------------- errors as served


def test_too_many_cells_400_is_worded_for_what_the_server_says(tmp_path):
    with StatbankServer(enforce_cells=5) as srv:
        with pytest.raises(StatbankError) as err:
            fetch_table(
                "99901", {"valueCodes": {"Tid": "*", "ContentsCode": "*"}}, cfg(srv), tmp_path
            )
    msg = str(err.value)
    assert "HTTP 400" in msg and "too many cells" in msg.lower()
    assert "maxDataCells=800000" in msg and "32 cells" in msg


def test_unknown_table_says_so(server, tmp_path):
    with pytest.raises(StatbankError, match=r"HTTP 404.*table 99999 does not exist"):
        fetch_table("99999", {"valueCodes": {}}, cfg(server), tmp_path)
    # on /data the real server answers an unknown table with 400, not 404
    client = Client(cfg(server))
    with pytest.raises(
        StatbankError, match=r"HTTP 400 \(table 99999 does not exist on this server\)"
    ):
        client.request("/tables/99999/data", {"valueCodes[Tid]": "*"})
    assert server.responses[-1] == 400


# ------------------------------------------------------- one budget for all jobs

_CHILD = """
import sys, time
from digikom.statbank.fetch import fetch_table
from digikom.statbank.settings import StatbankSettings
s = StatbankSettings(base_url=sys.argv[1], timeout_s=5, max_total_wait_s=30, backoff_s=0.05)
fetch_table(sys.argv[2], {"valueCodes": {"ContentsCode": "*", "Tid": "*"}}, s, sys.argv[3])
"""


def test_parallel_fetch_jobs_share_one_call_budget(tmp_path):
    env = os.environ | {"PYTHONPATH": str(REPO / "scripts")}
    with StatbankServer(maxCallsPerTimeWindow=3, timeWindow=1) as srv:
        t0 = time.monotonic()
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", _CHILD, srv.base_url, t, str(tmp_path)], env=env
            )
            for t in ("99901", "14023")
        ]
        assert [p.wait(timeout=60) for p in procs] == [0, 0]
        elapsed = time.monotonic() - t0
    assert len(srv.requests) == 6
    assert 429 not in srv.responses  # the second job waited for the window instead
    assert elapsed >= 1.0  # 6 calls at 3 per window: at least one full window


def test_429_retry_after_of_the_fixed_window(tmp_path):
    # The server enforces 2 calls per 1 s window but advertises a generous limit, so the
    # client's throttle lets the third call through: 429, and the client waits for the
    # Retry-After of the window (1 s), not for its 0.05 s backoff.
    with StatbankServer(enforce_calls=2, timeWindow=1, maxCallsPerTimeWindow=100) as srv:
        t0 = time.monotonic()
        df = fetch_table(
            "99901", {"valueCodes": {"ContentsCode": "*", "Tid": "*"}}, cfg(srv), tmp_path
        )
        elapsed = time.monotonic() - t0
    assert srv.responses == [200, 200, 429, 200]
    assert len(df) == 32 and elapsed >= 0.9
