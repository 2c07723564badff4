"""Releases and revisions (digikom.release): the comparison of public tables, the reason
of each revision, the release rules, freezing a release, the fingerprints and the report's
section (fast; tests/test_release_workflow.py runs the workflow)."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest
from digikom.release import checks as C
from digikom.release import compare as R
from digikom.release import fingerprint as F
from digikom.release import freeze as Z
from test_sections import Report, results  # noqa: F401 (the hand-made results fixture)


def shares(*rows) -> pd.DataFrame:
    """A public shares table: (indicator, wave, group, weighted, value, status)."""
    return pd.DataFrame(
        [
            dict(
                table="shares",
                indicator=i,
                kind="share",
                theme="t",
                wave=w,
                group=g,
                weighted=wt,
                n=10,
                value=v,
                conf_low=v,
                conf_high=v,
                status=s,
            )  # fmt: skip
            for i, w, g, wt, v, s in rows
        ]
    )


FP = {"waves": {"2018": "a", "2022": "b"}, "method": {"indicators": "m", "maps": "p",
      "model:cloud": "c"}, "code": {"sha256": "x"}, "decimals": 3}  # fmt: skip


def fp(**changes) -> dict:
    out = json.loads(json.dumps(FP))
    for path, value in changes.items():
        head, _, key = path.partition("__")
        out[head][key] = value
    return out


def test_only_numbers_beyond_the_published_precision_are_listed():
    before = shares(("a", 2018, "all", False, 0.500, ""), ("b", 2018, "all", False, 0.300, ""))
    after = shares(("a", 2018, "all", False, 0.5004, ""), ("b", 2018, "all", False, 0.312, ""))
    out = R.compare({"shares": before}, {"shares": after}, 3)
    assert out[["indicator", "previous", "current", "revision"]].values.tolist() == [
        ["b", 0.3, 0.312, "changed"]
    ]
    assert out.change.iloc[0] == pytest.approx(0.012)


def test_appeared_and_disappeared_cells():
    before = shares(("a", 2018, "all", False, 0.5, ""), ("b", 2018, "all", False, 0.3, ""))
    after = shares(("a", 2018, "all", False, 0.5, ""), ("c", 2022, "all", False, 0.7, ""))
    out = R.compare({"shares": before}, {"shares": after}, 3).set_index("indicator")
    assert out.loc["b", "revision"] == "disappeared" and out.loc["b", "previous"] == 0.3
    assert out.loc["c", "revision"] == "appeared" and out.loc["c", "current"] == 0.7
    assert "a" not in out.index


def test_a_cell_hidden_in_either_release_is_listed_without_values():
    before = shares(("a", 2018, "s", False, 0.5, ""), ("b", 2018, "s", False, None, ":"),
                    ("c", 2018, "s", False, None, ":"))  # fmt: skip
    after = shares(("a", 2018, "s", False, None, ":"), ("b", 2018, "s", False, 0.25, ""),
                   ("c", 2018, "s", False, None, ":"))  # fmt: skip
    out = R.compare({"shares": before}, {"shares": after}, 3).set_index("indicator")
    assert sorted(out.index) == ["a", "b"]  # hidden in both: nothing public changed
    assert out.loc["a", "revision"] == "hidden" and out.loc["b", "revision"] == "shown"
    assert out[["previous", "current", "change"]].isna().all().all()
    assert out.loc["a", "current_status"] == ":" and out.loc["b", "previous_status"] == ":"


class Row:
    def __init__(self, **kw):
        base = dict(table="shares", wave="2022", wave_from="", model="", indicator="a",
                    group="all", category="")  # fmt: skip
        self.__dict__.update({**base, **kw})


@pytest.mark.parametrize(
    ("cur", "r", "expected"),
    [
        (fp(waves__2024="c"), Row(wave="2024"), "new_data"),
        (fp(waves__2022="B"), Row(), "revised_data"),
        (fp(waves__2018="A"), Row(), "unexplained"),  # another wave's data
        (fp(waves__2018="A"), Row(table="changes", wave_from="2018"), "revised_data"),
        (fp(method__indicators="M"), Row(), "method_change"),
        (fp(method__maps="P"), Row(), "unexplained"),  # the maps' config moves no share
        (fp(method__maps="P"), Row(table="counties"), "method_change"),
        (fp(method__model_cloud="C"), Row(), "unexplained"),
        (fp(code__sha256="y"), Row(), "method_change"),
        (fp(waves__2018="A"), Row(table="predictions", model="cloud"), "revised_data"),
        (fp(waves__2024="c"), Row(table="coefficients", model="cloud", wave=""), "new_data"),
        (FP, Row(), "unexplained"),
        # a composite's axes are split at the reference wave's medians
        ({**fp(waves__2018="A"), "reference_wave": 2018}, Row(table="composites"), "revised_data"),
        ({**fp(waves__2018="A"), "reference_wave": 2018}, Row(), "unexplained"),
    ],
)
def test_the_reason_comes_from_what_changed_since_the_release(cur, r, expected):
    cur = json.loads(json.dumps(cur).replace("model_cloud", "model:cloud"))
    assert F.method_keys("predictions", "cloud") == ["model:cloud"]
    assert R.reason(r, FP, cur, [])[0] == expected


def test_a_model_formula_is_a_method_change_for_that_model_only():
    cur = fp()
    cur["method"]["model:cloud"] = "C"
    assert R.reason(Row(table="predictions", model="cloud"), FP, cur, [])[0] == "method_change"
    assert R.reason(Row(table="predictions", model="other"), FP, cur, [])[0] == "unexplained"


def test_a_declared_correction_names_its_note():
    corr = [{"table": "shares", "indicator": "a", "wave": 2022, "note": "coding error"}]
    assert R.reason(Row(), FP, fp(waves__2022="B"), corr) == ("correction", "coding error")
    assert R.reason(Row(wave="2018"), FP, fp(waves__2018="A"), corr)[0] == "revised_data"
    # a new wave is new data, whatever is declared
    assert R.reason(Row(wave="2024"), FP, fp(waves__2024="c"), corr)[0] == "new_data"


def test_revisions_have_the_published_columns():
    before = shares(("a", 2022, "all", True, 0.5, ""))
    after = shares(("a", 2022, "all", True, 0.6, ""))
    out = R.revisions({"shares": before}, {"shares": after}, FP, fp(waves__2022="B"))
    assert {"table", "indicator", "wave", "group", "weighted", "previous", "current",
            "change", "reason"} <= set(out.columns)  # fmt: skip
    assert out[["weighted", "reason"]].values.tolist() == [["true", "revised_data"]]
    assert list(R.empty().columns) == list(out.columns)


def test_revisions_read_back_as_written(tmp_path):
    before = shares(("a", 2022, "all", True, 0.5, ""), ("b", 2022, "07", False, 0.5, ""))
    after = shares(("a", 2022, "all", True, 0.6, ""), ("b", 2022, "07", False, None, ":"))
    out = R.revisions({"shares": before}, {"shares": after}, FP, fp(waves__2022="B"))
    out.to_csv(tmp_path / "revisions.csv", index=False)
    back = R.read_revisions(tmp_path / "revisions.csv")
    assert back.wave.tolist() == ["2022", "2022"] and back.group.tolist() == ["all", "07"]
    assert back.weighted.tolist() == ["true", "false"]
    assert back.previous.tolist()[0] == 0.5 and pd.isna(back.previous.iloc[1])


# ------------------------------------------------------------------------- release rules
def rule(**kw):
    return {"id": "r", "action": "fail", "tables": ["shares"], **kw}


def test_range_rule():
    t = {"shares": shares(("a", 2018, "all", False, 0.5, ""), ("b", 2018, "all", False, 1.2, ""))}
    res = C.evaluate(t, None, [rule(rule="range", min=0, max=1)], 3).iloc[0]
    assert (res.checked, res.violations, res.result) == (2, 1, "fail")
    assert "shares/b/2018/all" in res.examples
    with pytest.raises(C.ReleaseCheckError, match="release check 'r' .*shares/b/2018/all"):
        C.raise_on_failure(C.evaluate(t, None, [rule(rule="range")], 3))
    ok = C.evaluate(t, None, [rule(rule="range", skip={"indicator": ["b"]})], 3)
    assert ok.result.tolist() == ["pass"]


def test_parts_sum_rule_on_distributions():
    rows = [(f"d_{k}", 2018, "all", False, v, "") for k, v in enumerate([0.2, 0.3, 0.5], 1)]
    good = {"shares": shares(*rows)}
    bad = {"shares": shares(*rows[:2], ("d_3", 2018, "all", False, 0.45, ""))}
    r = rule(rule="parts_sum", parts="indicator_suffix", total=1)
    assert C.evaluate(good, None, [r], 3).result.tolist() == ["pass"]
    res = C.evaluate(bad, None, [r], 3).iloc[0]
    assert (res.checked, res.violations) == (1, 1) and "0.95" in res.examples


def test_total_within_parts_rule_warns():
    t = shares(("a", 2018, "s", False, 0.2, ""), ("a", 2018, "l", False, 0.4, ""),
               ("a", 2018, "all", False, 0.45, ""))  # fmt: skip
    res = C.evaluate({"shares": t}, None, [rule(rule="total_within_parts", action="warn")], 3)
    assert res[["violations", "result"]].values.tolist() == [[1, "warn"]]
    C.raise_on_failure(res)  # a warning does not stop the build
    t.loc[2, "value"] = 0.3
    res = C.evaluate({"shares": t}, None, [rule(rule="total_within_parts")], 3)
    assert res.result.tolist() == ["pass"]


def test_change_limit_rule_reads_the_revisions():
    before = shares(("a", 2022, "all", False, 0.5, ""), ("b", 2022, "all", False, 0.5, ""))
    after = shares(("a", 2022, "all", False, 0.65, ""), ("b", 2022, "all", False, 0.55, ""))
    rev = R.revisions({"shares": before}, {"shares": after}, FP, fp(waves__2022="B"))
    res = C.evaluate({}, rev, [rule(rule="change_limit", max_change=0.1)], 3).iloc[0]
    assert (res.checked, res.violations) == (2, 1)
    assert "shares/a/2022/all: 0.5 -> 0.65 (revised_data)" in res.examples


# ------------------------------------------------------------------------------ freezing
def build(tmp_path, value=0.5):
    built_results = tmp_path / "built_results"
    (built_results / "public" / "tables").mkdir(parents=True)
    (built_results / "release").mkdir(parents=True)
    digests = {}
    for name in Z.TABLES:
        path = built_results / "public" / "tables" / f"{name}.csv"
        shares(("a", 2022, "all", False, value, "")).assign(table=name).to_csv(path, index=False)
        digests[name] = Z.sha256_file(path)
    (built_results / "release" / "fingerprint.json").write_text(
        json.dumps({**FP, "tables": digests})
    )
    (built_results / "provenance.json").write_text(json.dumps({"config": {"seed": 7}}))
    return built_results


def test_freeze_writes_the_tables_and_a_manifest(tmp_path):
    built_results = build(tmp_path)
    dest = Z.freeze(built_results, tmp_path / "releases", "v1", root=tmp_path)
    manifest = json.loads((dest / "manifest.json").read_text())
    assert manifest["version"] == "v1" and manifest["config"] == {"seed": 7}
    assert manifest["fingerprint"]["waves"] == FP["waves"]
    assert set(manifest["files"]) == {f"tables/{n}.csv" for n in Z.TABLES}
    for rel, digest in manifest["files"].items():
        assert Z.sha256_file(dest / rel) == digest
    assert manifest["code"]["version"] and len(manifest["code"]["sha256"]) == 64
    rel = Z.latest(tmp_path / "releases")
    assert rel["version"] == "v1"
    assert Z.read_release(rel)["shares"].value.tolist() == [0.5]
    with pytest.raises(Z.ReleaseError, match="release 'v1' exists"):
        Z.freeze(built_results, tmp_path / "releases", "v1", root=tmp_path)


def test_freeze_refuses_tables_the_comparison_did_not_see(tmp_path):
    built_results = build(tmp_path)
    shares(("a", 2022, "all", False, 0.9, "")).to_csv(
        built_results / "public" / "tables" / "shares.csv", index=False
    )
    with pytest.raises(Z.ReleaseError, match="shares.csv: changed since the build"):
        Z.freeze(built_results, tmp_path / "releases", "v1", root=tmp_path)
    assert not (tmp_path / "releases" / "v1").exists()


def test_latest_release_and_a_tampered_file(tmp_path):
    Z.freeze(build(tmp_path / "a"), tmp_path / "releases", "v1", root=tmp_path)
    Z.freeze(build(tmp_path / "b", 0.6), tmp_path / "releases", "v2", root=tmp_path)
    m = tmp_path / "releases" / "v1" / "manifest.json"
    old = json.loads(m.read_text())
    m.write_text(json.dumps({**old, "created_utc": "2000-01-01T00:00:00+00:00"}))
    assert Z.latest(tmp_path / "releases")["version"] == "v2"
    assert Z.latest(tmp_path / "releases", "v1")["version"] == "v1"
    with pytest.raises(Z.ReleaseError, match="no release 'v9'"):
        Z.latest(tmp_path / "releases", "v9")
    (tmp_path / "releases" / "v2" / "tables" / "shares.csv").write_text("x\n")
    with pytest.raises(Z.ReleaseError, match="not the file release v2 recorded"):
        Z.read_release(Z.latest(tmp_path / "releases"))


# --------------------------------------------------------------------------- fingerprints
def test_a_wave_hash_moves_with_its_own_rows_only(panel):
    before = F.wave_hashes(panel)
    edited = panel.copy()
    i = edited.index[(edited.year == 2022) & edited.responded][0]
    edited.loc[i, "has_strategy"] = 1 - edited.loc[i, "has_strategy"]
    after = F.wave_hashes(edited)
    assert [w for w in before if before[w] != after[w]] == ["2022"]
    assert F.wave_hashes(panel.sample(frac=1, random_state=1)) == before  # row order


def test_a_formula_edit_moves_only_its_models_method_hash(settings):
    before = F.method_hashes(settings)
    models = [dict(m) for m in settings.models]
    target = models[0]["id"]
    models[0]["formula"] += " + log_population"
    after = F.method_hashes(dataclasses.replace(settings, models=models))
    assert [k for k in before if before[k] != after[k]] == [f"model:{target}"]
    # a label edit moves no number, so no hash
    groups = [dict(g, nb=g["nb"] + "!") for g in settings.size_groups]
    assert F.method_hashes(dataclasses.replace(settings, size_groups=groups)) == before


# ------------------------------------------------------------------------------- report
def write_revisions(built_results, release, rev):
    (built_results / "release").mkdir(exist_ok=True)
    (built_results / "release" / "summary.json").write_text(
        json.dumps({"release": release, "created_utc": "2026-12-01T10:00:00+00:00"})
    )
    (built_results / "public").mkdir(exist_ok=True)
    (R.empty() if rev is None else rev).to_csv(
        built_results / "public" / "revisions.csv", index=False
    )


def test_the_section_says_when_there_is_no_release(results):  # noqa: F811
    from digikom.sections import revisions

    write_revisions(results, None, None)
    text = revisions.render(Report(results))
    assert text.startswith("# Revisjoner")
    assert "ingen tidligere utgivelse" in text


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_the_section_lists_revisions_and_never_a_hidden_value(results, lang):  # noqa: F811
    from digikom.sections import revisions

    before = shares(("has_strategy", 2022, "small", False, 0.5, ""),
                    ("cloud_use", 2022, "small", False, 0.123, ""))  # fmt: skip
    after = shares(("has_strategy", 2022, "small", False, 0.625, ""),
                   ("cloud_use", 2022, "small", False, None, ":"))  # fmt: skip
    rev = R.revisions({"shares": before}, {"shares": after}, FP, fp(waves__2022="B"))
    write_revisions(results, "2026-12-01-abc", rev)
    text = revisions.render(Report(results, lang=lang))
    pct = "50,0" if lang == "nb" else "50.0"
    assert pct in text and ("62,5" if lang == "nb" else "62.5") in text
    assert "12,3" not in text and "12.3" not in text  # the value now hidden is not shown
    assert "2026\\-12\\-01\\-abc" in text  # the release's version, escaped for Markdown
    assert ("reviderte data" if lang == "nb" else "revised data") in text
    assert "revised_data" not in text and "has_strategy" not in text
    assert ("andeler og gjennomsnitt: 2" if lang == "nb" else "shares and means: 2") in text


# ------------------------------------------------------------------------- the rule
class Inputs(dict):
    """A job's input as Snakemake gives it: by name and as attributes."""

    __getattr__ = dict.__getitem__


