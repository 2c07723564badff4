"""Maps: boundaries against the frame, frame maps from the real frame, county values
against a direct computation from the panel, and the unit-level gate (municipality_level)."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from pathlib import Path

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest
from digikom.config import validate_against
from digikom.disclosure import hidden
from digikom.errors import ConfigError, InputDataError
from digikom.indicators import compute_composites
from digikom.maps import boundaries as B
from digikom.maps import draw as D
from digikom.maps import spec as S
from digikom.maps import tables as T
from digikom.panel import read_crosswalk, read_frame
from digikom.protection.public import primary_keys, publish

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "data" / "reference"
GEO_MUNI = REF / "municipalities_2024.geojson"
GEO_COUNTY = REF / "counties_2024.geojson"
COUNTY_COLUMNS = ["map", "kind", "year", "fylkesnummer", "fylkesnavn", "n", "estimate"]
COUNTY_COLUMNS += ["category"]


class FakeText:
    """Stand-in for digikom.text.Text: returns the key and its values, so tests do not
    depend on wording."""

    lang = "nb"

    def __call__(self, key, **values):
        return key + "".join(f"|{k}={v}" for k, v in sorted(values.items()))

    def num(self, x, digits=0):
        return f"{x:.{digits}f}"

    def pct(self, x, digits=0):
        return f"{100 * x:.{digits}f} %"

    def label(self, obj):
        return obj["nb"]


@pytest.fixture(scope="module")
def frame24():
    return read_frame(REF / "municipalities_2024.csv", 2024)


@pytest.fixture(scope="module")
def geo(frame24):
    return B.read_boundaries(GEO_MUNI, GEO_COUNTY, frame24)


@pytest.fixture(scope="module")
def ms(settings):
    return S.map_settings(settings)


@pytest.fixture(scope="module")
def frame_tab(frame24, geo, settings, ms):
    changes = pd.read_csv(
        REF / "municipality_changes.csv", dtype={"old_kommunenummer": str, "new_kommunenummer": str}
    )
    cw = read_crosswalk(REF / "municipality_crosswalk_to_2024.csv")
    return T.frame_table(
        frame24, changes, cw, settings.size_groups, B.county_names(geo[1]), ms["reforms"]
    )


# --------------------------------------------------------------------------- boundaries
def test_boundaries_match_the_2024_frame(geo, frame24):
    muni, county = geo
    assert len(muni) == 357 == len(frame24)
    assert set(muni["kommunenummer"]) == set(frame24["kommunenr"])
    assert len(county) == 15 == frame24["fylkesnummer"].nunique()
    assert muni.crs.to_epsg() == 25833 and county.crs.to_epsg() == 25833
    # UTM 33N: Norway lies between about -80 and 1120 km east, 6450 and 7950 km north
    x0, y0, x1, y1 = muni.total_bounds
    assert -100_000 < x0 < 0 < 1_000_000 < x1 < 1_150_000 and 6_400_000 < y0 < y1 < 8_000_000


def test_boundaries_missing_polygon_names_file_and_code(tmp_path, frame24):
    data = json.loads(GEO_MUNI.read_text(encoding="utf-8"))
    dropped = data["features"].pop(0)["properties"]["kommunenummer"]
    bad = tmp_path / "kommuner.geojson"
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputDataError, match=rf"kommuner.geojson.*without polygon.*{dropped}"):
        B.read_boundaries(bad, GEO_COUNTY, frame24)


# --------------------------------------------------------------------------- frame maps
def test_frame_size_group_is_the_panels(frame_tab, panel):
    p24 = panel[panel["year"] == 2024].set_index("kommunenr")["size_group"]
    got = frame_tab.set_index("kommunenr")["size_group"]
    assert len(got) == 357
    pd.testing.assert_series_equal(got.sort_index(), p24.sort_index(), check_names=False)


def test_reforms_from_the_change_table(frame_tab):
    changes = pd.read_csv(REF / "municipality_changes.csv", dtype=str)
    cw = read_crosswalk(REF / "municipality_crosswalk_to_2024.csv")
    c20 = changes[changes["year"] == "2020"]
    merged20 = set(c20.loc[c20["n_old_codes_into_new"].astype(int) > 1, "new_kommunenummer"])
    expect = set(
        cw[(cw["from_year"] == 2020) & cw["kommunenummer"].isin(merged20)]["kommunenummer_2024"]
    )
    got = set(frame_tab.loc[frame_tab["reform_2020"] == "merger", "kommunenr"])
    assert got == expect and len(got) > 30
    split24 = set(
        changes[(changes["year"] == "2024") & (changes["change_type"] == "split")][
            "new_kommunenummer"
        ]
    )
    assert set(frame_tab.loc[frame_tab["reform_2024"] == "split", "kommunenr"]) == split24
    row = frame_tab.set_index("kommunenr")
    assert row.loc["1580", "reform"] == "2020:merger+2024:split"  # Haram: in and out again
    assert row.loc["0301", "reform"] == ""  # Oslo unchanged
    assert row.loc["5001", "reform"] == "2020:merger"  # Trondheim kept its code, took in Klæbu


def _paths_by_colour(ax) -> dict[str, int]:
    out: dict[str, int] = {}
    for coll in ax.collections:
        if str(coll.get_gid()).startswith("fill:"):
            colour = mcolors.to_hex(coll.get_facecolor()[0])
            out[colour] = out.get(colour, 0) + len(coll.get_paths())
    return out


def test_size_group_map_draws_every_polygon_in_its_groups_colour(
    frame_tab, geo, settings, ms, panel
):
    muni, county = geo
    inset = D.inset_bounds(muni, ms["inset"]["around"], ms["inset"]["buffer_km"])
    maps = D.frame_maps(
        frame_tab, muni, county, settings.size_groups, ms["reforms"], inset, FakeText()
    )
    fig, alt = maps["map_size_group"]
    main = fig.axes[0]
    colours = dict(zip([g["id"] for g in settings.size_groups], D.sequential(6), strict=True))
    # one polygon per municipality, in the colour of its size group per the panel
    sg = panel[panel["year"] == 2024].set_index("kommunenr")["size_group"]
    expect = {colours[g]: int((sg == g).sum()) for g in colours}
    assert _paths_by_colour(main) == expect
    assert sum(expect.values()) == 357
    # the alt text names the count of every group
    for g in settings.size_groups:
        assert f"label={g['nb']}|n={int((sg == g['id']).sum())}" in alt
    assert len(fig.axes) == 2  # the Oslo inset
    # the inset draws the municipalities that meet its box (not all 357), in their colours
    from shapely.geometry import box

    near = muni.geometry.envelope.intersects(box(*inset)).to_numpy()
    near_groups = sg.reindex(muni["kommunenummer"]).to_numpy()[near]
    got = _paths_by_colour(fig.axes[1])
    assert got == {colours[g]: int((near_groups == g).sum()) for g in set(near_groups)}
    assert 1 < sum(got.values()) < 357 and near[muni["kommunenummer"] == "0301"].all()


def test_run_figures_writes_each_stems_triplet_as_a_small_palette_png(tmp_path, ms, settings):
    from PIL import Image

    boundaries = {k: tmp_path / f"{k}.parquet" for k in ("municipalities", "counties")}
    B.run_boundaries(GEO_MUNI, GEO_COUNTY, REF / "municipalities_2024.csv", boundaries)
    frame_csv, counties_csv = tmp_path / "frame.csv", tmp_path / "counties.csv"
    publish({"counties": pd.DataFrame(columns=COUNTY_COLUMNS)}, set(), 3, "")["counties"].to_csv(
        counties_csv, index=False
    )
    frame = read_frame(REF / "municipalities_2024.csv", 2024)
    cw = read_crosswalk(REF / "municipality_crosswalk_to_2024.csv")
    changes = pd.read_csv(REF / "municipality_changes.csv", dtype={"new_kommunenummer": str})
    names = B.county_names(B.read_boundaries(*boundaries.values(), frame)[1])
    T.frame_table(frame, changes, cw, settings.size_groups, names, ms["reforms"]).to_csv(
        frame_csv, index=False
    )
    maps = dict(S.rule_settings(ms), subjects=[])  # the two frame maps only
    out = {
        s: [tmp_path / f"{s}{e}" for e in (".png", ".svg", ".alt.txt")]
        for s in S.FRAME_FIGURES.values()
    }
    kw = dict(
        maps=maps,
        inset=ms["inset"],
        size_groups=settings.size_groups,
        min_cell=3,
        lang="en",
        synthetic=True,
    )
    args = (frame_csv, counties_csv, None, boundaries["municipalities"], boundaries["counties"])
    with pytest.raises(InputDataError, match=r"outputs \(map_reforms\) are not the maps"):
        D.run_figures(*args, **kw, out={"map_reforms": out["map_reforms"]})
    assert not any(tmp_path.glob("*.png"))
    assert D.run_figures(*args, **kw, out=out) == ["map_size_group", "map_reforms"]
    for png, svg, alt in out.values():
        with Image.open(png) as im:
            assert im.mode == "P" and len(im.getcolors()) <= D.PNG_COLOURS
            assert im.width > 1000
        assert svg.read_text().startswith("<?xml") and len(alt.read_text()) > 50


# --------------------------------------------------------------------------- county values
def _direct_share(panel, spec, wave):
    resp = panel[(panel["year"] == wave) & panel["responded"]]
    if spec.get("among"):
        resp = resp.query(spec["among"])
    resp = resp[resp[spec["variable"]].notna()]
    yes = resp[spec["variable"]].isin(spec.get("values", [1])).astype(float)
    if spec["kind"] == "mean":
        yes = resp[spec["variable"]].astype(float)
    return yes.groupby(resp["kommunenr"].str[:2]).agg(["size", "mean"])


def test_county_indicator_values_equal_direct_computation(panel, settings, ms, geo):
    names = B.county_names(geo[1])
    for subject in S.map_subjects(ms):
        if subject["kind"] == "composite":
            continue
        got = T.county_values(panel, subject, 2024, ms["reference_wave"], names)
        direct = _direct_share(panel, subject["spec"], 2024)
        g = got.set_index("fylkesnummer")
        assert len(g) == 15
        assert (g["n"] == direct["size"].reindex(g.index).fillna(0)).all()
        # the internal table: every county's value (rule public_tables protects it;
        # tests/test_protection.py)
        shown = g["n"] > 0
        np.testing.assert_allclose(
            g.loc[shown, "estimate"], direct.loc[g.index[shown], "mean"], rtol=1e-12
        )
        # the primary rule on it: Oslo is one municipality, so its county value is hidden
        tables = {"shares": pd.DataFrame(columns=["indicator"]), "composites": pd.DataFrame()}
        keys = primary_keys({**tables, "crosstab": pd.DataFrame(), "counties": got}, "", 3, False)
        assert ("counties", subject["id"], 2024, "03", "") in keys
        expected = {
            c for c, n, e in zip(g.index, g["n"], g["estimate"], strict=True) if hidden(n, e, 3)
        }
        assert {k[3] for k in keys} == expected


def test_county_composites_add_up_to_the_composites_stage(panel, settings, ms, geo):
    names = B.county_names(geo[1])
    comp = compute_composites(panel, settings.indicators)
    for subject in [s for s in S.map_subjects(ms) if s["kind"] == "composite"]:
        cid = subject["spec"]["id"]
        got = T.county_values(panel, subject, 2024, ms["reference_wave"], names, "both")
        national = comp[
            (comp.composite == cid)
            & (comp.year == 2024)
            & (comp.group == "all")
            & (comp.category == "both")
        ].iloc[0]
        assert got["n"].sum() == national["n"]
        assert round((got["n"] * got["estimate"].fillna(0)).sum()) == national["count"]


def test_county_2024_places_a_split_unit_only_within_one_county():
    from digikom.geography import county_2024, county_of

    assert county_of(pd.Series(["0301", "5001", 1103])).tolist() == ["03", "50", "11"]
    rows = pd.DataFrame(
        {
            "year": [2020, 2020],
            "kommunenr": ["1507", "0301"],
            "kommunenr_2024": ["1508|1580", "0301"],
        },
        index=[7, 3],
    )
    got = county_2024(rows)
    assert got.to_dict() == {7: "15", 3: "03"}
    rows.loc[7, "kommunenr_2024"] = "1508|4601"
    with pytest.raises(InputDataError, match=r"municipality 1507 \(2020\).*more than one county"):
        county_2024(rows)


# --------------------------------------------------------------------------- unit level
def test_municipality_values_are_each_municipalitys_own(panel, settings, ms):
    codes = sorted(panel.loc[panel["year"] == 2024, "kommunenr"])
    p24 = panel[panel["year"] == 2024].set_index("kommunenr")
    for subject in S.map_subjects(ms):
        got = T.municipality_values(panel, subject, 2024, ms["reference_wave"], codes)
        g = got.set_index("kommunenr")
        assert len(g) == 357
        assert set(g.index[g["status"] == "nonresponse"]) == set(p24.index[~p24["responded"]])
        if subject["kind"] == "share":
            spec = subject["spec"]
            has = g["status"] == "value"
            expect = p24.loc[g.index[has], spec["variable"]].isin(spec.get("values", [1]))
            assert (g.loc[has, "value"].astype(int) == expect.astype(int)).all()


def _with(settings, **config):
    """``settings`` with some config keys replaced."""
    return dataclasses.replace(settings, config=dict(settings.config, **config))


def test_unit_level_only_with_real_microdata_and_the_key(settings):
    assert not S.unit_level(_with(settings, microdata=None, municipality_level=True))
    assert not S.unit_level(_with(settings, microdata="x.csv", municipality_level=False))
    assert S.unit_level(_with(settings, microdata="x.csv", municipality_level=True))


def test_figure_ids_and_lookup_follow_the_gate(settings, frame_tab, panel, ms):
    cfg = dict(settings.config, microdata="x.csv", municipality_level=False)
    ids = S.figure_ids(S.map_subjects(ms), S.unit_level(_with(settings, **cfg)))
    assert "map_size_group" in ids and not any(i.startswith("map_municipality_") for i in ids)
    assert {f"map_county_composite_{c['id']}" for c in settings.indicators["composites"]} <= set(
        ids
    )
    lookup = T.lookup_table(frame_tab, None)
    frame_cols = ["kommunenr", "kommunenavn", "fylkesnavn", "size_group", "population", "reform"]
    assert list(lookup.columns) == frame_cols
    unit_on = S.unit_level(_with(settings, **dict(cfg, municipality_level=True)))
    on = S.figure_ids(S.map_subjects(ms), unit_on)
    assert sum(i.startswith("map_municipality_") for i in on) == len(S.map_subjects(ms))
    codes = sorted(frame_tab["kommunenr"])
    muni = pd.concat(
        [
            T.municipality_values(panel, s, 2024, ms["reference_wave"], codes)
            for s in S.map_subjects(ms)
        ]
    )
    wide = T.lookup_table(frame_tab, muni).set_index("kommunenr")
    assert list(wide.columns[5:]) == [s["id"] for s in S.map_subjects(ms)]
    # each municipality's own 2024 answer, or why it has none (Oslo, a county of its own, too)
    p24 = panel[panel.year == 2024].set_index("kommunenr")

    def cell(r):
        if not r["responded"]:
            return "nonresponse"
        return "missing" if pd.isna(r["has_strategy"]) else str(int(r["has_strategy"] == 1))

    expect = p24.apply(cell, axis=1)
    got = wide.loc[expect.index, "has_strategy"].map(
        lambda v: v if isinstance(v, str) else str(int(v))
    )
    assert got.to_dict() == expect.to_dict()
    # every municipality compared (an empty comparison would pass), Oslo by name as well
    assert len(got) == 357 and {"nonresponse", "0", "1"} <= set(got)
    assert got["0301"] == expect["0301"] != "not_comparable"


# --------------------------------------------------------------------------- config
def test_unknown_map_indicator_is_named(settings):
    bad = copy.deepcopy(settings)
    bad.indicators["maps"]["indicators"] = ["has_strategy", "no_such_thing"]
    with pytest.raises(ConfigError, match=r"maps/indicators.*no_such_thing"):
        S.map_settings(bad)


def test_map_wave_must_be_configured(settings):
    bad = copy.deepcopy(settings)
    bad.indicators["maps"]["wave"] = 2016
    with pytest.raises(ConfigError, match=r"maps/wave.*2016"):
        S.map_settings(bad)


def test_municipality_level_is_a_validated_boolean(config):
    validate_against(dict(config, municipality_level=True), "config.schema.yaml", "config.yaml")
    with pytest.raises(ConfigError, match=r"municipality_level.*'yes'"):
        validate_against(dict(config, municipality_level="yes"), "config.schema.yaml", "c.yaml")


# --------------------------------------------------------------------------- report section
class StandIn:
    """The attributes of digikom.report.Report that the maps section uses."""

    def __init__(self, results: Path, lang: str, size_groups: list[dict]):
        from digikom.report_context import ReportData
        from digikom.text import Text, esc

        self.results, self.lang = results, lang
        self.data = ReportData(results)
        self.tx = Text(lang)
        self.esc = esc
        self.ctx = {"size_groups": size_groups}

    def figure(self, png, caption, label):
        return f"![{caption}]({png}){{#{label}}}\n"

    def source_line(self):
        return "*source*"


def _map_tables(tmp_path, panel, config, settings, **overrides) -> Path:
    """run_tables on the session's synthetic panel, written as a panel file."""
    results = tmp_path / "results"
    (results / "data").mkdir(parents=True)
    panel_path = results / "data" / "panel.csv"
    panel.to_csv(panel_path, index=False)
    cfg = copy.deepcopy(config) | overrides
    out = {k: results / "maps" / f"{k}.csv" for k in ("frame", "counties", "lookup")}
    out["meta"] = results / "maps" / "maps.json"
    unit = S.unit_level(_with(settings, **cfg))
    if unit:
        out["municipalities"] = results / "maps" / "municipalities.csv"
    maps = S.rule_settings(S.map_settings(settings))
    T.run_tables(
        panel_path,
        REF / "municipalities_2024.csv",
        REF / "municipality_changes.csv",
        REF / "municipality_crosswalk_to_2024.csv",
        GEO_MUNI,
        GEO_COUNTY,
        maps=maps,
        size_groups=settings.size_groups,
        min_cell=cfg["report"]["min_cell"],
        unit=unit,
        synthetic=cfg["microdata"] is None,
        municipality_level=bool(cfg.get("municipality_level")),
        figures=S.figure_ids(maps["subjects"], unit),
        out=out,
    )
    # the public county table the maps section reads, with the primary rule (the audit's
    # secondary suppression needs the indicator tables: tests/test_protection.py)
    counties = pd.read_csv(out["counties"], dtype={"fylkesnummer": str})
    tables = {"shares": pd.DataFrame(columns=["indicator"]), "composites": pd.DataFrame()}
    keys = primary_keys({**tables, "crosstab": pd.DataFrame(), "counties": counties}, "", 3, False)
    (results / "public" / "tables").mkdir(parents=True)
    # the report's context: the labels of the mapped indicators and composites
    (results / "context.json").write_text(json.dumps({"indicators": settings.indicators}))
    publish({"counties": counties}, keys, 3, "")["counties"].to_csv(
        results / "public" / "tables" / "counties.csv", index=False
    )
    return results


