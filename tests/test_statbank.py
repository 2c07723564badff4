"""Tests of the StatBank client (digikom.statbank) against a local PxWebApi v2 stand-in."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pandas as pd
import pytest
from digikom.errors import StatbankError
from digikom.io import sha256_file
from digikom.statbank import client, fetch
from digikom.statbank.cache import query_hash
from digikom.statbank.fetch import fetch_table
from digikom.statbank.jsonstat import read_jsonstat2
from digikom.statbank.query import expand_selection
from digikom.statbank.settings import StatbankSettings
from statbank_server import FIXTURES, StatbankServer

SEL = {"valueCodes": {"ContentsCode": "*", "Tid": "*"}}


@pytest.fixture
def server():
    with StatbankServer() as srv:
        yield srv


def cfg(srv: StatbankServer, **kw) -> StatbankSettings:
    base = dict(
        base_url=srv.base_url,
        lang="no",
        timeout_s=0.5,
        max_total_wait_s=10,
        retries=4,
        backoff_s=0.05,
    )
    return StatbankSettings(**(base | kw))


def data_requests(srv):
    return [r for r in srv.requests if r["path"].endswith("/data")]


def cached(raw_dir: Path) -> list[Path]:
    """The cache files (not the shared call budget, a dot file)."""
    return [p for p in raw_dir.iterdir() if not p.name.startswith(".")]


def expected_99901() -> pd.DataFrame:
    return read_jsonstat2(FIXTURES / "99901_data.json")


def test_normal_fetch_writes_raw_and_sidecar(server, tmp_path):
    s = cfg(server)
    df = fetch_table("99901", SEL, s, tmp_path)
    pd.testing.assert_frame_equal(df, expected_99901())
    assert df.loc[0, "value"] == 60.0 and df.loc[24, "status"] == ":"
    assert df.loc[4, "ContentsCode_label"] == "Kommuner med særskilt strategi for digitalisering"
    stem = f"99901_no_{query_hash('99901', s, SEL)}"
    raw, side = tmp_path / f"{stem}.json", tmp_path / f"{stem}.meta.json"
    assert sorted(p.name for p in cached(tmp_path)) == [raw.name, side.name]
    meta = json.loads(side.read_text(encoding="utf-8"))
    assert meta["sha256"] == sha256_file(raw)
    assert meta["updated"] == "2024-06-20T06:00:00Z"
    assert meta["license"] == "https://creativecommons.org/licenses/by/4.0/deed.no"
    assert meta["source"] == "Kilde: Statistisk sentralbyrå"
    assert (meta["part"], meta["parts"], meta["method"]) == (1, 1, "GET")
    assert meta["url"].startswith(
        server.base_url + "/tables/99901/data?lang=no&outputFormat=json-stat2"
    )
    assert "valueCodes%5BKommSize%5D=%2A" in meta["url"]  # unnamed dimensions get "*"
    assert meta["query"]["valueCodes"] == {"KommSize": "*", "ContentsCode": "*", "Tid": "*"}
    assert [r["path"].rsplit("/", 1)[-1] for r in server.requests] == ["config", "metadata", "data"]
    req = data_requests(server)[0]["query"]
    assert req["valueCodes[Tid]"] == "*" and req["lang"] == "no"


def test_sparse_table_values_and_status(server, tmp_path):
    """14023's stand-in writes ``value`` as JSON-stat's sparse object: the cells without
    a key are the ones with a status symbol."""
    df = fetch_table(
        "14023", {"valueCodes": {"ContentsCode": "*", "Tid": "*"}}, cfg(server), tmp_path
    )
    raw = json.loads((FIXTURES / "14023_data.json").read_text(encoding="utf-8"))
    assert isinstance(raw["value"], dict) and len(df) == 30
    for i, row in df.iterrows():
        if str(i) in raw["value"]:
            assert row["value"] == raw["value"][str(i)] and row["status"] == ""
        else:
            assert math.isnan(row["value"]) and row["status"] == raw["status"][str(i)]
    na = df[df.status == ".."]
    assert set(na["DigOmrade_label"]) == {"Kunstig intelligens"} and set(na["Tid"]) == {"2022"}
    assert 0 <= df["value"].min() and df["value"].max() <= 100


def test_subset_selection_with_expressions(server, tmp_path):
    sel = {"valueCodes": {"ContentsCode": "DigStrategi", "Tid": "top(2)", "KommSize": "1,3"}}
    df = fetch_table("99901", sel, cfg(server), tmp_path)
    assert df["Tid"].tolist() == ["2022", "2024", "2022", "2024"]
    assert df["KommSize"].tolist() == ["1", "1", "3", "3"]
    full = expected_99901().set_index(["KommSize", "ContentsCode", "Tid"])["value"]
    assert df["value"].tolist() == [full[("1", "DigStrategi", y)] for y in ("2022", "2024")] + [
        full[("3", "DigStrategi", y)] for y in ("2022", "2024")
    ]


def test_429_retry_after_then_success(server, tmp_path):
    server.add_faults("429")
    t0 = time.monotonic()
    df = fetch_table("99901", SEL, cfg(server), tmp_path)
    assert time.monotonic() - t0 >= 0.9  # waited Retry-After: 1, not the 0.05 s backoff
    assert server.responses == [200, 200, 429, 200]
    pd.testing.assert_frame_equal(df, expected_99901())


def test_503_then_success(server, tmp_path):
    server.add_faults("503", n=2)
    df = fetch_table("99901", SEL, cfg(server), tmp_path)
    assert server.responses == [200, 200, 503, 503, 200]
    assert df.loc[31, "value"] == pytest.approx(73.5)


def test_503_forever_gives_up_with_clear_message(server, tmp_path):
    server.add_faults("503", n=50)
    with pytest.raises(StatbankError, match=r"giving up after 5 attempts.*HTTP 503"):
        fetch_table("99901", SEL, cfg(server, retries=4), tmp_path)
    assert cached(tmp_path) == []


def test_timeout_then_success(server, tmp_path):
    server.slow_s = 1.0
    server.add_faults("slow")
    df = fetch_table("99901", SEL, cfg(server, timeout_s=0.3), tmp_path)
    assert len(data_requests(server)) == 2
    pd.testing.assert_frame_equal(df, expected_99901())


def test_timeouts_bounded_by_max_total_wait(server, tmp_path):
    server.slow_s = 1.0
    server.add_faults("slow", n=20)
    t0 = time.monotonic()
    with pytest.raises(
        StatbankError, match=r"max_total_wait_s=0.8.*no response within timeout_s=0.3"
    ):
        fetch_table(
            "99901", SEL, cfg(server, timeout_s=0.3, max_total_wait_s=0.8, retries=20), tmp_path
        )
    assert time.monotonic() - t0 < 3


def test_malformed_body_retried_and_never_cached(server, tmp_path):
    server.add_faults("malformed")
    df = fetch_table("99901", SEL, cfg(server), tmp_path)
    assert len(data_requests(server)) == 2
    pd.testing.assert_frame_equal(df, expected_99901())
    raw = next(p for p in tmp_path.glob("*.json") if not p.name.endswith(".meta.json"))
    json.loads(raw.read_text(encoding="utf-8"))  # the cached body is the complete one


def test_malformed_body_forever_is_an_error(server, tmp_path):
    server.add_faults("malformed", n=50)
    with pytest.raises(StatbankError, match="malformed response body.*not valid JSON"):
        fetch_table("99901", SEL, cfg(server, retries=2), tmp_path)
    assert cached(tmp_path) == []


def test_unknown_code_lists_available_codes(server, tmp_path):
    sel = {"valueCodes": {"ContentsCode": "*", "Tid": "2019"}}
    with pytest.raises(
        StatbankError,
        match=r"dimension Tid: code '2019' does not exist; available codes: 2018, 2020, 2022, 2024",
    ):
        fetch_table("99901", sel, cfg(server), tmp_path)
    assert data_requests(server) == []


def test_unknown_dimension_lists_available_dimensions(server, tmp_path):
    sel = {"valueCodes": {"Region": "*", "Tid": "*"}}
    with pytest.raises(
        StatbankError,
        match=r"unknown dimension\(s\) \['Region'\]; available dimensions: KommSize \(kommunestørrelse\), ContentsCode",
    ):
        fetch_table("99901", sel, cfg(server), tmp_path)


def test_codelist_checked(server, tmp_path):
    sel = {
        "valueCodes": {"KommSize": "0", "ContentsCode": "*", "Tid": "*"},
        "codelist": {"KommSize": "agg_KommSize3"},
    }
    with pytest.raises(
        StatbankError,
        match=r"code list agg_KommSize3: code '0' does not exist; available codes: 1, 2, 3",
    ):
        fetch_table("99901", sel, cfg(server), tmp_path)
    sel["codelist"] = {"KommSize": "agg_Nope"}
    with pytest.raises(
        StatbankError, match=r"no code list 'agg_Nope'; available code lists: agg_KommSize3"
    ):
        fetch_table("99901", sel, cfg(server), tmp_path)


def test_cached_rerun_makes_no_request(tmp_path):
    with StatbankServer() as srv:
        s = cfg(srv)
        first = fetch_table("99901", SEL, s, tmp_path)
        n = len(srv.requests)
    second = fetch_table("99901", SEL, s, tmp_path)  # server is stopped
    assert len(srv.requests) == n
    pd.testing.assert_frame_equal(first, second)


def test_changed_selection_is_a_new_cache_entry(server, tmp_path):
    s = cfg(server)
    fetch_table("99901", SEL, s, tmp_path)
    fetch_table("99901", {"valueCodes": {"ContentsCode": "*", "Tid": "top(1)"}}, s, tmp_path)
    assert len(data_requests(server)) == 2
    assert len(list(tmp_path.glob("99901_no_*.meta.json"))) == 2


def test_corrupted_cache_is_refetched_or_named_when_offline(tmp_path):
    with StatbankServer() as srv:
        s = cfg(srv)
        fetch_table("99901", SEL, s, tmp_path)
        raw = tmp_path / f"99901_no_{query_hash('99901', s, SEL)}.json"
        good = raw.read_bytes()
        raw.write_bytes(good.replace(b"60.0", b"99.0", 1))
        df = fetch_table("99901", SEL, s, tmp_path)
        assert len(data_requests(srv)) == 2
        assert df.loc[0, "value"] == 60.0
        assert raw.read_bytes() == good
        raw.write_bytes(b"{}")
    with pytest.raises(StatbankError) as err:
        fetch_table("99901", SEL, s, tmp_path)
    msg = str(err.value)
    assert raw.name in msg and "sha256" in msg and "fetch_statbank=false" in msg


def test_offline_without_cache_says_how_to_run_without_statbank(tmp_path):
    with StatbankServer() as srv:
        s = cfg(srv)
    with pytest.raises(
        StatbankError, match=r"cannot connect.*no cached copy.*--config fetch_statbank=false"
    ):
        fetch_table("99901", SEL, s, tmp_path)


def test_query_over_max_cells_is_split_and_merged(tmp_path):
    with StatbankServer(maxDataCells=10) as srv:
        s = cfg(srv)
        df = fetch_table("99901", SEL, s, tmp_path)
        reqs = data_requests(srv)
    assert srv.responses.count(403) == 0
    assert [r["query"]["valueCodes[KommSize]"] for r in reqs] == ["0", "1", "2", "3"]
    pd.testing.assert_frame_equal(df, expected_99901())
    metas = sorted(tmp_path.glob("*_part*.meta.json"))
    assert [json.loads(m.read_text())["part"] for m in metas] == [1, 2, 3, 4]
    assert {json.loads(m.read_text())["parts"] for m in metas} == {4}
    # and the split cache is reused as a whole
    again = fetch_table("99901", SEL, s, tmp_path)  # server stopped: all parts from cache
    pd.testing.assert_frame_equal(again, df)


def test_throttles_to_calls_per_window(tmp_path):
    with StatbankServer(maxDataCells=10, maxCallsPerTimeWindow=3, timeWindow=1) as srv:
        t0 = time.monotonic()
        df = fetch_table("99901", SEL, cfg(srv), tmp_path)
        elapsed = time.monotonic() - t0
    assert len(srv.requests) == 6 and 429 not in srv.responses
    assert elapsed >= 1.0  # 6 calls at 3 per second need at least one full window
    assert len(df) == 32


def test_long_selection_is_posted(server, tmp_path, monkeypatch):
    monkeypatch.setattr(fetch, "MAX_GET_URL", 50)
    df = fetch_table("99901", SEL, cfg(server), tmp_path)
    assert data_requests(server)[0]["method"] == "POST"
    pd.testing.assert_frame_equal(df, expected_99901())
    meta = json.loads(next(tmp_path.glob("*.meta.json")).read_text())
    assert meta["body"]["selection"][0] == {"variableCode": "KommSize", "valueCodes": ["*"]}


YEARS = ["2018", "2020", "2022", "2024"]


@pytest.mark.parametrize(
    ("expr", "is_time", "want"),
    [
        ("*", True, YEARS),
        ("top(2)", True, ["2022", "2024"]),
        ("top(1,1)", True, ["2022"]),
        ("bottom(1)", True, ["2018"]),
        ("range(2022,2020)", True, ["2020", "2022"]),
        ("from(2022)", True, ["2022", "2024"]),
        ("to(2020)", True, ["2018", "2020"]),
        ("20?2", True, ["2022"]),
        ("*4", True, ["2024"]),
        ("2024,2018", True, ["2018", "2024"]),
        ("TOP(1),2018", True, ["2018", "2024"]),
    ],
)
def test_selection_expressions(expr, is_time, want):
    assert expand_selection(expr, YEARS, is_time) == want


def test_selection_expressions_non_time_and_errors():
    codes = ["b", "a", "c"]
    assert expand_selection("top(2)", codes, False) == ["b", "a"]
    assert expand_selection("bottom(1)", codes, False) == ["c"]
    assert expand_selection("A", codes, False) == ["a"]
    for bad in ("top(x)", "range(a)", "from(z)", "zz"):
        with pytest.raises(ValueError):
            expand_selection(bad, codes, False)


def test_retry_after_http_date():
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= client._retry_after(when) <= 31
    assert client._retry_after("2") == 2.0
    assert client._retry_after("soon") is None


def test_fetch_table_to_csv(server, tmp_path):
    out = tmp_path / "out" / "99901.csv"
    settings = {"base_url": server.base_url, "lang": "no", "timeout_s": 1, "max_total_wait_s": 5}
    fetch.fetch_table_to_csv("99901", SEL, settings, str(tmp_path / "raw"), str(out))
    back = pd.read_csv(
        out, dtype={"KommSize": str, "Tid": str}, keep_default_na=False, na_values={"value": [""]}
    )
    assert back.loc[0, "value"] == 60.0
    assert back.loc[24, "status"] == ":" and math.isnan(back.loc[24, "value"])
    assert "særskilt" in out.read_text(encoding="utf-8")
    assert Path(out).read_text(encoding="utf-8").splitlines()[0] == (
        "KommSize,KommSize_label,ContentsCode,ContentsCode_label,Tid,Tid_label,value,status"
    )