def job(tmp_path, panel, checks):
    """A stand-in for rule revisions' job, with two cells per public table (one out of
    [0, 1]) and no earlier release."""
    from types import SimpleNamespace

    panel_csv = tmp_path / "panel.csv"
    panel.to_csv(panel_csv, index=False)
    inputs = Inputs(panel=str(panel_csv), manifest=[])
    for name in Z.TABLES:
        path = tmp_path / f"{name}.csv"
        cells = shares(("a", 2022, "all", False, 0.5, ""), ("b", 2022, "all", False, 1.5, ""))
        cells.assign(table=name).to_csv(path, index=False)
        inputs[name] = str(path)
    out = tmp_path / "out"
    return SimpleNamespace(
        input=inputs,
        output=SimpleNamespace(
            revisions=str(out / "revisions.csv"),
            checks=str(out / "checks.csv"),
            fingerprint=str(out / "fingerprint.json"),
            summary=str(out / "summary.json"),
        ),
        params=SimpleNamespace(
            fingerprint={"method": FP["method"], "decimals": 3},
            release={"corrections": [], "checks": checks},
        ),
    )


def test_a_failing_rule_stops_the_job_and_writes_nothing(tmp_path, panel):
    from digikom.rules.release import revisions

    j = job(tmp_path, panel, [rule(rule="range", tables=["shares"])])
    with pytest.raises(C.ReleaseCheckError, match="release check 'r' \\(range\\) failed"):
        revisions(j)
    assert not (tmp_path / "out").exists()
    # as a warning: every output, no revisions without a release
    j.params.release["checks"][0]["action"] = "warn"
    revisions(j)
    assert pd.read_csv(j.output.checks).result.tolist() == ["warn"]
    assert pd.read_csv(j.output.revisions).empty
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["release"] is None
    fp_out = json.loads((tmp_path / "out" / "fingerprint.json").read_text())
    assert set(fp_out["waves"]) == {str(w) for w in sorted(set(panel.year))}
    assert set(fp_out["tables"]) == set(Z.TABLES)
