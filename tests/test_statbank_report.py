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
from digikom.errors import ConfigError
from digikom.report import md_table
from digikom.report_context import ReportData
from digikom.sections import official
from digikom.statbank.fetch import fetch_table_to_csv
from digikom.statbank.figure import plot_view, statbank_figure
from digikom.statbank.jsonstat import read_jsonstat2
from digikom.statbank.view import resolve_view
from digikom.text import Text, esc
from statbank_server import FIXTURES, StatbankServer

SEL = {"valueCodes": {"ContentsCode": "*", "Tid": "*"}}
SEL_12031 = {"labels": ["Kommuner"]}  # as config/config.yaml: the municipal sector by label
VIEW_12031 = {"series": "IKTFunksjon"}
LANGS = {"nb": "no", "en": "en"}


class StandIn:
    """The attributes of digikom.report.Report that sections use."""

    def __init__(self, results: Path, lang: str, fetch: bool = True, scorecard=None, tables=None):
        self.tx, self.lang, self.results = Text(lang), lang, results
        self.prov = {"config": {"statbank": {"tables": tables}}} if tables is not None else {}
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
        self.data = ReportData(results)  # the loader: results/statbank/*.view.json, figures

    def figure(self, png, caption, label):
        return f"![{caption}]({png}){{#{label}}}\n"

    def table(self, header, rows, caption, label, align=None):
        return f"{md_table(header, rows, align)}\n\n: {caption} {{#{label}}}\n"


@pytest.fixture(scope="module")
def fetched(tmp_path_factory):
    """Tables 99901 (all of it) and 12031 (the municipal sector, selected by label)
    fetched from the stand-in as the rule does (CSV + meta), once per report language:
    ``{"nb": results_dir, "en": results_dir}`` (nb fetches lang=no, en lang=en)."""
    root = tmp_path_factory.mktemp("sb")
    out = {}
    with StatbankServer() as srv:
        for lang, api_lang in LANGS.items():
            settings = {"base_url": srv.base_url, "lang": api_lang, "timeout_s": 2}
            res = root / lang / "results"
            for t, sel in (("99901", SEL), ("12031", SEL_12031)):
                fetch_table_to_csv(
                    t, sel, settings, str(root / "raw"), str(res / "statbank" / f"{t}.csv"),
                    str(res / "statbank" / f"{t}.meta.json"),
                )  # fmt: skip
            out[lang] = res
    return out


# (results, table) -> the arguments of the last draw into its files: a draw that would
# write the same files from the same arguments again is skipped (tests share `fetched`)
_DRAWN: dict[tuple[str, str], str] = {}


def draw(results: Path, table: str, report: dict, lang: str = "nb") -> dict:
    sb = results / "statbank"
    view = sb / f"{table}.view.json"
    key, args = (str(results), table), json.dumps([report, lang], sort_keys=True)
    if _DRAWN.get(key) == args and view.exists():
        return json.loads(view.read_text(encoding="utf-8"))
    out = {
        "view": sb / f"{table}.view.json",
        "png": results / "figures" / f"statbank_{table}.png",
        "svg": results / "figures" / f"statbank_{table}.svg",
        "alt": results / "figures" / f"statbank_{table}.alt.txt",
    }
    _DRAWN.pop(key, None)
    statbank_figure(sb / f"{table}.csv", sb / f"{table}.meta.json", report, table, lang, out)
    _DRAWN[key] = args
    return json.loads(out["view"].read_text(encoding="utf-8"))


def fixture(table: str, lang: str = "nb") -> pd.DataFrame:
    suffix = "" if lang == "nb" else ".en"
    return read_jsonstat2(FIXTURES / f"{table}_data{suffix}.json")


def fixture_value(table, lang="nb", **codes):
    df = fixture(table, lang)
    for k, v in codes.items():
        df = df[df[k] == v]
    assert len(df) == 1
    return df.iloc[0]


def shown_cells(view: dict) -> dict[tuple, tuple]:
    """Every cell the view shows: (sorted codes of all varying dimensions) -> (value,
    status)."""
    out = {}
    for p in view["panels"]:
        for s in p["series"]:
            for a, v, st in zip(view["axis"]["codes"], s["values"], s["status"], strict=True):
                key = tuple(sorted({**p["key"], **s["key"], view["axis"]["id"]: a}.items()))
                out[key] = (v, st)
    return out


