"""Tests of the JSON-stat2 parser (digikom.statbank.jsonstat)."""

from __future__ import annotations

import copy
import json
import math

import pandas as pd
import pytest
from digikom.errors import CellLimitError, StatbankError
from digikom.schemas import schema_default
from digikom.statbank.jsonstat import (
    decode_json,
    loads_jsonstat2,
    parse_jsonstat2,
    read_jsonstat2,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from statbank_server import FIXTURES

SAMPLES = FIXTURES.parent / "jsonstat"


def tiny(**overrides):
    """A 2 x 3 dataset: A in {a1, a2}, B in {b1, b2, b3}, values 0..5."""
    doc = {
        "version": "2.0",
        "class": "dataset",
        "id": ["A", "B"],
        "size": [2, 3],
        "dimension": {
            "A": {
                "label": "a",
                "category": {"index": ["a1", "a2"], "label": {"a1": "Å1", "a2": "Ø2"}},
            },
            "B": {
                "label": "b",
                "category": {
                    "index": {"b1": 0, "b2": 1, "b3": 2},
                    "label": {"b1": "æ", "b2": "ø", "b3": "å"},
                },
            },
        },
        "value": [0, 1, 2, 3, 4, 5],
    }
    doc.update(overrides)
    return doc


def test_fixture_99901_values_labels_and_status():
    df = read_jsonstat2(FIXTURES / "99901_data.json")
    assert list(df.columns) == [
        "KommSize",
        "KommSize_label",
        "ContentsCode",
        "ContentsCode_label",
        "Tid",
        "Tid_label",
        "value",
        "status",
    ]
    assert len(df) == 32
    # row-major: Tid fastest, then ContentsCode, then KommSize
    assert list(df["Tid"][:5]) == ["2018", "2020", "2022", "2024", "2018"]
    assert list(df["ContentsCode"][:5]) == ["IKTStrategi"] * 4 + ["DigStrategi"]
    first = df.iloc[0]
    assert (first["KommSize"], first["Tid"], first["value"], first["status"]) == (
        "0",
        "2018",
        60.0,
        "",
    )
    assert df.loc[1, "value"] == pytest.approx(63.1)
    # suppressed cells: NaN value plus SSB's symbol
    assert math.isnan(df.loc[4, "value"]) and df.loc[4, "status"] == ".."
    assert math.isnan(df.loc[24, "value"]) and df.loc[24, "status"] == ":"
    assert df.loc[24, "KommSize_label"] == "20 000 innbyggere og over"
    assert df["status"].tolist().count("") == 30
    assert df.loc[4, "ContentsCode_label"] == "Kommuner med særskilt strategi for digitalisering"
    assert df.loc[31, "value"] == pytest.approx(64.2 + 9.3)
    assert df["value"].dtype == "float64"


def test_sparse_value_and_status_objects():
    """14023's stand-in has a sparse ``value`` object: a missing key is a cell without a
    number, with its symbol in ``status``."""
    raw = json.loads((FIXTURES / "14023_data.json").read_text(encoding="utf-8"))
    assert isinstance(raw["value"], dict) and len(raw["value"]) < 30
    df = read_jsonstat2(FIXTURES / "14023_data.json")
    assert len(df) == 30  # 3 sectors x 5 areas x 1 content x 2 years
    assert df["DigOmrade"].tolist()[:4] == ["A1", "A1", "A2", "A2"]  # Tid fastest
    for i in range(30):
        if str(i) in raw["value"]:
            assert df["value"][i] == raw["value"][str(i)] and df["status"][i] == ""
        else:
            assert math.isnan(df["value"][i]) and df["status"][i] == raw["status"][str(i)]
    assert df.loc[df.status == "..", "DigOmrade_label"].unique().tolist() == ["Kunstig intelligens"]
    assert df["ContentsCode_label"].unique().tolist() == ["Andel virksomheter"]


def test_row_major_order_and_index_forms():
    df = parse_jsonstat2(tiny(), "tiny")
    assert list(zip(df["A"], df["B"], df["value"], strict=True)) == [
        ("a1", "b1", 0.0),
        ("a1", "b2", 1.0),
        ("a1", "b3", 2.0),
        ("a2", "b1", 3.0),
        ("a2", "b2", 4.0),
        ("a2", "b3", 5.0),
    ]
    assert df["A_label"].tolist() == ["Å1"] * 3 + ["Ø2"] * 3
    # category.index as object in a non-sorted key order still follows the positions
    doc = tiny()
    doc["dimension"]["B"]["category"]["index"] = {"b3": 2, "b1": 0, "b2": 1}
    assert parse_jsonstat2(doc, "t")["B"].tolist()[:3] == ["b1", "b2", "b3"]


def test_status_string_and_array_and_value_nulls():
    df = parse_jsonstat2(tiny(status="p"), "t")
    assert df["status"].tolist() == ["p"] * 6
    df = parse_jsonstat2(
        tiny(status=[None, "..", None, ":", None, None], value=[1, None, 2, None, 3.5, 0]), "t"
    )
    assert df["status"].tolist() == ["", "..", "", ":", "", ""]
    assert df["value"].isna().tolist() == [False, True, False, True, False, False]
    assert df["value"][4] == 3.5


def test_single_category_without_index_and_missing_labels():
    doc = tiny(id=["A", "C"], size=[2, 1], value=[7, 8])
    doc["dimension"]["C"] = {"label": "c", "category": {"label": {"x": "Eks"}}}
    del doc["dimension"]["B"]
    doc["dimension"]["A"]["category"].pop("label")
    df = parse_jsonstat2(doc, "t")
    assert df["C"].tolist() == ["x", "x"] and df["C_label"].tolist() == ["Eks", "Eks"]
    assert df["A_label"].tolist() == ["a1", "a2"]  # label falls back to the code


def test_roundtrip_bytes_keeps_norwegian_characters():
    raw = json.dumps(tiny(), ensure_ascii=False).encode("utf-8")
    df = loads_jsonstat2(raw, "bytes")
    assert set(df["B_label"]) == {"æ", "ø", "å"}


MALFORMED = {
    "not an object": [1, 2],
    "wrong class": tiny(**{"class": "collection"}),
    "id not list": tiny(id="A"),
    "size mismatch": tiny(size=[2]),
    "size negative": tiny(size=[2, -3]),
    "size bool": tiny(size=[2, True]),
    "dimension missing": tiny(dimension={"A": tiny()["dimension"]["A"]}),
    "category missing": tiny(dimension={"A": {"label": "a"}, "B": tiny()["dimension"]["B"]}),
    "too few values": tiny(value=[1, 2, 3]),
    "value not number": tiny(value=[1, 2, "x", 4, 5, 6]),
    "value bool": tiny(value=[1, 2, True, 4, 5, 6]),
    "value string": tiny(value="1,2"),
    "sparse key out of range": tiny(value={"6": 1.0}),
    "sparse key not index": tiny(value={"a": 1.0}),
    "status wrong length": tiny(status=["a", "b"]),
    "status one element not string": tiny(status=[3]),
    "status bad key": tiny(status={"-1": ".."}),
    "status not string": tiny(status={"0": 3}),
    "status number": tiny(status=5),
    "clashing columns": tiny(id=["value", "B"]),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_raises_statbank_error_naming_source(name):
    doc = copy.deepcopy(MALFORMED[name])
    if name == "clashing columns":
        doc["dimension"]["value"] = doc["dimension"].pop("A")
    with pytest.raises(StatbankError, match=r"^some/file\.json: "):
        parse_jsonstat2(doc, "some/file.json")


def test_bad_index_positions_and_duplicates():
    doc = tiny()
    doc["dimension"]["B"]["category"]["index"] = {"b1": 0, "b2": 0, "b3": 2}
    with pytest.raises(StatbankError, match="category.index position"):
        parse_jsonstat2(doc, "x")
    doc["dimension"]["B"]["category"]["index"] = ["b1", "b1", "b3"]
    with pytest.raises(StatbankError, match="duplicate category codes"):
        parse_jsonstat2(doc, "x")
    doc["dimension"]["B"]["category"]["index"] = ["b1", "b2"]
    del doc["dimension"]["B"]["category"]["label"]["b3"]
    with pytest.raises(StatbankError, match="has 2 categories but size 3"):
        parse_jsonstat2(doc, "x")


def test_invalid_json_bytes():
    with pytest.raises(StatbankError, match=r"^u: not valid JSON"):
        loads_jsonstat2(b'{"version": "2.0", "value": [1,', "u")
    with pytest.raises(StatbankError, match=r"^u: not UTF-8"):
        loads_jsonstat2(b"\xff\xfe{}", "u")


json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(-5, 40)
    | st.floats(allow_nan=False)
    | st.text(max_size=4)
)
json_values = st.recursive(
    json_leaf,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=4), children, max_size=5)
    ),
    max_leaves=25,
)