def _lookup_rows(md: str) -> list[list[str]]:
    import html
    import re

    block = re.search(r"```\{=html\}\n(.*?)\n```", md, re.S).group(1)
    body = block.split("<tbody>")[1].split("</tbody>")[0]
    return [
        [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body)
    ]


@pytest.mark.parametrize("mode", ["synthetic", "microdata_off"])
def test_section_without_unit_level_shows_no_unit_value(
    tmp_path, panel, config, settings, mode, monkeypatch
):
    from digikom.sections import maps as section

    monkeypatch.chdir(ROOT)
    micro = None if mode == "synthetic" else "my_microdata.csv"
    results = _map_tables(
        tmp_path, panel, config, settings, microdata=micro, municipality_level=False
    )
    assert not (results / "maps" / "municipalities.csv").exists()
    meta = json.loads((results / "maps" / "maps.json").read_text())
    assert meta["unit_level"] is False and meta["synthetic"] is (mode == "synthetic")
    for lang in ("nb", "en"):
        R = StandIn(results, lang, settings.size_groups)
        md = section.render(R)
        assert "{#sec-maps}" in md and "{#sec-maps-lookup}" in md
        assert R.tx("maps.unit_synthetic" if micro is None else "maps.unit_off") in md
        assert "map_municipality_" not in md and "map_county_composite_priority" in md
        if micro is not None:
            # real microdata without the key: no per-municipality table at all
            assert meta["lookup"] == "off" and "<td>" not in md and "{=html}" not in md
            assert R.tx("maps.lookup_off") in md
            continue
        assert meta["lookup"] == "frame"
        rows = _lookup_rows(md)
        assert len(rows) == 357 and all(len(r) == 6 for r in rows)
        # no survey answer of any municipality: none of the category, yes/no or status
        # labels appears in the lookup
        words = {R.tx(f"maps.{k}") for k in ("yes", "no", "nonresponse", "missing")}
        subjects = R.data.maps()[0]["subjects"]  # with the labels from the config
        assert any(s.get("groups") for s in subjects)
        for s in subjects:
            words |= {R.tx.label(g) for g in s.get("groups", {}).values()}
        assert not words & {c for r in rows for c in r}
        oslo = next(r for r in rows if r[0] == "0301")
        assert oslo[1] == "Oslo" and oslo[4] == R.tx.num(717710)
        assert "```{=typst}" in md  # the PDF gets a note instead of the lookup


