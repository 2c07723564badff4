"""Selection by label and the discovery commands (search, describe), against the
PxWebApi stand-in. The stand-in's tables carry SSB's ids and titles with invented codes
(tests/fixtures/statbank/make_stand_ins.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from digikom.errors import StatbankError
from digikom.statbank.cache import query_hash
from digikom.statbank.discover import describe_table, main
from digikom.statbank.fetch import fetch_table
from digikom.statbank.labels import resolve_labels
from digikom.statbank.query import resolve_selection
from digikom.statbank.settings import StatbankSettings
from statbank_server import FIXTURES, StatbankServer

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def server():
    # one server for the module: a call budget its tests do not use up (the budget itself
    # is tested in test_statbank.py and test_statbank_spec.py), so no test waits for the
    # window of the calls of the tests before it
    with StatbankServer(maxCallsPerTimeWindow=1000) as srv:
        yield srv


def cfg(srv: StatbankServer, lang: str = "no") -> StatbankSettings:
    return StatbankSettings(
        base_url=srv.base_url, lang=lang, timeout_s=1, retries=1, backoff_s=0.05
    )


def meta_of(table: str, lang: str = "no") -> dict:
    suffix = "" if lang == "no" else ".en"
    return json.loads((FIXTURES / f"{table}_metadata{suffix}.json").read_text("utf-8"))


# ------------------------------------------------------------------ selection by label


@pytest.mark.parametrize(
    ("lang", "labels", "sector_label"),
    [
        ("no", ["Kommuner"], "Kommuner"),
        ("en", ["Municipalities"], "Municipalities"),
        ("en", ["Kommuner"], "Municipalities"),  # the Norwegian label, English report
        ("no", {"sektor": "  kommuner "}, "Kommuner"),  # by dimension label, any case
        ("no", {"Sektor": ["Kommuner", "Fylkeskommuner"]}, "Fylkeskommuner"),
    ],
)
def test_selection_by_label_resolved_from_metadata(server, tmp_path, lang, labels, sector_label):
    sel = {"labels": labels}
    df = fetch_table("12031", sel, cfg(server, lang), tmp_path)
    meta = meta_of("12031", lang)
    sector = meta["dimension"]["Sektor"]["category"]["label"]
    wanted = {c for c, lab in sector.items() if lab == sector_label}
    assert wanted <= set(df["Sektor"])
    n_sectors = 2 if isinstance(labels, dict) and isinstance(labels.get("Sektor"), list) else 1
    assert df["Sektor"].nunique() == n_sectors
    # every other dimension whole: 4 functions x 2 contents x 4 years per sector
    assert len(df) == n_sectors * 4 * 2 * 4
    assert set(df["Sektor_label"]) <= set(sector.values())
    # the sidecar records the labels and the codes they selected
    side = json.loads(next(tmp_path.glob(f"12031_{lang}_*.meta.json")).read_text("utf-8"))
    assert side["selection"]["labels"] == labels
    assert set(side["selection"]["codes_by_label"]["Sektor"]) == set(df["Sektor"])
    data = [r for r in server.requests if r["path"].endswith("/12031/data")][-1]
    assert data["query"]["valueCodes[Sektor]"] in ("S3", "S3,S2", "S2,S3")


def test_wrong_label_fails_in_one_line_naming_the_available_labels(server, tmp_path):
    with pytest.raises(StatbankError) as err:
        fetch_table("14023", {"labels": ["Kommunar"]}, cfg(server), tmp_path)
    msg = str(err.value)
    assert "\n" not in msg
    assert "no category labelled 'Kommunar'" in msg
    # every label, per dimension in the table's (index) order
    assert "sektor (Sektor): Statlige virksomheter, Fylkeskommuner, Kommuner;" in msg
    assert "Robotisering" in msg and "Kunstig intelligens" in msg
    assert list(tmp_path.glob("14023_*")) == []  # nothing cached
    with pytest.raises(StatbankError, match=r"no dimension 'Region'.*Sektor \(sektor\)"):
        fetch_table("14023", {"labels": {"Region": "Oslo"}}, cfg(server), tmp_path)


def test_label_of_several_dimensions_and_codes_and_labels_together():
    meta = meta_of("14023")
    meta["dimension"]["DigOmrade"]["category"]["label"]["A1"] = "Kommuner"
    with pytest.raises(StatbankError, match="several dimensions .*Sektor, DigOmrade"):
        resolve_labels("14023", meta, ["Kommuner"])
    assert resolve_labels("14023", meta, {"DigOmrade": "kommuner"}) == {"DigOmrade": ["A1"]}
    with pytest.raises(StatbankError, match="both by valueCodes"):
        resolve_selection(
            "14023", meta_of("14023"), {"valueCodes": {"Sektor": "S1"}}, by_label={"Sektor": ["S3"]}
        )


def test_labels_are_part_of_the_query_hash(server):
    s = cfg(server)
    assert query_hash("14023", s, {"labels": ["Kommuner"]}) != query_hash("14023", s, {})
    assert query_hash("14023", s, {"labels": ["Kommuner"]}) != query_hash(
        "14023", s, {"labels": ["Fylkeskommuner"]}
    )


def test_default_config_names_only_tables_with_a_public_trace():
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text("utf-8"))
    tables = config["statbank"]["tables"]
    assert set(tables) == {"14023", "12031", "14024", "12957"}  # SSB's list and article
    assert "12019" not in json.dumps(config)  # no public trace (a negative example)
    for t, spec in tables.items():
        assert spec.get("title"), t
        assert not spec.get("valueCodes"), t  # no guessed codes: wildcards and labels


def test_statbank_lang_is_retired_the_report_language_decides():
    from digikom.config import validate_config
    from digikom.errors import ConfigError

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text("utf-8"))
    validate_config(json.loads(json.dumps(config)))  # the shipped file passes
    config["statbank"]["lang"] = "en"
    with pytest.raises(ConfigError, match=r"'statbank/lang' is no longer read.*report's 'lang'"):
        validate_config(config)


def test_default_config_fetches_every_table_from_the_stand_in(server, tmp_path):
    """The shipped queries work against a server whose codes nobody wrote into them."""
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text("utf-8"))
    for t, spec in config["statbank"]["tables"].items():
        sel = {k: v for k, v in spec.items() if k in ("valueCodes", "codelist", "labels")}
        df = fetch_table(t, sel, cfg(server), tmp_path)
        assert len(df) > 0
        if "Sektor" in df:
            assert set(df["Sektor_label"]) == {"Kommuner"}


# ------------------------------------------------------------------ search and describe


def run_cli(server, *args: str) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(REPO / "scripts"), "PATH": "/usr/bin:/bin"}
    cmd = [sys.executable, "-m", "digikom.statbank", "--statbank-url", server.base_url, *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60, cwd=REPO)


def test_search_lists_matching_tables(server, capsys):
    assert main(["--statbank-url", server.base_url, "search", "IKT", "kommuner"]) == 0
    out = capsys.readouterr().out
    assert "12031  12031: Ivaretakelse av IKT-funksjoner" in out and "[2018–2024]" in out
    assert "14023" not in out  # its title has no "IKT"
    req = [r for r in server.requests if r["path"].endswith("/tables")][-1]
    assert req["query"]["query"] == "IKT kommuner" and req["query"]["lang"] == "no"
    assert main(["--statbank-url", server.base_url, "--lang", "en", "search", "municipalities"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    for t in ("14023", "12031", "14024", "12957"):
        assert t in out
    assert "Performance of ICT functions" in out
    assert main(["--statbank-url", server.base_url, "search", "nothing-like-this"]) == 0
    assert capsys.readouterr().out.strip() == "no tables found"


def test_describe_shows_dimensions_codes_labels_and_elimination(server, capsys):
    assert main(["--statbank-url", server.base_url, "describe", "99901"]) == 0
    out = capsys.readouterr().out
    title = meta_of("99901")["label"]
    assert out.splitlines()[0] == title  # "99901: ...", the id once
    assert "time span 2018–2024" in out
    assert "KommSize (kommunestørrelse): 4 codes, may be left out (then 0)" in out
    assert "code lists: agg_KommSize3" in out
    assert "Tid (år, time): 4 codes, must be selected" in out
    assert "  IKTStrategi  Kommuner med overordnet IKT-strategi" in out
    desc = describe_table(StatbankSettings(base_url=server.base_url, lang="en"), "12031")
    sector = next(d for d in desc["dimensions"] if d["id"] == "Sektor")
    assert sector["categories"] == [
        ("S1", "State agencies"), ("S2", "County authorities"), ("S3", "Municipalities")
    ]  # fmt: skip
    assert sector["elimination"] is False and desc["time_span"] == ("2018", "2024")


def test_cli_as_a_module_and_its_errors(server):
    res = run_cli(server, "describe", "14023", "--json")
    assert res.returncode == 0, res.stderr
    desc = json.loads(res.stdout)
    assert [d["id"] for d in desc["dimensions"]] == ["Sektor", "DigOmrade", "ContentsCode", "Tid"]
    res = run_cli(server, "describe", "12019")  # no such table
    assert res.returncode == 1
    assert res.stderr.count("\n") == 1 and "table 12019 does not exist" in res.stderr