def test_meta_keeps_what_the_report_needs_in_each_language(fetched):
    meta = json.loads((fetched["nb"] / "statbank" / "12031.meta.json").read_text("utf-8"))
    assert meta["table"] == "12031" and meta["source"] == "Statistisk sentralbyrå"
    assert meta["lang"] == "no" and meta["updated"] == "2024-05-03T06:00:00Z"
    assert meta["license"] == "https://creativecommons.org/licenses/by/4.0/deed.no"
    assert meta["label"].startswith("12031: Ivaretakelse av IKT-funksjoner")
    dims = {d["id"]: d for d in meta["dimensions"]}
    assert list(dims) == ["Sektor", "IKTFunksjon", "ContentsCode", "Tid"]
    assert dims["Sektor"]["codes"] == ["S3"]  # "Kommuner", resolved from the metadata
    assert dims["IKTFunksjon"]["codes"] == ["F1", "F2", "F3", "F4"]  # index order
    assert dims["IKTFunksjon"]["labels"]["F3"] == "Opplæring av ansatte i IT-verktøy"
    assert (dims["Tid"]["role"], dims["ContentsCode"]["role"]) == ("time", "metric")
    assert dims["ContentsCode"]["units"]["Eksterne"] == {"base": "prosent", "decimals": 1}
    en = json.loads((fetched["en"] / "statbank" / "12031.meta.json").read_text("utf-8"))
    assert en["lang"] == "en" and en["source"] == "Statistics Norway"
    assert en["label"].startswith("12031: Performance of ICT functions")
    en_dims = {d["id"]: d for d in en["dimensions"]}
    assert en_dims["Sektor"]["labels"] == {"S3": "Municipalities"}  # "Kommuner" matched in no
    assert en_dims["IKTFunksjon"]["labels"]["F3"] == "IT training of staff"


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_default_view_shows_every_fetched_category(fetched, lang):
    """99901 has 4 size groups x 2 contents x 4 years: the default view shows all 32
    cells (a panel per size group), with their values and symbols, none dropped."""
    view = draw(fetched[lang], "99901", {}, lang)
    df = pd.read_csv(fetched[lang] / "statbank" / "99901.csv", dtype=str, keep_default_na=False)
    assert view["axis"]["id"] == "Tid" and view["series_dim"]["id"] == "ContentsCode"
    assert [p["key"] for p in view["panels"]] == [{"KommSize": c} for c in "0123"]
    cells = shown_cells(view)
    assert len(cells) == len(df) == 32
    for r in df.itertuples():
        key = tuple(
            sorted({"KommSize": r.KommSize, "ContentsCode": r.ContentsCode, "Tid": r.Tid}.items())
        )
        v, st = cells[key]
        assert st == r.status and (v is None if r.status else v == float(r.value))
    assert {st for v, st in cells.values() if st} == {"..", ":"}
    meta = json.loads((fetched[lang] / "statbank" / "99901.meta.json").read_text("utf-8"))
    assert meta["label"].startswith("99901: ") and view["title"] == meta["label"][len("99901: ") :]
    fig = plot_view(view)
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert len(shown) == 4 and all(len(ax.get_lines()) == 2 for ax in shown)
    assert sorted(t.get_text() for ax in shown for t in ax.texts) == ["..", ":"]


