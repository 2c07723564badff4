"""Code as an input: each rule declares the package modules its script runs
(digikom.codedeps), so editing a module re-runs exactly the rules whose code uses it."""

from __future__ import annotations

import json
import os
import re
import textwrap
from pathlib import Path

import pytest
from digikom import codedeps
from digikom.codedeps import cached_code_files, code_files
from workflow_utils import REPO, from_built, planned_jobs


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))


def names(files: list[str], root: Path) -> list[str]:
    return sorted(Path(f).relative_to(root).as_posix() for f in files)


def test_follows_functions_not_whole_hub_modules(tmp_path):
    pkg = tmp_path / "scripts"
    write(
        pkg,
        {
            "digikom/__init__.py": "",
            "digikom/io.py": "import os\n",
            "digikom/a.py": "from .io import os\n",
            "digikom/b.py": "X = 1\n",
            "digikom/unused.py": "",
            "digikom/stages.py": """
                from . import a
                def helper():
                    from .b import X
                    return X
                def first():
                    return helper()
                def second():
                    from . import unused
            """,
            "rule1.py": "from digikom.stages import first\nfirst()\n",
            "rule2.py": "from digikom.stages import second\n",
        },
    )
    got = names(code_files([pkg / "rule1.py"], pkg), pkg)
    assert got == [
        "digikom/__init__.py",
        "digikom/a.py",
        "digikom/b.py",  # via helper(), which first() calls
        "digikom/io.py",
        "digikom/stages.py",
    ]
    got2 = names(code_files([pkg / "rule2.py"], pkg), pkg)
    assert "digikom/unused.py" in got2 and "digikom/b.py" not in got2


def _new_process():
    """Forget what this process read (a Snakemake start is a new process)."""
    for f in (codedeps._index, codedeps._requirements, codedeps._tree_key, codedeps._read_cache):
        f.cache_clear()


def test_kept_answers_are_code_files_own_until_a_file_changes(tmp_path):
    pkg, cache = tmp_path / "scripts", tmp_path / ".snakemake/digikom/codedeps.json"
    write(pkg, {"digikom/__init__.py": "", "digikom/a.py": "X = 1\n", "digikom/b.py": "",
                "rule.py": "from digikom.a import X\n"})  # fmt: skip
    rule = [pkg / "rule.py"]
    _new_process()
    want = code_files(rule, pkg)
    assert cached_code_files(rule, pkg, cache) == want and cache.exists()
    _new_process()
    kept = json.loads(cache.read_text())
    assert list(kept["answers"].values()) == [["digikom/__init__.py", "digikom/a.py"]]
    calls = []
    real = codedeps.code_files
    codedeps.code_files = lambda *a: calls.append(a) or real(*a)
    try:
        assert cached_code_files(rule, pkg, cache) == want and calls == []  # read, not computed
        # an edit to any module: computed again, and the new import is seen
        (pkg / "digikom/a.py").write_text("from . import b\nX = 1\n")
        _new_process()
        got = cached_code_files(rule, pkg, cache)
        assert len(calls) == 1 and names(got, pkg)[-1] == "digikom/b.py"
        # a corrupt cache: computed again, and replaced
        cache.write_text("{not json")
        _new_process()
        assert cached_code_files(rule, pkg, cache) == got and len(calls) == 2
        assert json.loads(cache.read_text())["answers"]
    finally:
        codedeps.code_files = real
    # a place it cannot write to (a file where its directory would be): the answer all the
    # same (root may write to read-only directories, so not tested that way)
    (tmp_path / "a_file").write_text("")
    _new_process()
    assert cached_code_files(rule, pkg, tmp_path / "a_file/codedeps.json") == got


def test_module_split_into_a_package_is_followed(tmp_path):
    pkg = tmp_path / "scripts"
    write(
        pkg,
        {
            "digikom/__init__.py": "",
            "digikom/models/__init__.py": "from .fit import run_fit\n",
            "digikom/models/fit.py": "from ..io import write\nfrom . import specs\n",
            "digikom/models/specs.py": "",
            "digikom/models/extra.py": "",
            "digikom/io.py": "",
            "fit_model.py": "from digikom.models import run_fit\n",
            "report.qmd": "---\ntitle: x\n---\n\n```{python}\n#| label: a\n"
            "from digikom.models import extra\n```\n",
        },
    )
    got = names(code_files([pkg / "fit_model.py"], pkg), pkg)
    assert got == [
        "digikom/__init__.py",
        "digikom/io.py",
        "digikom/models/__init__.py",
        "digikom/models/fit.py",
        "digikom/models/specs.py",
    ]
    assert "digikom/models/extra.py" in names(code_files([pkg / "report.qmd"], pkg), pkg)


# --------------------------------------------------------------------------- workflow


@pytest.fixture(scope="module")
def up_to_date_copy(built, tmp_path_factory) -> Path:
    """A copy of the built run (every output present and up to date), so a dry run shows
    only what an edit makes Snakemake re-run."""
    wd = from_built(built, tmp_path_factory.mktemp("codedeps"))
    assert planned_jobs(wd) == {}
    return wd


def module_file(wd: Path, module: str) -> Path:
    base = wd / "scripts" / Path(*module.split("."))
    return base.with_suffix(".py") if base.with_suffix(".py").exists() else base / "__init__.py"


# Everything downstream of a model or figure re-runs too (the report and its records).
REPORT = {"report", "all"}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("module", "expected"),
    [
        # the rules importing the module, then what reads their outputs
        (
            "digikom.models.fit",
            {"fit_model", "collect_models", "robustness"}
            | {"public_model", "public_models", "plot_model", "plot_predictions"}
            | {"revisions"}  # the public tables are compared with the latest release
            | REPORT,
        ),
        ("digikom.model_plots", {"plot_model", "plot_predictions"} | REPORT),
        (
            "digikom.figures",
            {"indicator_figures", "replication_figure", "plot_model", "plot_predictions"}
            | {"map_figures"}
            | REPORT,
        ),
        # the scorecard feeds the replication figure, the charts of SSB's published
        # figures (indicator_figures) and the simulation's validation checks
        (
            "digikom.replication",
            {"scorecard", "replication_figure", "indicator_figures"}
            | {"simulation_validation", "simulation_recovery"}
            | REPORT,
        ),
        # the simulation study (its own estimator, digikom.study_fit: the study does not
        # re-run when the report's fitting code changes; tests/test_simulation.py checks
        # that both give the same numbers)
        (
            "digikom.simulation",
            {"simulation_cuts", "simulate_model", "simulation_validation"}
            | {"simulation_recovery"}
            | REPORT,
        ),
        ("digikom.report", {"report", "all"}),
    ],
)
def test_editing_a_module_reruns_exactly_the_rules_using_it(up_to_date_copy, module, expected):
    wd = up_to_date_copy
    path = module_file(wd, module)
    original, times = path.read_bytes(), path.stat()
    try:
        path.write_bytes(original + b"\n# an edit\n")
        assert set(planned_jobs(wd)) == expected
    finally:
        # up to date again for the next case: the same bytes and file times as before
        path.write_bytes(original)
        # (the next case's exact set of jobs would show a restore that failed)
        os.utime(path, ns=(times.st_atime_ns, times.st_mtime_ns))


def test_every_rule_with_a_script_declares_its_code():
    text = "\n".join(p.read_text() for p in (REPO / "workflow/rules").glob("*.smk"))
    for block in re.split(r"\n(?=\s*rule \w+:)", text):
        if "script:" in block:
            name = re.search(r"rule (\w+):", block).group(1)
            assert re.search(r"\bcode=code\(", block), f"rule {name} declares no code input"
