"""The data layer: reading, validation (every bad-input case), the panel and its weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from digikom import panel as P
from digikom.errors import InputDataError

WAVES = [2018, 2020, 2022, 2024]


@pytest.fixture
def good_csv(micro, tmp_path):
    """A valid microdata file (a slice of the synthetic default) and its frame."""
    df = micro[micro.year.isin([2018, 2022])].copy()
    path = tmp_path / "micro.csv"
    df.to_csv(path, index=False)
    return path, df


def load(path, settings, frames):
    raw = P.read_microdata(path)
    return P.validate_microdata(raw, settings.codebook, frames, WAVES, str(path))


def write_variant(df, tmp_path, name="bad.csv", **kw) -> tuple:
    path = tmp_path / name
    df.to_csv(path, index=False, **kw)
    return path


def test_valid_file_round_trips(good_csv, settings, frames):
    path, df = good_csv
    typed = load(path, settings, frames)
    assert len(typed) == len(df)
    assert typed["kommunenr"].tolist() == df["kommunenr"].tolist()
    assert typed["competence_barrier"].isna().sum() == df["competence_barrier"].isna().sum()


def test_semicolon_and_parquet_accepted(good_csv, settings, frames, tmp_path):
    path, df = good_csv
    semi = write_variant(df, tmp_path, "semi.csv", sep=";")
    pq = tmp_path / "micro.parquet"
    df.to_parquet(pq, index=False)
    a, b, c = (load(p, settings, frames) for p in (path, semi, pq))
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c)


def expect_error(path, settings, frames, *fragments):
    with pytest.raises(InputDataError) as exc:
        load(path, settings, frames)
    msg = str(exc.value)
    assert str(path) in msg
    for f in fragments:
        assert f in msg, f"{f!r} not in message:\n{msg}"
    return msg


def test_unknown_kommunenr(good_csv, settings, frames, tmp_path):
    _, df = good_csv
    df = df.copy()
    df.loc[df.index[3], "kommunenr"] = "9999"
    # a 2018 number used in 2022 (0101 Halden became 3101 in 2020)
    i = df.index[(df.year == 2022)][0]
    df.loc[i, "kommunenr"] = "0101"
    path = write_variant(df, tmp_path)
    msg = expect_error(
        path, settings, frames, "kommunenr", "9999", "0101", "not in that wave's municipality frame"
    )
    assert "row 5" in msg  # header is line 1, so the 4th data row is line 5


def test_leading_zero_repaired_with_warning(good_csv, settings, frames, tmp_path, caplog):
    _, df = good_csv
    df = df.copy()
    df.loc[df.index[0], "kommunenr"] = "101"  # lost its leading zero: 0101 Halden (2018)
    path = write_variant(df, tmp_path)
    typed = load(path, settings, frames)
    assert typed.loc[0, "kommunenr"] == "0101"
    assert "lost its leading zero" in caplog.text and "'101'" in caplog.text


def test_leading_zero_not_repairable(good_csv, settings, frames, tmp_path):
    _, df = good_csv
    df = df.copy()
    df.loc[df.index[0], "kommunenr"] = "998"  # 0998 is no municipality
    path = write_variant(df, tmp_path)
    expect_error(path, settings, frames, "kommunenr", "998")


def test_duplicates(good_csv, settings, frames, tmp_path):
    _, df = good_csv
    dup = pd.concat([df, df.iloc[[5]]], ignore_index=True)
    path = write_variant(dup, tmp_path)
    expect_error(path, settings, frames, "duplicate (kommunenr, year)", df.iloc[5]["kommunenr"])


def test_missing_required_column(good_csv, settings, frames, tmp_path):
    _, df = good_csv
    path = write_variant(df.drop(columns=["cloud_use", "tried_recruit"]), tmp_path)
    expect_error(path, settings, frames, "missing required column", "tried_recruit", "cloud_use")


def test_a_misspelled_required_column_is_named_with_its_likely_spelling(
    good_csv, settings, frames, tmp_path
):
    _, df = good_csv
    path = write_variant(df.rename(columns={"cloud_use": "clod_use"}), tmp_path)
    expect_error(
        path, settings, frames, "missing required column", "cloud_use (is 'clod_use' meant?)"
    )


def test_extra_columns_are_ignored_with_a_warning_naming_them(
    good_csv, settings, frames, tmp_path, caplog
):
    path, df = good_csv
    plain = load(path, settings, frames)
    assert "ignored" not in caplog.text
    more = df.assign(weight=9.0, kommentar="x")  # a weight of its own: derived by the pipeline
    typed = load(write_variant(more, tmp_path), settings, frames)
    pd.testing.assert_frame_equal(typed, plain)
    derived, unknown = (r.getMessage() for r in caplog.records if "ignored" in r.getMessage())
    assert str(tmp_path / "bad.csv") in derived and "weight ignored" in derived
    assert "derives" in derived and "kommentar" not in derived
    assert unknown.endswith("not in the codebook ignored: kommentar")


def test_out_of_range_values_all_reported(good_csv, settings, frames, tmp_path):
    _, df = good_csv
    df = df.copy().astype(
        {
            c: "object"
            for c in ("competence_barrier", "digital_services", "cloud_use", "has_strategy")
        }
    )
    df.loc[df.index[1], "competence_barrier"] = 7
    df.loc[df.index[2], "digital_services"] = 13  # codebook maximum is 12
    df.loc[df.index[3], "cloud_use"] = 2
    df.loc[df.index[4], "has_strategy"] = "ja"
    path = write_variant(df, tmp_path)
    msg = expect_error(
        path,
        settings,
        frames,
        "competence_barrier",
        "7",
        "digital_services",
        "13",
        "cloud_use",
        "'2'",
        "has_strategy",
        "'ja'",
        "not an integer",
    )
    assert "4 invalid value(s)" in msg


def test_recruit_problems_without_trying(good_csv, settings, frames, tmp_path):
    _, df = good_csv
    df = df.copy()
    i = df.index[df.tried_recruit == 0][0]
    df.loc[i, "recruit_problems"] = 1
    path = write_variant(df, tmp_path)
    expect_error(
        path,
        settings,
        frames,
        "recruit_problems set although tried_recruit = 0",
        f"row {df.index.get_loc(i) + 2}",
    )


def test_year_not_in_waves(good_csv, settings, frames, tmp_path):
    _, df = good_csv
    df = df.copy()
    df.loc[df.index[0], "year"] = 2019
    path = write_variant(df, tmp_path)
    expect_error(path, settings, frames, "year", "2019", "not a configured wave")


def test_empty_file(tmp_path, settings, frames):
    p = tmp_path / "empty.csv"
    p.write_text("")
    expect_error(p, settings, frames, "empty")
    p2 = tmp_path / "header_only.csv"
    p2.write_text("kommunenr,year\n")
    expect_error(p2, settings, frames, "no data rows")


def test_not_csv_or_parquet(tmp_path, settings, frames):
    p = tmp_path / "panel.xlsx"
    p.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    expect_error(p, settings, frames, "not a CSV or Parquet")
    p2 = tmp_path / "fake.parquet"
    p2.write_text("this is not parquet")
    expect_error(p2, settings, frames, "Parquet")


# --------------------------------------------------------------------------- panel
def test_panel_has_one_row_per_frame_municipality(panel, frames):
    for year, frame in frames.items():
        got = panel[panel.year == year]
        assert sorted(got.kommunenr) == sorted(frame.kommunenr)
    assert panel.responded.dtype == bool


def test_derived_columns(panel, settings):
    r = panel[panel.responded]
    assert np.allclose(panel.log_population, np.log(panel.population))
    cb = r.competence_barrier
    assert (r.competence_large[cb.notna()] == cb[cb.notna()].isin([4, 5]).astype(int)).all()
    assert r.competence_large[cb.isna()].isna().all()
    # size groups: an independent check with the config bands
    for g in settings.size_groups:
        upper = g["upper"] if g["upper"] is not None else np.inf
        sel = (panel.population >= g["lower"]) & (panel.population < upper)
        assert (panel.size_group[sel] == g["id"]).all()


def test_weights_add_up_to_frame(panel):
    g = panel.groupby(["year", "size_group"])
    frame_n = g.size()
    weighted = g["weight"].sum()
    assert np.allclose(frame_n.to_numpy(), weighted.reindex(frame_n.index).to_numpy())
    assert (panel.loc[~panel.responded, "weight"] == 0).all()


def test_harmonised_codes(panel):
    halden = panel[(panel.year == 2018) & (panel.kommunenr == "0101")]
    assert halden.kommunenr_2024.iloc[0] == "3101"
    assert (panel[panel.year == 2024].kommunenr_2024 == panel[panel.year == 2024].kommunenr).all()


def test_huge_integer_is_reported_not_crashing(good_csv, settings, frames, tmp_path):
    _, df = good_csv
    df = df.copy().astype({"year": "object"})
    df.loc[df.index[0], "year"] = "9223372036854775807"
    path = write_variant(df, tmp_path)
    expect_error(path, settings, frames, "year", "not an integer", "9223372036854775807")


@pytest.mark.parametrize("offset", [300, 10_000])  # in the first 4 KB and well after it
def test_non_utf8_byte_named_with_line_column_and_field(good_csv, tmp_path, offset):
    path, _ = good_csv
    lines = path.read_bytes().split(b"\n")
    header = lines[0].decode().split(",")
    # the data line that contains byte `offset`, and the field `cloud_use` in it
    pos, n = 0, 0
    while pos + len(lines[n]) + 1 <= offset:
        pos += len(lines[n]) + 1
        n += 1
    n = max(n, 1)  # a data line, not the header
    cells = lines[n].split(b",")
    col = header.index("cloud_use")
    cells[col] = b"\xe6"  # 'æ' in Latin-1
    lines[n] = b",".join(cells)
    bad = tmp_path / "latin1.csv"
    bad.write_bytes(b"\n".join(lines))
    column = len(b",".join(cells[:col])) + 2
    with pytest.raises(InputDataError) as exc:
        P.read_microdata(bad)
    msg = str(exc.value)
    assert msg.startswith(f"{bad}: line {n + 1}, column {column}, field 'cloud_use' (byte ")
    assert "0xe6" in msg and "not valid UTF-8" in msg
    assert "\n" not in msg


def test_more_fields_than_the_header_is_a_clear_error(good_csv, tmp_path):
    """Data lines with more fields than the header: pandas would make the surplus fields
    row labels (found by the microdata fuzz test, as a raw ValueError in validation)."""
    path, df = good_csv
    lines = path.read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "wide.csv"
    bad.write_text("\n".join([lines[0]] + [line + ",1,1" for line in lines[1:4]]) + "\n")
    with pytest.raises(InputDataError) as exc:
        P.read_microdata(bad)
    n = len(df.columns)
    assert str(exc.value) == (
        f"{bad}: the first data line has {n + 2} fields, the header {n} (separator ','): "
        "each line needs one field per column"
    )


@pytest.mark.parametrize("twice", ["year", " \tyear"])
def test_a_column_named_twice_is_a_clear_error(good_csv, tmp_path, twice):
    """A header naming a column twice: as written (pandas renamed the second "x.1" and the
    file validated, the first column's values used), or once spaces and tabs are stripped
    (found by the microdata fuzz test, as a raw AttributeError)."""
    path, _ = good_csv
    lines = path.read_text(encoding="utf-8").splitlines()
    col = lines[0].split(",").index("year")
    rows = [lines[0] + "," + twice] + [line + "," + line.split(",")[col] for line in lines[1:]]
    bad = tmp_path / "twice.csv"
    bad.write_text("\n".join(rows) + "\n")
    with pytest.raises(InputDataError) as exc:
        P.read_microdata(bad)
    assert str(exc.value) == f"{bad}: column(s) named twice in the header: year"


def test_utf8_bom_and_directory(good_csv, tmp_path):
    path, df = good_csv
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert list(P.read_microdata(bom).columns) == list(df.columns)
    with pytest.raises(InputDataError, match="cannot read microdata file"):
        P.read_microdata(tmp_path)


def test_counts_above_illustrative_item_lists_are_valid(good_csv, settings, frames, tmp_path):
    """strategy_areas and internal_functions are counts >= 0 (the codebook's item lists
    are illustrative); digital_services stays capped by its items (binomial trials)."""
    _, df = good_csv
    cb = settings.codebook["variables"]
    df = df.copy()
    i = df.index[df.has_strategy == 1][0]
    df.loc[i, "strategy_areas"] = len(cb["strategy_areas"]["items"]) + 5
    df.loc[df.index[0], "internal_functions"] = len(cb["internal_functions"]["items"]) + 1
    typed = load(write_variant(df, tmp_path, "above.csv"), settings, frames)
    assert typed.loc[typed.index[list(df.index).index(i)], "strategy_areas"] == 13
    assert typed["internal_functions"].iloc[0] == len(cb["internal_functions"]["items"]) + 1
    df.loc[df.index[1], "strategy_areas"] = -1  # still a count >= 0
    df.loc[df.index[2], "digital_services"] = len(cb["digital_services"]["items"]) + 1
    msg = expect_error(write_variant(df, tmp_path), settings, frames, "strategy_areas", "'-1'")
    assert "digital_services" in msg and "2 invalid value(s)" in msg
