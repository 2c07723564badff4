"""The package modules a rule's code runs, found by reading the code (``ast``), so that a
rule can declare them as inputs and an edit re-runs exactly the rules that use it.

Snakemake tracks a rule's ``script:`` file but not the modules it imports. The Snakefile
calls :func:`code_files` on each rule's script (and the report's .qmd, whose Python cells
import the package): it follows ``digikom`` imports transitively, down to the function a
module-level name refers to, so a hub module whose functions import other modules lazily
(``digikom.stages``) does not make every rule depend on every module. Nothing is
imported or executed; modules moved or split into packages are followed automatically.

Precision, per imported name:

* ``import digikom.x`` / ``from digikom import x`` (a module): all of ``x``, including the
  imports inside its functions;
* ``from digikom.x import f`` (a function or class): ``x``'s module-level imports, plus the
  imports inside ``f`` and inside the functions/classes of ``x`` that ``f`` names;
* importing ``digikom.x.y`` also runs ``digikom/__init__.py`` and ``digikom/x/__init__.py``.

Reading the package costs about 0.9 s of CPU, on every Snakemake start (each dry run, each
SLURM job): :func:`cached_code_files` keeps the answers in a file, keyed by the contents
of every file under the root and of the sources, so an edit anywhere recomputes them.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import NamedTuple

PACKAGE = "digikom"
_QMD_CELL = re.compile(r"^```\{python[^}]*\}[^\n]*\n(.*?)^```", re.M | re.S)


def _parse(path: str) -> ast.Module:
    text = Path(path).read_text(encoding="utf-8")
    if path.endswith((".qmd", ".md", ".Rmd")):
        cells = _QMD_CELL.findall(text)
        lines = []
        for c in cells:  # Quarto cell options (#| ...) are comments; magics are not Python
            lines += [ln for ln in c.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        text = "\n".join(lines)
    return ast.parse(text, filename=path)


@functools.cache
def _module_file(root: Path, module: str) -> Path | None:
    """The file of ``module`` (dotted) under ``root``: x/y.py or x/y/__init__.py."""
    base = root.joinpath(*module.split("."))
    for cand in (base.with_suffix(".py"), base / "__init__.py"):
        if cand.is_file():
            return cand
    return None


def _resolve(module: str, node: ast.ImportFrom | None, is_package: bool) -> str | None:
    """Absolute module name of an ``ImportFrom`` in ``module`` (None if not ours)."""
    if node is None or node.level == 0:
        name = node.module if node is not None else module
    else:
        parts = module.split(".") if module else []
        if not is_package:
            parts = parts[:-1]
        if node.level > 1:
            parts = parts[: len(parts) - (node.level - 1)]
        name = ".".join(parts + ([node.module] if node.module else []))
    if name == PACKAGE or (name or "").startswith(PACKAGE + "."):
        return name
    return None


class _Scope(NamedTuple):
    """What :func:`_imports` needs of a piece of code, without keeping its syntax tree (a
    no-op ``snakemake`` run would otherwise carry every module's tree to its final garbage
    collection): the import statements, how often each name is used, and per name the
    attributes read from it (``name.attr``)."""

    imports: tuple[ast.Import | ast.ImportFrom, ...]
    names: Counter
    attrs: dict[str, Counter]


def _scope(nodes) -> _Scope:
    imports, names, attrs = [], Counter(), {}
    for n in nodes:
        if isinstance(n, ast.Import | ast.ImportFrom):
            imports.append(n)
        elif isinstance(n, ast.Name):
            names[n.id] += 1
        elif isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name):
            attrs.setdefault(n.value.id, Counter())[n.attr] += 1
    return _Scope(tuple(imports), names, attrs)


def _imports(
    module: str, scope: _Scope, is_package: bool, root: Path
) -> set[tuple[str, str | None]]:
    """(module, symbol-or-None) requirements of the import statements of ``scope``.

    A submodule bound to a name (``from digikom import rules``) that the code only uses as
    ``rules.f`` requires just the functions it names (``(digikom.rules, f)``), not all of
    the module: a hub of entry points does not make every rule depend on every module."""
    out: set[tuple[str, str | None]] = set()
    bound: dict[str, str] = {}  # local name -> submodule it is bound to
    for node in scope.imports:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == PACKAGE or alias.name.startswith(PACKAGE + "."):
                    out.add((alias.name, None))
                    if alias.asname:
                        bound[alias.asname] = alias.name
        else:
            target = _resolve(module, node, is_package)
            if target is None:
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if alias.name != "*" and _module_file(root, sub) is not None:
                    out.add((sub, None))  # a submodule
                    bound[alias.asname or alias.name] = sub
                else:
                    out.add((target, None if alias.name == "*" else alias.name))
    for name, sub in bound.items():
        uses = scope.names[name]
        attrs = scope.attrs.get(name, Counter())
        if uses and sum(attrs.values()) == uses:
            out.discard((sub, None))
            out |= {(sub, a) for a in attrs}
    return out


def _walk_no_defs(nodes):
    """All nodes executed at import time: module-level statements and class bodies, not
    function bodies (those run only when called)."""
    skip = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
    stack = [n for n in nodes if not isinstance(n, skip)]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, skip):
                stack.append(child)


def _top_defs(tree: ast.Module) -> dict[str, ast.AST]:
    return {
        n.name: n
        for n in tree.body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }


@functools.cache
def _index(path: str):
    """One pass over a module, kept per scope (see :class:`_Scope`): the code run at import
    time; per top-level function/class its code and the same-module functions it names;
    all of the module."""
    tree = _parse(path)
    defs = _top_defs(tree)
    top = _scope(_walk_no_defs(tree.body))
    inside: dict[str, _Scope] = {}
    names: dict[str, set[str]] = {}
    for name, node in defs.items():
        inside[name] = _scope(ast.walk(node))
        names[name] = set(inside[name].names) & (set(defs) - {name})
    return top, inside, names, _scope(ast.walk(tree))


@functools.cache
def _requirements(root: Path, module: str, symbol: str | None):
    """(file of ``module``, what using ``symbol`` of it requires); cached per workflow."""
    path = _module_file(root, module)
    if path is None:
        return None, ()
    todo: list[tuple[str, str | None]] = []
    parts = module.split(".")
    for i in range(1, len(parts)):  # importing a.b.c runs the __init__ of a and of a.b
        todo.append((".".join(parts[:i]), "__init__"))
    is_package = path.name == "__init__.py"
    top, inside, names, everything = _index(str(path))
    if symbol is None:
        todo += _imports(module, everything, is_package, root)
        return path, tuple(todo)
    todo += _imports(module, top, is_package, root)
    if symbol in inside:  # else a constant, or a name the module imports (followed above)
        todo += _imports(module, inside[symbol], is_package, root)
        todo += [(module, n) for n in sorted(names[symbol])]  # same-module functions used
    return path, tuple(todo)


def code_files(sources, root: str | os.PathLike) -> list[str]:
    """Every file of package ``digikom`` (under ``root``, e.g. scripts/) that the code in
    ``sources`` (rule scripts, .qmd files) may run; sorted paths as given by ``root``."""
    root = Path(root)
    files: set[Path] = set()
    todo: list[tuple[str, str | None]] = []
    for src in sources:
        todo += _imports("", _index(str(src))[3], False, root)
    seen: set[tuple[str, str | None]] = set()
    while todo:
        item = todo.pop()
        if item in seen:
            continue
        seen.add(item)
        path, more = _requirements(root, *item)
        if path is not None:
            files.add(path)
            todo += more
    return sorted(str(p) for p in files)


@functools.cache
def _tree_key(root: Path) -> str:
    """sha256 of every .py file under ``root`` (names and contents) and of this module."""
    h = hashlib.sha256(Path(__file__).read_bytes())
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


@functools.cache
def _read_cache(cache: Path, tree: str) -> dict:
    """The answers kept for the package as it is now (``tree``), else none."""
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # none yet, unreadable or corrupt: computed again
    if not isinstance(data, dict) or data.get("tree") != tree:
        return {}  # the package changed since: every answer is computed again
    answers = data.get("answers")
    return answers if isinstance(answers, dict) else {}


def cached_code_files(sources, root: str | os.PathLike, cache: str | os.PathLike) -> list[str]:
    """:func:`code_files`, its answers kept in the JSON file ``cache`` (written atomically;
    a cache that cannot be read or written is only slower). The answers hold while no .py
    file under ``root`` changes (names and contents); each is keyed by the sources' names
    relative to ``root``'s parent and their contents, so copies of a workflow share them."""
    root, cache = Path(root), Path(cache)
    tree = _tree_key(root)
    h = hashlib.sha256()
    for src in sources:
        rel = os.path.relpath(src, root.parent)
        h.update(rel.encode() + b"\0" + Path(src).read_bytes() + b"\0")
    key = h.hexdigest()
    answers = _read_cache(cache, tree)
    if isinstance(answers.get(key), list):
        return [str(root / rel) for rel in answers[key]]
    files = code_files(sources, root)
    answers[key] = [os.path.relpath(f, root) for f in files]
    tmp = None
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache.parent, prefix=cache.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"tree": tree, "answers": answers}, fh)
        os.replace(tmp, cache)
    except OSError:  # a read-only or full directory: the answers are only not kept
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return files