def test_configured_view_and_figure_series_match_the_fixture(fetched):
    view = draw(fetched["nb"], "12031", VIEW_12031)
    assert [s["label"] for s in view["panels"][0]["series"]][
        2
    ] == "Opplæring av ansatte i IT-verktøy"
    assert [p["key"] for p in view["panels"]] == [{"ContentsCode": "Egne"}, {"ContentsCode": "Eksterne"}]  # fmt: skip
    assert [(f["id"], f["category"]) for f in view["fixed"]] == [("Sektor", "Kommuner")]
    fig = plot_view(view)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 2
    for ax, panel in zip(axes, view["panels"], strict=True):
        lines = ax.get_lines()
        assert len(lines) == 4
        for line, s in zip(lines, panel["series"], strict=True):
            for year, y, v, st in zip(
                view["axis"]["codes"], line.get_ydata(), s["values"], s["status"], strict=True
            ):
                ref = fixture_value("12031", Sektor="S3", Tid=year, **panel["key"], **s["key"])
                assert st == ref["status"]
                if st:
                    assert v is None and math.isnan(y)
                else:
                    assert y == v == ref["value"]
        assert sorted(t.get_text() for t in ax.texts) == [".."]  # F4 in 2018
    png = fetched["nb"] / "figures" / "statbank_12031.png"
    assert png.stat().st_size > 10_000 and png.with_suffix(".svg").exists()
    alt = (fetched["nb"] / "figures" / "statbank_12031.alt.txt").read_text(encoding="utf-8")
    assert "4 serie(r)" in alt and "2018" in alt and "2024" in alt
    assert "Utføres av egne ansatte" in alt and "Utføres av eksterne leverandører" in alt


def test_bad_view_config_names_key_and_value(fetched):
    res = fetched["nb"]
    meta = json.loads((res / "statbank" / "12031.meta.json").read_text(encoding="utf-8"))
    df = pd.read_csv(res / "statbank" / "12031.csv", dtype=str)
    with pytest.raises(
        ConfigError,
        match=r"statbank.tables.12031.report.axis: 'Region' is not a dimension.*Sektor \(sektor\)",
    ):
        resolve_view(df, meta, {"axis": "Region"}, "statbank.tables.12031.report")
    with pytest.raises(
        ConfigError,
        match=r"report.select.IKTFunksjon: code\(s\) \['F9'\] not in the fetched table; available: F1, F2, F3, F4",
    ):
        resolve_view(df, meta, {"select": {"IKTFunksjon": ["F9"]}}, "statbank.tables.12031.report")


def _table_rows(md: str, label: str) -> list[list[str]]:
    block = md.split(f"{{#{label}}}")[0].rsplit("\n\n", 2)[-2]
    return [[c.strip() for c in line.strip("|").split("|")] for line in block.splitlines()]


def _captions(md: str) -> list[str]:
    return [line for line in md.splitlines() if line.startswith((": ", "![", "## "))]


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_section_shows_every_category_in_the_report_language(fetched, lang):
    res = fetched[lang]
    draw(res, "12031", VIEW_12031, lang)
    draw(res, "99901", {}, lang)
    tx = Text(lang)
    md = official.render(StandIn(res, lang))
    assert md.startswith(f"# {tx('official.title')} {{#sec-official}}")
    assert "{#fig-statbank-12031}" in md and "{#fig-statbank-99901}" in md
    for line in _captions(md):  # no "12031: ..." in headings, figure or table captions
        text = re.sub(r"\{#[^}]*\}|\]\([^)]*\)", "", line)  # not the labels and paths
        assert not re.search(r"\b(12031|99901)\b", text), line
    fx = fixture("12031", lang)
    for i, code in enumerate(["Egne", "Eksterne"], start=1):
        rows = _table_rows(md, f"tbl-statbank-12031-{i}")
        assert rows[0][1:] == ["2018", "2020", "2022", "2024"]
        body = {r[0]: r[1:] for r in rows[2:]}
        sub = fx[(fx.Sektor == "S3") & (fx.ContentsCode == code)]
        assert set(body) == {esc(lab) for lab in sub["IKTFunksjon_label"]}  # all four
        for r in sub.itertuples():
            want = esc(r.status) if r.status else tx.num(r.value, 1)
            assert (
                body[esc(r.IKTFunksjon_label)][["2018", "2020", "2022", "2024"].index(r.Tid)]
                == want
            )
        caption = md.split(f"{{#tbl-statbank-12031-{i}}}")[0].rsplit("\n", 1)[-1]
        assert esc(sub["ContentsCode_label"].iloc[0]) in caption
        assert esc(sub["Sektor_label"].iloc[0]) in caption  # the fixed sector
    # 99901: a table per size group, every value and symbol
    fx = fixture("99901", lang)
    for i, size in enumerate("0123", start=1):
        rows = _table_rows(md, f"tbl-statbank-99901-{i}")
        body = {r[0]: r[1:] for r in rows[2:]}
        for r in fx[fx.KommSize == size].itertuples():
            want = esc(r.status) if r.status else tx.num(r.value, 1)
            assert (
                body[esc(r.ContentsCode_label)][["2018", "2020", "2022", "2024"].index(r.Tid)]
                == want
            )
    assert tx("official.symbol_..") in md and tx("official.symbol_:") in md
    src = [line for line in md.splitlines() if "12031" in line and "CC BY 4.0" in line]
    source = "Statistisk sentralbyrå" if lang == "nb" else "Statistics Norway"
    assert src and source in src[0] and "2024-05-03" in src[0]
    assert "https://creativecommons.org/licenses/by/4.0/deed.no" in src[0]
    other = ("Opplæring av ansatte i IT-verktøy", "IT training of staff")[lang == "nb"]
    assert esc(other) not in md  # labels only in the report's language


