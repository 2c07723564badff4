"""The official-statistics section and the StatBank figure, on tables served by the
PxWebApi stand-in (fast: no workflow run). Values, labels, status symbols and source in
the figure's series and the report's table are checked against the fixtures."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest
from digikom import statbank
from digikom.errors import ConfigError
from digikom.jsonstat import read_jsonstat2
from digikom.report import md_table
from digikom.sections import official
from digikom.statbank_view import plot_view, resolve_view, statbank_figure
from digikom.text import Text, esc
from statbank_server import FIXTURES, StatbankServer

SEL = {"valueCodes": {"ContentsCode": "*", "Tid": "*"}}
VIEW_12031 = {
    "series": "IKTFunksjon",
    "select": {"ContentsCode": ["EgneAnsatte"], "KommSize": ["3"]},
}


class StandIn:
    """The attributes of digikom.report.Report that sections use."""

    def __init__(self, results: Path, lang: str, fetch: bool = True, scorecard=None):
        self.tx, self.lang, self.results = Text(lang), lang, results
        self.synthetic = True
        self.ctx = {
            "fetch_statbank": fetch,
            "indicators": {
                "shares": [
                    {"id": "has_strategy", "nb": "Har IKT-strategi", "en": "Has an ICT strategy"}
                ],
                "means": [],
            },
        }
        self.esc = esc
        self.scorecard = scorecard

    def figure(self, png, caption, label):
        return f"![{caption}]({png}){{#{label}}}\n"

    def table(self, header, rows, caption, label, align=None):
        return f"{md_table(header, rows, align)}\n\n: {caption} {{#{label}}}\n"


@pytest.fixture(scope="module")
def fetched(tmp_path_factory):
    """Tables 12019 and 12031 fetched from the stand-in as the rule does (CSV + meta)."""
    root = tmp_path_factory.mktemp("sb")
    with StatbankServer() as srv:
        settings = {"base_url": srv.base_url, "lang": "no", "timeout_s": 2}
        for t in ("12019", "12031"):
            statbank.fetch_table_to_csv(
                t, SEL, settings, str(root / "raw"), str(root / "results" / "statbank" / f"{t}.csv"),
                str(root / "results" / "statbank" / f"{t}.meta.json"),
            )  # fmt: skip
    return root / "results"


def draw(results: Path, table: str, report: dict, lang: str = "nb") -> dict:
    sb = results / "statbank"
    out = {
        "view": sb / f"{table}.view.json",
        "png": results / "figures" / f"statbank_{table}.png",
        "svg": results / "figures" / f"statbank_{table}.svg",
        "alt": results / "figures" / f"statbank_{table}.alt.txt",
    }
    statbank_figure(sb / f"{table}.csv", sb / f"{table}.meta.json", report, table, lang, out)
    return json.loads(out["view"].read_text(encoding="utf-8"))


def fixture_value(table, **codes):
    df = read_jsonstat2(FIXTURES / f"{table}_data.json")
    for k, v in codes.items():
        df = df[df[k] == v]
    assert len(df) == 1
    return df.iloc[0]


def test_meta_keeps_what_the_report_needs(fetched):
    meta = json.loads((fetched / "statbank" / "12031.meta.json").read_text(encoding="utf-8"))
    assert meta["table"] == "12031" and meta["source"] == "Statistisk sentralbyrå"
    assert meta["updated"] == "2025-02-13T07:00:00Z"
    assert meta["license"] == "https://creativecommons.org/licenses/by/4.0/deed.no"
    dims = {d["id"]: d for d in meta["dimensions"]}
    assert [d["id"] for d in meta["dimensions"]] == [
        "KommSize",
        "IKTFunksjon",
        "ContentsCode",
        "Tid",
    ]
    assert dims["IKTFunksjon"]["codes"] == ["01", "02", "03", "04", "05"]  # index order
    assert dims["IKTFunksjon"]["labels"]["03"] == "Opplæring av ansatte i IT-verktøy"
    assert (dims["Tid"]["role"], dims["ContentsCode"]["role"]) == ("time", "metric")
    assert dims["ContentsCode"]["units"]["Eksterne"] == {"base": "prosent", "decimals": 1}
    assert dims["KommSize"]["elimination_code"] == "0"


def test_default_view_time_on_axis_content_as_series(fetched):
    view = draw(fetched, "12031", {})
    assert view["axis"]["id"] == "Tid" and view["axis"]["codes"] == ["2018", "2020", "2022", "2024"]
    assert [s["key"] for s in view["series"]] == [
        {"ContentsCode": "EgneAnsatte"}, {"ContentsCode": "Eksterne"}
    ]  # fmt: skip
    # the other dimensions at their elimination value (KommSize 0) or first code (01)
    assert [(f["id"], f["category"]) for f in view["fixed"]] == [
        ("KommSize", "Alle kommuner"),
        ("IKTFunksjon", "Prosjektledelse for digitalisering"),
    ]
    for s in view["series"]:
        for year, v in zip(view["axis"]["codes"], s["values"], strict=True):
            ref = fixture_value("12031", KommSize="0", IKTFunksjon="01", Tid=year, **s["key"])
            assert v == ref["value"]
    assert view["series"][0]["unit"] == "prosent" and view["licence_name"] == "CC BY 4.0"


def test_configured_view_and_figure_series_match_the_fixture(fetched):
    view = draw(fetched, "12031", VIEW_12031)
    assert [s["label"] for s in view["series"]][2] == "Opplæring av ansatte i IT-verktøy"
    fig = plot_view(view, Text("nb"))
    lines = fig.axes[0].get_lines()
    assert len(lines) == 5
    for line, s in zip(lines, view["series"], strict=True):
        for year, y, v, st in zip(
            view["axis"]["codes"], line.get_ydata(), s["values"], s["status"], strict=True
        ):
            ref = fixture_value(
                "12031", KommSize="3", ContentsCode="EgneAnsatte", Tid=year, **s["key"]
            )
            assert st == ref["status"]
            if st:
                assert v is None and math.isnan(y)
            else:
                assert y == v == ref["value"]
    # sparse cells: ".." (not asked in 2018) and ":" (confidential) come through
    statuses = {(s["key"]["IKTFunksjon"], y): st for s in view["series"] for y, st in zip(view["axis"]["codes"], s["status"], strict=True) if st}  # fmt: skip
    assert statuses == {("05", "2018"): "..", ("04", "2020"): ":", ("04", "2022"): ":"}
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert sorted(texts) == ["..", ":", ":"]
    png = fetched / "figures" / "statbank_12031.png"
    assert png.stat().st_size > 10_000 and png.with_suffix(".svg").exists()
    alt = (fetched / "figures" / "statbank_12031.alt.txt").read_text(encoding="utf-8")
    assert "5 serie(r)" in alt and "2018" in alt and "2024" in alt


def test_bad_view_config_names_key_and_value(fetched):
    meta = json.loads((fetched / "statbank" / "12031.meta.json").read_text(encoding="utf-8"))
    df = pd.read_csv(fetched / "statbank" / "12031.csv", dtype=str)
    with pytest.raises(
        ConfigError,
        match=r"statbank.tables.12031.report.axis: 'Region' is not a dimension.*KommSize \(kommunestørrelse\)",
    ):
        resolve_view(df, meta, {"axis": "Region"}, "statbank.tables.12031.report")
    with pytest.raises(
        ConfigError,
        match=r"report.select.KommSize: code\(s\) \['9'\] not in the fetched table; available: 0, 1, 2, 3",
    ):
        resolve_view(df, meta, {"select": {"KommSize": ["9"]}}, "statbank.tables.12031.report")


def _table_rows(md: str, label: str) -> list[list[str]]:
    block = md.split(f"{{#{label}}}")[0].rsplit("\n\n", 2)[-2]
    return [[c.strip() for c in line.strip("|").split("|")] for line in block.splitlines()]


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_section_shows_values_labels_symbols_and_source(fetched, lang):
    draw(fetched, "12031", VIEW_12031, lang)
    draw(
        fetched, "12019", {"series": "KommSize", "select": {"ContentsCode": ["IKTStrategi"]}}, lang
    )
    tx = Text(lang)
    md = official.render(StandIn(fetched, lang))
    assert md.startswith(f"# {tx('official.title')} {{#sec-official}}")
    assert "{#fig-statbank-12031}" in md and "{#fig-statbank-12019}" in md
    rows = _table_rows(md, "tbl-statbank-12031")
    assert rows[0][1:] == ["2018", "2020", "2022", "2024"]
    body = {r[0]: r[1:] for r in rows[2:]}
    assert set(body) == {esc(lab) for lab in (
        "Prosjektledelse for digitalisering", "Utvikling av IKT-strategi",
        "Opplæring av ansatte i IT-verktøy", "Sikkerhetstesting og -gjennomgang",
        "Utvikling av løsninger på nett")}  # fmt: skip
    funk_labels = json.loads((fetched / "statbank" / "12031.meta.json").read_text(encoding="utf-8"))
    labels = {d["id"]: d for d in funk_labels["dimensions"]}["IKTFunksjon"]["labels"]
    for code, label in labels.items():
        for year, cell in zip(["2018", "2020", "2022", "2024"], body[esc(label)], strict=True):
            ref = fixture_value(
                "12031", KommSize="3", ContentsCode="EgneAnsatte", IKTFunksjon=code, Tid=year
            )
            want = esc(ref["status"]) if ref["status"] else tx.num(ref["value"], 1)
            assert cell == want
    assert body[esc("Utvikling av løsninger på nett")][0] == ".."
    assert body[esc("Sikkerhetstesting og -gjennomgang")][1] == "\\:"
    assert tx("official.symbol_..") in md and tx("official.symbol_:") in md
    assert "kommunestørrelse: 20 000 innbyggere og over" in md.replace("\\", "")
    src = [line for line in md.splitlines() if "12031" in line and "CC BY 4.0" in line]
    assert src and "Statistisk sentralbyrå" in src[0] and "2025-02-13" in src[0]
    assert "https://creativecommons.org/licenses/by/4.0/deed.no" in src[0]
    # 12019: size groups as series, values from the fixture
    rows = _table_rows(md, "tbl-statbank-12019")
    size = {r[0]: r[1:] for r in rows[2:]}
    ref = fixture_value("12019", KommSize="2", ContentsCode="IKTStrategi", Tid="2022")["value"]
    assert size[esc("5 000–19 999 innbyggere")][2] == tx.num(ref, 1)
    assert size[esc("20 000 innbyggere og over")][0] == "\\:"


def test_section_offline_is_one_sentence(fetched):
    for lang in ("nb", "en"):
        md = official.render(StandIn(fetched, lang, fetch=False))
        body = md.split("\n", 1)[1].strip()
        assert body == Text(lang)("official.offline")
        assert len(re.findall(r"[.;] [A-ZÆØÅ]", body)) == 0 and "fetch_statbank=true" in body


def test_official_value_beside_panel_estimate(fetched):
    draw(fetched, "12019", {})
    sc = pd.DataFrame(
        [
            dict(target_id="statbank_12019_0_IKTStrategi_2022", year=2022, indicator="has_strategy",
                 group="all municipalities", published=0.697, reproduced=0.71, diff_pp=1.3,
                 reference="statbank"),
            dict(target_id="t1", year=2018, indicator="has_strategy", group="all",
                 published="60", reproduced=0.6, diff_pp=0.0, reference="published"),
        ]
    )  # fmt: skip
    md = official.render(StandIn(fetched, "en", scorecard=sc))
    rows = _table_rows(md, "tbl-statbank-12019-panel")
    assert rows[2] == ["Has an ICT strategy", "2022", "all municipalities", "69.7%", "71.0%", "1.3"]
    assert len(rows) == 3  # only the statbank reference of this table


def test_default_view_without_roles(fetched):
    """A table whose metadata has no time or metric role: the last dimension is the axis,
    the first other dimension the series."""
    meta = json.loads((fetched / "statbank" / "12019.meta.json").read_text(encoding="utf-8"))
    for d in meta["dimensions"]:
        d["role"] = ""
    df = pd.read_csv(fetched / "statbank" / "12019.csv", dtype=str)
    view = resolve_view(df, meta, {}, "statbank.tables.12019.report")
    assert view["axis"]["id"] == "Tid"
    assert [s["key"] for s in view["series"]] == [{"KommSize": c} for c in ("0", "1", "2", "3")]
    assert [f["id"] for f in view["fixed"]] == ["ContentsCode"]
