"""Reliability: precise rerun triggers, safe failure (no partial output, logs naming the
cause), read-only/full disks, missing fonts, config schema errors, fuzzed readers, the
SLURM profile and the bootstrap switch. (Reproducible bytes and interrupts:
tests/test_rebuild.py.)

Whole-workflow tests are marked ``slow``; they run in temporary copies of the repository
(tests/workflow_utils.py) and never touch the working tree's results/."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from digikom import bootstrap as B
from digikom import io as dio
from digikom import panel as P
from digikom.errors import DigikomError, RenderError, StatbankError
from digikom.fonts import check_fonts, fonts_in_typst, raise_on_font_warnings
from digikom.models.spec import resolve_spec
from digikom.statbank.jsonstat import loads_jsonstat2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from workflow_utils import (
    copy_repo,
    from_built,
    planned_jobs,
    run_snakemake,
    scenario_config,
)

# --------------------------------------------------------------------------- helpers


def tmpfs(path: Path, size: str, readonly: bool = False) -> bool:
    """Mount a tmpfs at ``path`` (root only); False when the machine does not allow it."""
    path.mkdir(parents=True, exist_ok=True)
    opts = f"size={size}" + (",ro" if readonly else "")
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], capture_output=True, check=False
    )
    return proc.returncode == 0


def umount(path: Path) -> None:
    subprocess.run(["umount", str(path)], capture_output=True, check=False)


# --------------------------------------------------------------------------- atomic writes


def test_write_csv_failing_after_temp_written_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "out" / "table.csv"
    dio.write_csv(pd.DataFrame({"a": [1]}), target)
    before = target.read_bytes()

    real_to_csv = pd.DataFrame.to_csv

    def half_then_fail(self, path, *args, **kwargs):
        real_to_csv(self.head(1), path, *args, **kwargs)  # temp file is on disk now
        assert Path(path).exists() and Path(path).name.startswith(".")  # beside the target
        raise RuntimeError("injected failure after the temp file was written")

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_then_fail)
    with pytest.raises(RuntimeError, match="injected"):
        dio.write_csv(pd.DataFrame({"a": range(100)}), target)
    assert target.read_bytes() == before  # old output untouched, never half-written
    assert sorted(p.name for p in target.parent.iterdir()) == ["table.csv"]

    new = tmp_path / "out" / "new.csv"
    with pytest.raises(RuntimeError):
        dio.write_csv(pd.DataFrame({"a": range(100)}), new)
    assert not new.exists()
    assert sorted(p.name for p in target.parent.iterdir()) == ["table.csv"]


def test_disk_full_raises_enospc_and_leaves_nothing(tmp_path, monkeypatch):
    mnt = tmp_path / "tiny"
    mounted = os.geteuid() == 0 and tmpfs(mnt, "64k")
    try:
        if not mounted:  # no tmpfs: simulate the write failing with ENOSPC

            def full(self, *args, **kwargs):
                raise OSError(errno.ENOSPC, "No space left on device")

            mnt.mkdir(exist_ok=True)
            monkeypatch.setattr(pd.DataFrame, "to_csv", full)
        big = pd.DataFrame({"x": np.arange(200_000), "y": "abcdefghij"})
        with pytest.raises(OSError) as info:
            dio.write_csv(big, mnt / "big.csv")
        assert info.value.errno == errno.ENOSPC
        assert str(info.value) == f"disk full while writing {mnt / 'big.csv'}"  # one line
        assert list(mnt.iterdir()) == []  # neither the file nor its temp file
    finally:
        if mounted:
            umount(mnt)


class _FakeSnakemake:
    """The parts of the ``snakemake`` object of a rule script that run_rule uses."""

    def __init__(self, tmp_path: Path, outputs: list[str]):
        from snakemake.iocontainers import InputFiles, Log, OutputFiles, Params

        self.rule = "report"
        self.log = Log([str(tmp_path / "logs/report.log")])
        self.input = InputFiles([])
        self.params = Params([])
        self.output = OutputFiles(outputs)


@pytest.mark.parametrize(
    "failure",
    [
        # what pandoc says when the disk fills while it writes the HTML (via RenderError)
        RenderError(
            "pandoc --standalone --toc --embed-resources -o results/report/.report.html.x.tmp "
            "failed: pandoc: results/report/.report.html.x.tmp: withBinaryFile: "
            "resource exhausted (No space left on device)"
        ),
        OSError(errno.ENOSPC, "No space left on device"),  # a raw write in a library
    ],
)
def test_disk_full_in_a_rule_is_one_line(tmp_path, capsys, failure):
    smk = _FakeSnakemake(tmp_path, ["results/report/report.html", "results/report/report.pdf"])

    def render():
        raise failure

    with pytest.raises(SystemExit) as info:
        dio.run_rule(smk, render)
    assert info.value.code == 1
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert err == ["ERROR: disk full while writing results/report/"]
    logged = (tmp_path / "logs/report.log").read_text(encoding="utf-8")
    assert "ERROR digikom: disk full while writing results/report/" in logged


def test_rule_console_is_one_progress_line(tmp_path, capsys):
    smk = _FakeSnakemake(tmp_path, ["results/x.csv"])

    def work():
        import logging

        logging.getLogger("digikom.panel").info("detail for the log")
        logging.getLogger("digikom.panel").warning("repaired 1 kommunenr")
        logging.getLogger("py.warnings").warning("a library warning")

    dio.run_rule(smk, work)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and re.fullmatch(r"done  report  \(\d+\.\d s\)", err[0]), err
    logged = (tmp_path / "logs/report.log").read_text(encoding="utf-8")
    assert "detail for the log" in logged and "params: {}" in logged
    assert "repaired 1 kommunenr" in logged and "a library warning" in logged


def test_warning_summary_once_per_message_since_run_start(tmp_path):
    logs = tmp_path / "logs"
    (logs / "models").mkdir(parents=True)
    msg = "SpecificationWarning: robust covariance with weights is approximate"
    for i, model in enumerate(["cloud", "services"]):
        (logs / f"models/fit_{model}.log").write_text(
            f"2026-01-01 10:00:0{i},1 INFO digikom: rule fit_model\n"
            f"2026-01-01 10:00:0{i},2 WARNING digikom.models: model {model}: {msg}\n"
            f"2026-01-01 10:00:0{i},3 WARNING py.warnings: a library warning\n"
        )
    (logs / "old.log").write_text("2026-01-01 09:00:00,0 WARNING digikom: from an old run\n")
    os.utime(logs / "old.log", (1, 1))
    assert dio.warning_summary(logs, since=1000) == [
        f"Warning: model cloud, services: {msg}",
        "Warning: a library warning",
    ]


# --------------------------------------------------------------------------- fonts


def test_fonts_present_pass_and_missing_font_named():
    avail = check_fonts(["Libertinus Serif", "dejavu sans mono"])  # typst's embedded fonts
    assert "Libertinus Serif" in avail
    with pytest.raises(RenderError, match=r"'Source Sans Pro Nonexistent'") as info:
        check_fonts(["Libertinus Serif", "Source Sans Pro Nonexistent"])
    assert "Libertinus Serif" not in str(info.value).split("Available")[0]


def test_font_only_on_system_is_missing_without_system_fonts():
    system_only = [
        f for f in check_fonts([]) if f not in check_fonts([], include_system_fonts=False)
    ]
    if not system_only:
        pytest.skip("no system fonts on this machine")
    with pytest.raises(RenderError, match=re.escape(repr(system_only[0]))):
        check_fonts([system_only[0]], include_system_fonts=False)


def test_typst_font_declarations_and_warnings(tmp_path):
    import typst

    src = '#set text(font: ("Nope Sans", "Libertinus Serif"))\n#show raw: set text(font: "DejaVu Sans Mono")\nHei'
    assert fonts_in_typst(src) == ["Nope Sans", "Libertinus Serif", "DejaVu Sans Mono"]
    doc = tmp_path / "doc.typ"
    doc.write_text('#set text(font: "Nope Sans", fallback: true)\nHei', encoding="utf-8")
    _, warnings = typst.compile_with_warnings(str(doc))
    with pytest.raises(RenderError, match="nope sans"):
        raise_on_font_warnings(warnings, source=str(doc))
    ok = tmp_path / "ok.typ"
    ok.write_text("Hei", encoding="utf-8")
    raise_on_font_warnings(typst.compile_with_warnings(str(ok))[1])  # no error


# --------------------------------------------------------------------------- fuzzing


@pytest.fixture(scope="module")
def good_csv_text(micro) -> str:
    return micro.head(40).to_csv(index=False, lineterminator="\n")


def _read_validate(path: Path, settings, frames, config):
    raw = P.read_microdata(path)
    P.validate_microdata(raw, settings.codebook, frames, config["waves"], str(path))


FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@FUZZ
@given(data=st.binary(min_size=1, max_size=600))
def test_fuzz_microdata_random_bytes(tmp_path, data, settings, frames, config):
    f = tmp_path / "micro.csv"
    f.write_bytes(data)
    with contextlib.suppress(DigikomError):
        _read_validate(f, settings, frames, config)


csvish = st.text(
    alphabet=st.sampled_from(list("0123456789,;\"\n\r \tabcæø-.'#")), min_size=1, max_size=400
)


@FUZZ
@given(body=csvish, header=st.booleans())
def test_fuzz_microdata_csvish_text(
    tmp_path, body, header, good_csv_text, settings, frames, config
):
    head = good_csv_text.splitlines()[0] + "\n" if header else ""
    f = tmp_path / "micro.csv"
    f.write_text(head + body, encoding="utf-8")
    with contextlib.suppress(DigikomError):
        _read_validate(f, settings, frames, config)


@FUZZ
@given(data=st.data())
def test_fuzz_microdata_shuffled_columns_and_cells(tmp_path, data, micro, settings, frames, config):
    df = micro.head(30).astype(object).copy()
    cols = data.draw(st.permutations(list(df.columns)))
    keep = data.draw(st.integers(min_value=1, max_value=len(cols)))
    df = df[cols[:keep]]
    for _ in range(data.draw(st.integers(0, 6))):
        r = data.draw(st.integers(0, len(df) - 1))
        c = data.draw(st.sampled_from(list(df.columns)))
        df.iat[r, df.columns.get_loc(c)] = data.draw(
            st.one_of(
                st.text(max_size=6),
                st.integers(-(10**12), 10**12),
                st.floats(allow_nan=True, allow_infinity=True),
                st.just(""),
            )
        )
    sep = data.draw(st.sampled_from([",", ";"]))
    f = tmp_path / "micro.csv"
    df.to_csv(f, index=False, sep=sep)
    try:
        _read_validate(f, settings, frames, config)
    except DigikomError as exc:
        assert str(f) in str(exc)  # the message names the file


@FUZZ
@given(data=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_fuzz_jsonstat_bytes_never_raw_error(data):
    # tests/test_jsonstat.py fuzzes parsed JSON objects; this covers the bytes entry point
    try:
        loads_jsonstat2(data, "fuzz")
    except StatbankError as exc:
        assert str(exc).startswith("fuzz: ")


# --------------------------------------------------------------------------- bootstrap


def test_chunk_sizes_split_b():
    assert B.chunk_sizes(10, 4) == [3, 3, 2, 2]
    assert B.chunk_sizes(0, 3) == [0, 0, 0]
    assert sum(B.chunk_sizes(1000, 20)) == 1000


def test_resample_keeps_municipalities_whole(panel):
    sample = B.resample_clusters(panel, B.chunk_rng(1, 0))
    assert len(sample["kommunenr_2024"].unique()) == panel["kommunenr_2024"].nunique()
    # every resampled cluster has all the waves its original has
    orig = panel.groupby("kommunenr_2024")["year"].apply(frozenset)
    for code, g in sample.groupby("kommunenr_2024"):
        assert frozenset(g["year"]) == orig[code.split("#")[0]]


@pytest.fixture(scope="module")
def small_panel(panel):
    return panel[panel["year"].isin([2022, 2024])].reset_index(drop=True)


@pytest.fixture(scope="module")
def cloud_spec(settings):
    return resolve_spec(settings.model("cloud"), settings.codebook)


def test_bootstrap_chunk_reproducible_and_chunks_differ(small_panel, cloud_spec):
    a = B.bootstrap_chunk(small_panel, cloud_spec, seed=7, chunk=0, replicates=3)
    b = B.bootstrap_chunk(small_panel, cloud_spec, seed=7, chunk=0, replicates=3)
    c = B.bootstrap_chunk(small_panel, cloud_spec, seed=7, chunk=1, replicates=3)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["estimate"], c["estimate"])
    assert sorted(a["replicate"].unique()) == [0, 1, 2]


def test_bootstrap_percentile_ci_brackets_point_estimate(small_panel, cloud_spec, settings):
    from digikom.models.fit import fit_model

    point = fit_model(small_panel, cloud_spec, None, 7, True, 0.95).predictions
    reps = pd.concat(
        [
            B.bootstrap_chunk(
                small_panel, cloud_spec, 7, c, n, first_replicate=sum(B.chunk_sizes(20, 2)[:c])
            )
            for c, n in enumerate(B.chunk_sizes(20, 2))
        ],
        ignore_index=True,
    )
    assert reps["replicate"].nunique() == 20
    ci = B.percentile_ci(point, reps, settings.confidence)
    n_pred = int((point["quantity"] == "prediction").sum())
    assert len(ci) == n_pred and (ci["n_replicates"] == 20).all()
    assert (ci["conf_low"] < ci["conf_high"]).all()
    assert ((ci["conf_low"] <= ci["estimate"]) & (ci["estimate"] <= ci["conf_high"])).all()
    # percentile CI of similar width to the delta-method CI (same order of magnitude)
    delta = point[point["quantity"] == "prediction"]
    ratio = (ci["conf_high"] - ci["conf_low"]).median() / (
        delta["conf_high"] - delta["conf_low"]
    ).median()
    assert 0.4 < ratio < 2.5


# --------------------------------------------------------------------------- config and profiles


@pytest.fixture(scope="module")
def copy_for_dry_runs(tmp_path_factory) -> Path:
    return copy_repo(tmp_path_factory.mktemp("dry"))


@pytest.mark.slow
def test_config_failing_schema_names_key_value_and_allowed(copy_for_dry_runs):
    proc = run_snakemake(copy_for_dry_runs, "-n", "--config", "lang=fr")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    # lang must be one of the configured languages (config.yaml `languages`)
    assert "key 'lang': 'fr' is not a configured language (languages: nb, nn, en)" in out
    assert "Job stats" not in out and not re.search(r"^rule \w+:", out, re.M)  # before any job
    assert not (copy_for_dry_runs / "results").exists()


@pytest.mark.slow
def test_bootstrap_switch_off_by_default_and_chunked_when_on(copy_for_dry_runs, tmp_path):
    assert "bootstrap_chunk" not in planned_jobs(copy_for_dry_runs)
    cfg = tmp_path / "boot.yaml"
    cfg.write_text("bootstrap:\n  replicates: 1000\n  chunks: 20\n")
    jobs = planned_jobs(
        copy_for_dry_runs, "results/models/bootstrap_predictions.csv", "--configfile", str(cfg)
    )
    assert jobs["bootstrap_chunk"] == 20 * 5  # chunks x models
    assert jobs["bootstrap_combine"] == 1
    # the nested command-line form reaches rule all (numbers arrive as strings)
    jobs = planned_jobs(copy_for_dry_runs, "--config", "bootstrap={replicates: 10, chunks: 2}")
    assert jobs["bootstrap_chunk"] == 2 * 5 and jobs["bootstrap_combine"] == 1


# --------------------------------------------------------------------------- whole workflow


@pytest.mark.slow
def test_rerun_triggers_config_formula_and_microdata(built, built_microdata, tmp_path):
    md = ("--configfile", scenario_config("microdata"))
    wd = from_built(built_microdata, tmp_path / "md")  # this test edits its copy
    assert planned_jobs(wd, *md) == {}  # up to date

    # a config value: figures and report re-run; data, indicators and models do not
    jobs = planned_jobs(from_built(built, tmp_path / "en"), "--config", "lang=en")
    assert {"indicator_figures", "replication_figure", "plot_predictions", "report"} <= set(jobs)
    assert jobs["plot_model"] == 5
    assert not {
        "build_panel",
        "indicators",
        "fit_model",
        "robustness",
        "collect_models",
        "synthesize_microdata",
    } & set(jobs)

    # one model formula: only that model's jobs and what reads them
    models_yaml = wd / "config/models.yaml"
    original = models_yaml.read_text(encoding="utf-8")
    cfg = yaml.safe_load(original)
    for m in cfg["models"]:
        if m["id"] == "strategy":  # not refitted by the robustness table
            m["formula"] += " + log_population"
    models_yaml.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False))
    jobs = planned_jobs(wd, *md)
    assert jobs.get("fit_model") == 1 and jobs.get("plot_model") == 1
    assert {"collect_models", "plot_predictions", "report"} <= set(jobs)
    assert not {"build_panel", "indicators", "robustness", "indicator_figures"} & set(jobs)
    proc = run_snakemake(wd, "-n", *md)
    assert "wildcards: model=strategy" in proc.stdout
    assert "wildcards: model=cloud" not in proc.stdout
    models_yaml.write_text(original, encoding="utf-8")

    # one microdata value: the panel and everything computed from it
    micro = pd.read_csv(wd / "my_microdata.csv", dtype=str, keep_default_na=False)
    i = micro.index[micro["cloud_use"] == "0"][0]
    micro.loc[i, "cloud_use"] = "1"
    micro.to_csv(wd / "my_microdata.csv", index=False)
    jobs = planned_jobs(wd, *md)
    assert {"build_panel", "indicators", "robustness", "indicator_figures", "report"} <= set(jobs)
    assert jobs["fit_model"] == 5
    assert "synthesize_microdata" not in jobs


@pytest.mark.slow
@pytest.mark.parametrize(
    ("edit", "expected", "untouched"),
    [
        # the disclosure threshold: everything that hides cells by it, not the data
        (
            ("config/config.yaml", "min_cell: 3", "min_cell: 5"),
            {"indicator_figures", "map_tables", "map_figures"},
            {"build_panel", "indicators", "fit_model"},
        ),
        # a size group's label: the figures whose axes and legends show it
        (
            ("config/config.yaml", 'nb: "Under 2 000"', 'nb: "Færre enn 2 000"'),
            {"indicator_figures", "map_figures", "plot_model", "plot_predictions"},
            {"build_panel", "indicators", "fit_model", "map_tables"},
        ),
        # an indicator's label: what shows it, not what computes it (Settings.indicator_rules)
        (
            (
                "config/indicators.yaml",
                "nb: Har IKT-/digitaliseringsstrategi,",
                "nb: Har strategi,",
            ),
            {"indicator_figures", "map_figures"},
            {"indicators", "scorecard", "evidence_tables", "simulate_model", "fit_model"},
        ),
        # a model's title and a robustness variant's label: the model figures, not the
        # fits, the robustness refits or the simulation (models.spec.job_spec)
        (
            (
                "config/models.yaml",
                "nb: Bruk av skytjenester etter størrelse og kompetansemangel",
                "nb: Skytjenester",
            ),
            {"plot_model", "plot_predictions"},
            {"fit_model", "robustness", "simulate_model", "simulation_cuts", "indicators"},
        ),
        (
            ("config/models.yaml", "nb: Med frafallsvekter,", "nb: Vektet,"),
            set(),
            {"fit_model", "robustness", "simulate_model", "simulation_cuts", "plot_model"},
        ),
    ],
)
def test_config_values_the_figures_show_rerun_them(built, edit, expected, untouched, tmp_path):
    """Rules that read config.yaml declare what they read as params: before, a new
    min_cell or group label left the indicator figures and maps as they were; an
    indicator label re-ran the indicators and the simulation, a model's title its fit,
    the robustness refits and the simulation."""
    wd = from_built(built, tmp_path / "edited")  # the built run is shared: edit a copy
    path, old, new = edit
    config = wd / path
    original = config.read_text(encoding="utf-8")
    assert original.count(old) == 1
    config.write_text(original.replace(old, new), encoding="utf-8")
    jobs = planned_jobs(wd)
    assert expected | {"report"} <= set(jobs), jobs
    assert not untouched & set(jobs), jobs


def test_a_failed_render_leaves_the_previous_report_and_records(tmp_path, monkeypatch):
    """The report job writes provenance.json and context.json after the report: a render
    that fails leaves the previous report and its records as they were."""
    from digikom import report_render

    repo = Path(__file__).resolve().parents[1]
    config = yaml.safe_load((repo / "config/config.yaml").read_text(encoding="utf-8"))
    monkeypatch.chdir(repo)  # the config's file paths are relative to the repository
    out = {k: tmp_path / f"report.nb.{k}" for k in ("html", "pdf", "provenance", "context")}
    for path in out.values():
        path.write_text("previous\n")

    def broken(*args, **kwargs):
        raise RenderError("typst could not compile report.typ: boom")

    monkeypatch.setattr(report_render, "render", broken)
    with pytest.raises(RenderError, match="boom"):
        report_render.render_report(
            "reports/report.qmd", [], config, config["files"]["targets"], "results", "nb",
            "pandoc", out,
        )  # fmt: skip
    assert {k: p.read_text() for k, p in out.items()} == dict.fromkeys(out, "previous\n")


@pytest.mark.slow
def test_corrupt_microdata_fails_without_partial_panel_and_log_names_file(tmp_path):
    wd = copy_repo(tmp_path / "corrupt")
    bad = wd / "corrupt.csv"
    bad.write_bytes(b"kommunenr,year,cloud_use\n0301,2024,1\n\x00\x01\x02garbage")
    proc = run_snakemake(wd, "results/data/panel.csv", "--config", "microdata=corrupt.csv")
    assert proc.returncode != 0
    assert not (wd / "results/data/panel.csv").exists()
    assert not list((wd / "results").rglob(".panel.csv.*"))
    log = (wd / "logs/data/build_panel.log").read_text(encoding="utf-8")
    assert "InputDataError" in log and "corrupt.csv" in log
    assert "corrupt.csv" in proc.stderr + proc.stdout  # shown by show-failed-logs


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["readonly", "full"])
def test_readonly_or_full_results_dir_fails_clearly(tmp_path, fault):
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a tmpfs")
    wd = copy_repo(tmp_path / fault)
    results = wd / "results"
    if not tmpfs(results, "40k", readonly=fault == "readonly"):
        pytest.skip("tmpfs mounts are not allowed here")
    try:
        proc = run_snakemake(wd, "results/data/panel.csv", "--cores", "1")
        out = proc.stdout + proc.stderr
        assert proc.returncode != 0
        expect = "Read-only file system" if fault == "readonly" else "disk full while writing"
        assert expect in out
        assert "Traceback" not in out
        assert not (results / "data/panel.csv").exists()
        assert not [p for p in results.rglob("*") if p.is_file()]  # nothing partial
    finally:
        umount(results)


@pytest.mark.slow
def test_console_fits_one_screen(built, built_console):
    """The console of a build as `make report` runs it (the `built` fixture: the default
    profile) fits on one screen: one line per job, each warning once, ending with the
    report's path."""
    stdout, stderr = built_console
    console = (stdout + stderr).splitlines()
    # one line per job: 48 jobs with the workflow tests' small simulation, since the
    # public stage (a protection job for the tables and one per model) came
    assert len(console) <= 56, "\n".join(console)
    assert max(map(len, console)) <= 240
    jobs = [line for line in console if line.startswith("done  ")]
    n_jobs = sum(1 for p in (built / "logs").rglob("*.log"))
    assert len(jobs) == n_jobs  # one progress line per job (each job has one log)
    warnings = [line for line in console if line.startswith("Warning: ")]
    assert len(warnings) == len(set(warnings))
    assert not [line for line in console if "Shell command" in line or "params:" in line]
    (html,) = (built / "results/report").glob("report*.html")
    assert stdout.strip().splitlines()[-1] == f"Report: results/report/{html.name} (and .pdf)"