def test_section_with_unit_level_adds_municipality_maps_and_values(
    tmp_path, panel, config, settings, monkeypatch
):
    from digikom.sections import maps as section

    monkeypatch.chdir(ROOT)
    results = _map_tables(
        tmp_path, panel, config, settings, microdata="my_microdata.csv", municipality_level=True
    )
    R = StandIn(results, "en", settings.size_groups)
    md = section.render(R)
    assert R.tx("maps.unit_on", wave=2024) in md
    ms = S.map_settings(settings)
    for s in S.map_subjects(ms):
        assert f"map_municipality_{s['id']}.png" in md
    rows = {r[0]: r for r in _lookup_rows(md)}
    assert len(rows) == 357 and all(len(r) == 6 + len(S.map_subjects(ms)) for r in rows.values())
    # each municipality's has_strategy cell is its own answer in the panel
    col = 6 + [s["id"] for s in S.map_subjects(ms)].index("has_strategy")
    p24 = panel[panel.year == 2024].set_index("kommunenr")
    for code, r in rows.items():
        if not p24.loc[code, "responded"]:
            assert r[col] == R.tx("maps.nonresponse")
        elif pd.notna(p24.loc[code, "has_strategy"]):
            yes = p24.loc[code, "has_strategy"] == 1
            assert r[col] == R.tx("maps.yes" if yes else "maps.no")


