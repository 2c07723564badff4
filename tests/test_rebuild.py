"""A second cold build, interrupted with Ctrl-C and completed, is byte-identical to the
first (the `built` fixture). In a file of its own, so that pytest-xdist can run it beside
the other long files (make test sends each file to one worker)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from digikom.provenance import RUN_METADATA_FIELDS
from workflow_utils import copy_repo, env_for, hash_tree, planned_jobs, run_snakemake, snakemake_cmd

# the PDF's creation dates (the Quarto path's typst stamps the build time)
PDF_DATES = re.compile(rb"D:\d{14}Z|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:\d{2})")
# The PDF's document id (XMP and trailer): typst derives it per build unless the timestamp
# is fixed, which the offline typst stand-in under Quarto does not do (docs/reproducibility.md).
PDF_IDS = re.compile(rb"(?:DocumentID>|InstanceID>)[^<]*<|/ID \[\([^)]*\) \([^)]*\)\]")


def _drop(obj: dict, dotted: str) -> None:
    *head, last = dotted.split(".")
    for key in head:
        obj = obj.get(key, {})
    if isinstance(obj, dict):
        obj.pop(last, None)


def normalised(path: Path) -> bytes:
    """File bytes with the run-metadata fields of provenance.json removed (the only
    documented difference between two builds, docs/reproducibility.md)."""
    data = path.read_bytes()
    if path.name == "provenance.json":
        doc = json.loads(data)
        for f in RUN_METADATA_FIELDS:
            _drop(doc, f)
        return json.dumps(doc, sort_keys=True).encode()
    if path.suffix == ".pdf":
        return PDF_DATES.sub(b"<date>", PDF_IDS.sub(b"<id>", data))
    return data


def differing(a: Path, b: Path) -> list[str]:
    ha, hb = hash_tree(a), hash_tree(b)
    diff = sorted(set(ha) ^ set(hb))
    for rel in sorted(set(ha) & set(hb)):
        if ha[rel] != hb[rel] and normalised(a / rel) != normalised(b / rel):
            diff.append(rel)
    return diff


def results_of(wd: Path) -> Path:
    return wd / "results"


def leftover_temp_files(root: Path) -> list[Path]:
    return [
        p
        for p in root.rglob(".*")
        if p.is_file() and p.name.endswith((".tmp", ".csv", ".png", ".svg", ".pdf", ".html"))
    ]


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
def test_interrupted_second_build_completes_byte_identical_to_the_first(request, tmp_path):
    """A second build in a fresh copy, interrupted with Ctrl-C while the models are fitted
    and completed with the default profile (as `make report` runs it), leaves no stale
    files, and every file under results/ is byte-identical to the first build's (the
    `built` fixture), apart from provenance.json's run metadata (strict: model JSONs, the
    HTML and the PDF included). (One second build serves both the reproducibility and the
    interrupt check: each is a full cold build with the simulation study. It also covers
    a forced rebuild of the models stage: the same jobs in new processes.) The build starts
    at once; the first build is asked for only to compare (another worker may be making it
    meanwhile: tests/conftest.py shared_dir)."""
    wd = copy_repo(tmp_path / "interrupt")  # as `built` runs it
    proc = subprocess.Popen(
        snakemake_cmd(wd),
        cwd=wd,
        env=env_for(wd),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # A CI runner may start us in the background, where SIGINT is ignored and the
        # child would inherit that: give Snakemake the default disposition, as in a terminal.
        preexec_fn=_default_sigint,
    )
    deadline = time.time() + 300
    # interrupt while the model fits run (after the panel, before the report)
    while time.time() < deadline and not list((wd / "logs/models").glob("fit_*.log")):
        time.sleep(0.1)
    # Ctrl-C as a user presses it: again until Snakemake has stopped (under load a single
    # signal can arrive while Snakemake is between jobs and be handled late).
    out = ""
    for _ in range(240):
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=0.5)
            break
        except subprocess.TimeoutExpired:
            continue
    assert proc.returncode != 0, out[-2000:]
    assert not (wd / "results/report/report.nb.pdf").exists()
    # Snakemake marked the interrupted jobs' outputs incomplete: a plain re-run refuses ...
    plain = run_snakemake(wd)
    assert plain.returncode != 0 and "IncompleteFilesException" in plain.stdout + plain.stderr
    # ... and the default profile (rerun-incomplete: true) rebuilds them and completes
    run_snakemake(wd, "--workflow-profile", "workflow/profiles/default", check=True, timeout=1800)
    assert planned_jobs(wd) == {}
    assert leftover_temp_files(wd / "results") == []
    # ... with exactly the files of the first build
    built = request.getfixturevalue("built")
    first, second = results_of(built), results_of(wd)
    assert hash_tree(first).keys() == hash_tree(second).keys()
    assert differing(first, second) == []
    raw = hash_tree(first), hash_tree(second)
    renderer = json.loads((first / "provenance.json").read_text())["renderer"]
    # the offline Quarto's typst stand-in stamps the build time into the PDF (normalised)
    allowed = {"provenance.json"} | (
        {f"report/{p.name}" for p in (first / "report").glob("*.pdf")}
        if renderer == "quarto"
        else set()
    )
    assert {k for k in raw[0] if raw[0][k] != raw[1][k]} <= allowed
    # the models' fitting times differ between the builds: they are in the logs only
    for log in sorted((wd / "logs/models").glob("fit_*.log")):
        assert re.search(r"status \w+, n=\d+, \d+\.\d\d s$", log.read_text("utf-8"), re.M), log
