"""The house rules of issues 23 and 36, checked by reading the code (no Snakemake run): every
rule script is named after its rule, every rule reads its settings from params only (the rule
files from the one settings object), no .py under scripts/ grows over 500 lines, and the
package has no import cycle."""

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


def test_no_python_file_over_500_lines_under_scripts():
    """The package, the rule scripts and the developer scripts (benchmark*.py) alike."""
    scripts = REPO / "scripts"
    sizes = {
        str(p.relative_to(scripts)): len(p.read_text(encoding="utf-8").splitlines())
        for p in scripts.rglob("*.py")
    }
    assert len(sizes) > 60 and "benchmark.py" in sizes and "digikom/config.py" in sizes
    assert {k: v for k, v in sizes.items() if v > 500} == {}


def test_the_developer_scripts_call_the_test_helpers_as_they_are_defined():
    """scripts/benchmark*.py import helpers from tests/workflow_utils.py and run only when a
    developer measures: a renamed keyword there broke `make bench` unseen (copy_repo lost
    full_simulation). Every keyword of every such call must be a parameter of the helper."""
    import inspect

    import workflow_utils

    bad = []
    checked = 0
    for script in sorted((REPO / "scripts").glob("benchmark*.py")):
        tree = ast.parse(script.read_text(encoding="utf-8"))
        imported = {
            a.asname or a.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "workflow_utils"
            for a in node.names
        }
        checked += bool(imported)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in imported:
                params = inspect.signature(getattr(workflow_utils, node.func.id)).parameters
                takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
                for kw in node.keywords:
                    if kw.arg is not None and kw.arg not in params and not takes_any:
                        bad.append(f"{script.name}:{node.lineno} {node.func.id}({kw.arg}=)")
    assert checked >= 2  # benchmark.py and benchmark_slurm.py
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


def _smk_code(path: Path) -> str:
    """A rule file without its comments (a comment may quote the config)."""
    return "\n".join(line.split("#", 1)[0] for line in path.read_text("utf-8").splitlines())


def test_rule_files_read_the_settings_object_not_the_raw_config():
    """One config idiom: params come from SETTINGS (digikom.config.Settings); only
    common.smk, which builds it, touches ``config``."""
    raw = re.compile(r"\bconfig\s*(\[|\.get\()")
    offenders = [
        f"{smk.name}:{i}"
        for smk in sorted((REPO / "workflow" / "rules").glob("*.smk"))
        if smk.name != "common.smk"
        for i, line in enumerate(_smk_code(smk).splitlines(), 1)
        if raw.search(line)
    ]
    assert offenders == []
    assert raw.search('        lang=config["lang"],') and raw.search('config.get("x")')
    assert "SETTINGS = load_settings(config)" in _smk_code(REPO / "workflow/rules/common.smk")


def test_the_config_is_validated_once_per_parse(config, monkeypatch, tmp_path):
    """common.smk's load_settings -> load_all validates config.yaml against its schema
    exactly once (it was three times: Snakemake's validate, the extras, load_all)."""
    import copy
    import os

    import digikom.config as cfg

    calls = []
    real = cfg.validate_against

    def counting(data, schema_name, *args, **kwargs):
        calls.append(schema_name)
        return real(data, schema_name, *args, **kwargs)

    monkeypatch.setattr(cfg, "validate_against", counting)
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        cfg.load_all(copy.deepcopy(config))
    finally:
        os.chdir(cwd)
    assert calls.count("config.schema.yaml") == 1, calls
    assert {"indicators.schema.yaml", "synthetic.schema.yaml"} <= set(calls)
    assert "validate(config" not in _smk_code(REPO / "workflow/rules/common.smk")


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import that runs (module level or inside a function), not those under
    ``if TYPE_CHECKING:``."""
    found = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph(package: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (relative and absolute imports)."""
    root = package.parent

    def name_of(path: Path) -> str:
        parts = list(path.relative_to(root).with_suffix("").parts)
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    modules = {name_of(p): p for p in package.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for mod, path in modules.items():
        here = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        deps: set[str] = set()
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                base = here.split(".")[: len(here.split(".")) - max(node.level - 1, 0)]
                start = ".".join(base + [node.module] if node.module else base)
                start = start if node.level else (node.module or "")
                targets = [f"{start}.{a.name}" for a in node.names] + [start]
            deps.update(t for t in targets if t in modules and t != mod)
        graph[mod] = deps
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def test_no_import_cycle_in_the_package():
    """Layers that read top-down: no module imports, directly or through others, a module
    that imports it (config.py -> evidence.py -> evidence_tables.py -> panel.py -> config.py
    was one). Imports under ``if TYPE_CHECKING:`` do not run and do not count."""
    graph = import_graph(PACKAGE)
    assert len(graph) > 30 and "digikom.panel" in graph["digikom.evidence_tables"]
    assert import_cycles(graph) == []
    # the check sees a cycle, also one through a function-level import
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    probe = ast.parse("def f():\n    from .x import y\nif TYPE_CHECKING:\n    import z\n")
    assert [type(n).__name__ for n in _imports(probe)] == ["ImportFrom"]