@settings(deadline=None)
@given(json_values)
def test_fuzz_arbitrary_json_never_raw_error(obj):
    try:
        parse_jsonstat2(obj, "fuzz")
    except StatbankError as exc:
        assert str(exc).startswith("fuzz: ")


PATHS = [
    ("id",),
    ("size",),
    ("value",),
    ("status",),
    ("dimension",),
    ("dimension", "A"),
    ("dimension", "B", "category"),
    ("dimension", "B", "category", "index"),
    ("dimension", "A", "category", "label"),
    ("dimension", "A", "category", "index"),
]


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(PATHS), json_values), min_size=1, max_size=3))
def test_fuzz_mutated_dataset_never_raw_error(mutations):
    doc = tiny(status={"1": ".."})
    for path, new in mutations:
        node = doc
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node[path[-1]] = new
    try:
        df = parse_jsonstat2(doc, "mut")
    except StatbankError as exc:
        assert str(exc).startswith("mut: ")
    else:
        assert list(df.columns)[-2:] == ["value", "status"]
        assert len(df) == math.prod(doc["size"])


# ---- real JSON-stat 2.0 datasets of other publishers (tests/fixtures/jsonstat/README.md)


@pytest.mark.parametrize("name", sorted(p.stem for p in SAMPLES.glob("*.json")))
def test_real_sample_parses_exactly_as_an_independent_reader(name):
    """Every code, label and value as pyjstat read them (the .expected.csv files)."""
    assert len(list(SAMPLES.glob("*.json"))) >= 4
    df = read_jsonstat2(SAMPLES / f"{name}.json")
    want = pd.read_csv(SAMPLES / f"{name}.expected.csv", dtype=str, keep_default_na=False)
    assert list(df.columns) == [*want.columns, "status"]
    for col in want.columns[:-1]:
        assert df[col].tolist() == want[col].tolist(), col
    expected = pd.to_numeric(want["value"].replace("", None)).to_numpy(dtype=float)
    got = df["value"].to_numpy()
    assert ((got == expected) | (pd.isna(got) & pd.isna(expected))).all()