def test_section_offline_names_the_configured_tables(fetched):
    tables = {
        "14023": {"title": "Digitaliseringsområder omtalt i virksomhetenes strategier"},
        "12031": {"title": "Ivaretakelse <b>av</b> IKT-funksjoner *x*"},
        "12957": {},
    }
    for lang in ("nb", "en"):
        md = official.render(StandIn(fetched[lang], lang, fetch=False, tables=tables))
        body = md.split("\n", 1)[1].strip()
        assert "\n\n" not in body and "fetch_statbank=true" in body  # one paragraph
        assert "14023 (Digitaliseringsområder omtalt i virksomhetenes strategier)" in body
        assert "12957" in body and "3" in body
        assert "<b>" not in body and esc("Ivaretakelse <b>av</b> IKT-funksjoner *x*") in body
        assert "12019" not in body
    # a title per language: each report names its own
    tables["14023"]["title"] = {"nb": "Områder i strategiene", "en": "Areas in the strategies"}
    nb = official.render(StandIn(fetched["nb"], "nb", fetch=False, tables=tables))
    en = official.render(StandIn(fetched["en"], "en", fetch=False, tables=tables))
    assert "14023 (Områder i strategiene)" in nb and "Areas in" not in nb
    assert "14023 (Areas in the strategies)" in en and "Områder" not in en
    # one label rule, no fallback (digikom.text.label): a title without the report's
    # language is an error naming it (the config loader stops it before any rule runs)
    tables["14023"]["title"] = {"nb": "Bare bokmål"}
    with pytest.raises(ConfigError, match="no 'en' label"):
        official.render(StandIn(fetched["en"], "en", fetch=False, tables=tables))


def test_official_value_beside_panel_estimate(fetched):
    draw(fetched["en"], "99901", {}, "en")
    sc = pd.DataFrame(
        [
            dict(target_id="statbank_99901_0_IKTStrategi_2022", year=2022, indicator="has_strategy",
                 group="all municipalities", published=0.697, reproduced=0.71, diff_pp=1.3,
                 reference="statbank"),
            dict(target_id="t1", year=2018, indicator="has_strategy", group="all",
                 published="60", reproduced=0.6, diff_pp=0.0, reference="published"),
        ]
    )  # fmt: skip
    md = official.render(StandIn(fetched["en"], "en", scorecard=sc))
    rows = _table_rows(md, "tbl-statbank-99901-panel")
    assert rows[2] == ["Has an ICT strategy", "2022", "all municipalities", "69.7%", "71.0%", "1.3"]
    assert len(rows) == 3  # only the statbank reference of this table


def test_default_view_without_roles(fetched):
    """A table whose metadata has no time or metric role: the last dimension is the axis,
    the one with the most categories the series, the others make panels."""
    res = fetched["nb"]
    meta = json.loads((res / "statbank" / "99901.meta.json").read_text(encoding="utf-8"))
    for d in meta["dimensions"]:
        d["role"] = ""
    df = pd.read_csv(res / "statbank" / "99901.csv", dtype=str)
    view = resolve_view(df, meta, {}, "statbank.tables.99901.report")
    assert view["axis"]["id"] == "Tid"
    assert [s["key"] for s in view["panels"][0]["series"]] == [{"KommSize": c} for c in "0123"]
    assert [p["key"] for p in view["panels"]] == [{"ContentsCode": "IKTStrategi"}, {"ContentsCode": "DigStrategi"}]  # fmt: skip