# --------------------------------------------------------------------------- workflow (slow)
def _visible_rows(page) -> list[str]:
    return page.evaluate(
        "Array.from(document.querySelectorAll('#dk-lookup tbody tr'))"
        ".filter(r => !r.hidden).map(r => r.cells[1].textContent)"
    )


def _lookup_in_browser(html_path: Path, query: str):
    import shutil

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("chromium is not installed (CI installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = b.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(html_path.resolve().as_uri())
        before = _visible_rows(page)
        page.fill("#dk-lookup-q", query)
        after = _visible_rows(page)
        alts = page.evaluate(
            "Array.from(document.images).filter(i => i.src.length > 0 && "
            "i.closest('[id^=\"fig-map\"]'))"
            ".map(i => [i.naturalWidth, i.alt])"
        )
        b.close()
    return before, after, alts, errors


@pytest.mark.slow
def test_default_report_has_frame_and_county_maps_and_a_frame_only_lookup(built):
    html = (built / "results/report/report.nb.html").read_text(encoding="utf-8")
    assert 'id="sec-maps"' in html and 'id="dk-lookup"' in html
    # the PDF gets the maps, not the lookup (Quarto would otherwise typeset the HTML table)
    import subprocess

    pdf = subprocess.run(
        ["pdftotext", str(built / "results/report/report.nb.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Kommunestørrelse 1. januar 2024" in pdf and "Eigersund" not in pdf
    assert not re.search(r'<script[^>]+src="(?!data:)', html)  # no external script
    assert not (built / "results/maps/municipalities.csv").exists()
    lookup = pd.read_csv(built / "results/maps/lookup.csv", dtype=str)
    assert len(lookup) == 357 and "has_strategy" not in lookup.columns
    before, after, alts, errors = _lookup_in_browser(
        built / "results/report/report.nb.html", "bærum"
    )
    assert errors == []
    assert len(before) == 357 and after == ["Bærum"]
    stems = {p.name.removesuffix(".png") for p in (built / "results/figures").glob("map_*.png")}
    assert "map_size_group" in stems and not any(s.startswith("map_municipality") for s in stems)
    assert len(alts) == len(stems) and all(w > 500 and len(a) > 20 for w, a in alts)


@pytest.mark.slow
def test_microdata_with_municipality_level_adds_maps_and_lookup_values(built_unit_level):
    from digikom.panel import read_panel
    from digikom.text import Text

    wd = built_unit_level
    meta = json.loads((wd / "results/maps/maps.json").read_text())
    assert meta["unit_level"] and not meta["synthetic"]
    html_path = wd / "results/report/report.nb.html"
    html = html_path.read_text(encoding="utf-8")
    assert 'id="sec-maps-municipality"' in html
    for s in meta["subjects"]:
        assert (wd / f"results/figures/map_municipality_{s['id']}.png").exists()
    pan = read_panel(wd / "results/data/panel.csv")
    p24 = pan[pan.year == 2024].set_index("kommunenr")
    tx = Text("nb")
    code = p24.index[p24.responded & p24.has_strategy.notna()][0]
    name = p24.loc[code, "kommunenavn"]
    before, after, alts, errors = _lookup_in_browser(html_path, code)
    assert errors == [] and after == [name]
    lookup = pd.read_csv(wd / "results/maps/lookup.csv", dtype=str).set_index("kommunenr")
    assert float(lookup.loc[code, "has_strategy"]) == float(p24.loc[code, "has_strategy"] == 1)
    yes = tx("maps.yes") if p24.loc[code, "has_strategy"] == 1 else tx("maps.no")
    row = re.search(rf"<tr><td>{code}</td>.*?</tr>", html).group(0)
    assert f"<td>{yes}</td>" in row
    assert len(alts) == len(meta["figures"])


@pytest.mark.slow
def test_microdata_without_the_key_writes_no_unit_level_values(built_microdata):
    from workflow_utils import run_scenario

    wd = built_microdata
    meta = json.loads((wd / "results/maps/maps.json").read_text())
    assert meta["unit_level"] is False and meta["municipality_level"] is False
    assert meta["lookup"] == "off"
    assert not (wd / "results/maps/municipalities.csv").exists()
    lookup = pd.read_csv(wd / "results/maps/lookup.csv", dtype=str)
    assert list(lookup.columns) == [
        "kommunenr",
        "kommunenavn",
        "fylkesnavn",
        "size_group",
        "population",
        "reform",
    ]
    proc = run_scenario(wd, "microdata", "-n", "--forceall", check=True)
    assert "results/figures/map_county_" in proc.stdout  # the planned maps are listed
    assert "map_municipality" not in proc.stdout