def test_real_sample_statuses():
    """What each file says of its statuses, read from the files by hand."""
    # canada.json: "status": ["a"] applies to every cell, as in the official toolkit
    canada = read_jsonstat2(SAMPLES / "jsonstat-org_canada.json")
    assert len(canada) == 120 and set(canada["status"]) == {"a"}
    # oecd.json: the 2013 and 2014 columns (flat 10, 11, 22, 23, ...) are estimates "e"
    oecd = read_jsonstat2(SAMPLES / "jsonstat-org_oecd.json")
    assert oecd.loc[oecd["year"].isin(["2013", "2014"]), "status"].unique().tolist() == ["e"]
    assert (oecd["status"] == "e").sum() == 72 and (oecd["status"] == "").sum() == 360
    assert oecd.loc[10, ["area", "year", "status"]].tolist() == ["AU", "2013", "e"]
    # Statistics Finland: 2010's quarters have no values, status "2" (not applicable)
    fi = read_jsonstat2(SAMPLES / "statfi_with-nulls.json")
    first = fi["vuosineljannes"].str.startswith("2010")
    assert fi.loc[first, "value"].isna().all() and set(fi.loc[first, "status"]) == {"2"}
    assert fi.loc[~first, "value"].notna().all() and set(fi.loc[~first, "status"]) == {""}
    assert fi.loc[12, "value"] == -1.31
    # us-gsp.json: codes keep their leading zeros; no status at all
    gsp = read_jsonstat2(SAMPLES / "jsonstat-org_us-gsp.json")
    assert gsp.loc[0, ["state", "state_label"]].tolist() == ["01", "Alabama"]
    assert set(gsp["status"]) == {""}


def test_one_element_status_array():
    assert parse_jsonstat2(tiny(status=[":"]), "t")["status"].tolist() == [":"] * 6
    assert parse_jsonstat2(tiny(status=[None]), "t")["status"].tolist() == [""] * 6
    one = tiny(id=["A"], size=[1], value=[1.5], status=["p"])
    one["dimension"] = {"A": {"category": {"index": ["a1"]}}}
    assert parse_jsonstat2(one, "t")["status"].tolist() == ["p"]


