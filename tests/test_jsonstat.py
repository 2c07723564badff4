"""Tests of the JSON-stat2 parser (digikom.statbank.jsonstat)."""

from __future__ import annotations

import copy
import json
import math

import pytest
from digikom.errors import StatbankError
from digikom.statbank.jsonstat import loads_jsonstat2, parse_jsonstat2, read_jsonstat2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from statbank_server import FIXTURES


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
    "status wrong length": tiny(status=["a"]),
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