# --------------------------------------------------------------------------- failed runs


@pytest.mark.slow
def test_failed_run_leaves_previous_provenance_and_context(tmp_path, micro):
    """A run that fails (bad microdata value) must not rewrite the records of the
    previous report: provenance.json and context.json are written last."""
    wd = copy_repo(tmp_path / "failed")
    records = {
        "results/provenance.json": '{"previous": "run"}\n',
        "results/context.json": '{"previous": "run"}\n',
        "results/report/report.nb.html": "<p>previous report</p>\n",
    }
    for rel, text in records.items():
        (wd / rel).parent.mkdir(parents=True, exist_ok=True)
        (wd / rel).write_text(text)
    bad = micro.head(50).copy()
    bad.loc[bad.index[3], "cloud_use"] = 7  # out of range: build_panel fails
    bad.to_csv(wd / "bad.csv", index=False)
    # cores 4: before the fix, provenance and context ran beside build_panel
    proc = run_snakemake(wd, "--config", "microdata=bad.csv", cores=4)
    assert proc.returncode != 0
    assert "cloud_use" in (wd / "logs/data/build_panel.log").read_text(encoding="utf-8")
    for rel, text in records.items():
        assert (wd / rel).read_text() == text, rel
    assert not (wd / "logs/report").exists()  # no report-stage job started
