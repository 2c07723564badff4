"""The house rules of issue 23, checked by reading the code (no Snakemake run): every rule
script is named after its rule, every rule reads its settings from params only, and no
module of the package grows over 500 lines."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "scripts" / "digikom"
RULE = re.compile(r"^\s*rule (\w+):", re.M)
SCRIPT = re.compile(r"^\s*script:\s*\n\s*\"([^\"]+)\"", re.M)


def _rules_and_scripts() -> list[tuple[str, str]]:
    """(rule, script file name) for every rule with a ``script:`` directive."""
    pairs = []
    for smk in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        text = smk.read_text(encoding="utf-8")
        starts = [(m.start(), m.group(1)) for m in RULE.finditer(text)] + [(len(text), "")]
        for (a, name), (b, _) in zip(starts, starts[1:], strict=False):
            m = SCRIPT.search(text[a:b])
            if m:
                pairs.append((name, Path(m.group(1)).stem))
    return pairs


def test_every_rule_script_is_named_after_its_rule():
    pairs = _rules_and_scripts()
    assert len(pairs) >= 20, pairs  # the parse found the rules
    assert [(r, s) for r, s in pairs if r != s] == []


def test_rule_functions_read_params_not_the_config():
    """No rule entry point reads ``job.config`` or loads the config files itself: what a
    rule needs arrives as params, so editing a setting re-runs the rules that use it."""
    offenders = []
    for path in sorted((PACKAGE / "rules").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "config":
                if isinstance(node.value, ast.Name) and node.value.id == "job":
                    offenders.append(f"{path.name}:{node.lineno} job.config")
            if isinstance(node, ast.Name) and node.id == "load_all":
                offenders.append(f"{path.name}:{node.lineno} load_all")
    assert offenders == []
    # and the check can see what it looks for
    probe = ast.parse("def f(job):\n    return job.config['x']\n")
    assert any(isinstance(n, ast.Attribute) and n.attr == "config" for n in ast.walk(probe))


def test_no_module_over_500_lines():
    sizes = {
        str(p.relative_to(PACKAGE)): len(p.read_text(encoding="utf-8").splitlines())
        for p in PACKAGE.rglob("*.py")
    }
    assert len(sizes) > 30
    assert {k: v for k, v in sizes.items() if v > 500} == {}


def test_the_developer_scripts_call_the_test_helpers_as_they_are_defined():
    """scripts/benchmark*.py import helpers from tests/workflow_utils.py and run only when a
    developer measures: a renamed keyword there broke `make bench` unseen (copy_repo lost
    full_simulation). Every keyword of every such call must be a parameter of the helper."""
    import inspect

    import workflow_utils

    bad = []
    for script in sorted((REPO / "scripts").glob("benchmark*.py")):
        tree = ast.parse(script.read_text(encoding="utf-8"))
        imported = {
            a.asname or a.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "workflow_utils"
            for a in node.names
        }
        assert imported, script.name
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in imported:
                params = inspect.signature(getattr(workflow_utils, node.func.id)).parameters
                takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
                for kw in node.keywords:
                    if kw.arg is not None and kw.arg not in params and not takes_any:
                        bad.append(f"{script.name}:{node.lineno} {node.func.id}({kw.arg}=)")
    assert bad == []


def test_a_copy_has_the_small_simulation_unless_the_shipped_one_is_asked_for(tmp_path):
    import yaml
    from workflow_utils import SMALL_SIMULATION, copy_repo

    shipped = yaml.safe_load((REPO / "config/config.yaml").read_text(encoding="utf-8"))
    small = copy_repo(tmp_path / "small") / "config/config.yaml"
    full = copy_repo(tmp_path / "full", shipped_simulation=True) / "config/config.yaml"
    want = {**shipped["simulation"], **SMALL_SIMULATION}
    assert yaml.safe_load(small.read_text(encoding="utf-8"))["simulation"] == want
    assert yaml.safe_load(full.read_text(encoding="utf-8"))["simulation"] == shipped["simulation"]