def test_label_of_a_code_not_in_the_index_is_refused():
    doc = tiny()
    doc["dimension"]["B"]["category"]["label"]["b9"] = "ni"
    with pytest.raises(
        StatbankError,
        match=r"^f\.json: .*dimension 'B': category\.label has "
        r"code\(s\) \['b9'\] that are not in category\.index",
    ):
        parse_jsonstat2(doc, "f.json")


def test_two_sparse_keys_for_one_cell_are_refused():
    with pytest.raises(StatbankError, match=r"^f: .*'value' keys '1' and '01' both name cell 1"):
        parse_jsonstat2(tiny(value={"1": 1.0, "01": 2.0}), "f")
    with pytest.raises(StatbankError, match=r"'status' keys '002' and '2' both name cell 2"):
        parse_jsonstat2(tiny(status={"002": "..", "2": ":"}), "f")
    # one key with a leading zero alone is still that cell
    df = parse_jsonstat2(tiny(value={"01": 2.0}), "f")
    assert df["value"].isna().tolist() == [True, False, True, True, True, True]


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_tokens_are_refused(token):
    raw = json.dumps(tiny()).replace('"value": [0, 1,', f'"value": [0, {token},').encode()
    assert token.encode() in raw
    with pytest.raises(StatbankError, match=rf"^u: not valid JSON: {token} is not a JSON number"):
        loads_jsonstat2(raw, "u")
    with pytest.raises(StatbankError, match=rf"^u: not valid JSON: {token}"):
        decode_json(raw, "u")


def test_non_finite_numbers_are_refused():
    for bad in (math.nan, math.inf, 1e400):
        with pytest.raises(StatbankError, match=r"^d: .*'value' at flat index 2 is"):
            parse_jsonstat2(tiny(value=[0, 1, bad, 3, 4, 5]), "d")


def test_dimension_not_listed_in_id_is_refused():
    doc = tiny()
    doc["dimension"]["C"] = {"category": {"index": ["c1"]}}
    with pytest.raises(StatbankError, match=r"^f: .*'dimension' has \['C'\], which 'id' "):
        parse_jsonstat2(doc, "f")


def test_cell_limit_refuses_a_huge_sparse_cube_before_expanding_it():
    """10^10 cells in a sparse cube: refused with the project's error at once, not a
    MemoryError after expanding."""
    n = 100_000
    doc = {
        "version": "2.0",
        "class": "dataset",
        "id": ["A", "B"],
        "size": [n, n],
        "dimension": {
            d: {"category": {"index": {f"{d}{i}": i for i in range(n)}}} for d in ("A", "B")
        },
        "value": {"0": 1.0, "99": 2.0},
    }
    with pytest.raises(
        CellLimitError,
        match=r"^big: 'size' \[100000, 100000\] gives "
        r"10000000000 cells, more than statbank\.max_cells=800000",
    ):
        parse_jsonstat2(doc, "big")
    assert issubclass(CellLimitError, StatbankError)


def test_cell_limit_is_the_schema_setting_and_can_be_set():
    assert schema_default("config.schema.yaml", "statbank", "max_cells") == 800_000
    assert len(parse_jsonstat2(tiny(), "t", max_cells=6)) == 6
    with pytest.raises(CellLimitError, match=r"gives 6 cells, more than statbank\.max_cells=5"):
        parse_jsonstat2(tiny(), "t", max_cells=5)
    with pytest.raises(CellLimitError, match=r"max_cells=5"):
        loads_jsonstat2(json.dumps(tiny()), "t", max_cells=5)


@pytest.mark.parametrize(
    ("doc", "field", "value"),
    [
        (tiny(id="A"), "'id'", "'A'"),
        (tiny(size=[2, "3"]), "'size'", "[2, '3']"),
        (tiny(value=[1, 2, "x", 4, 5, 6]), "'value' at flat index 2", "'x'"),
        (tiny(status={"0": 3}), "'status' at flat index 0", "3"),
        (tiny(value={"a": 1.0}), "'value' key", "'a'"),
        (tiny(**{"class": "collection"}), "'class'", "'collection'"),
    ],
)
def test_refusals_name_source_field_and_value(doc, field, value):
    with pytest.raises(StatbankError) as err:
        parse_jsonstat2(doc, "data/raw/t.json")
    msg = str(err.value)
    assert msg.startswith("data/raw/t.json: ") and field in msg and value in msg, msg
