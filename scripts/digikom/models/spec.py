"""Model specification: what a model in config/models.yaml says, checked and completed.

* ``check_formula`` / ``check_subset``: patsy and pandas evaluate these texts as Python, so
  every token is checked against the known variables and a small set of allowed functions
  *before* either library sees the text (config files are trusted input, but a formula
  that could run code is refused anyway).
* ``resolve_spec``: what the codebook and config add to a spec (trials maximum, ordinal
  levels, the natural order and reference level of each categorical term).
* ``design_formula``: the right-hand side patsy sees, with ``C(var)`` expanded to the
  configured reference and natural order (``C(size_group, Treatment('lt2k'), levels=[...])``).
"""

from __future__ import annotations

import copy
import io
import keyword
import math
import re
import tokenize
from typing import Any

from ..errors import ConfigError

FAMILIES = ("logit", "binomial", "ordinal_logit", "linear")
# Functions a formula may call; ``np.log`` is the only attribute access allowed.
FORMULA_FUNCTIONS = ("C", "Treatment", "I", "log", "np.log", "center", "standardize")
FORMULA_OPERATORS = {"+", "-", "*", "/", ":", "**", "(", ")", ",", "~"}
SUBSET_WORDS = {"and", "or", "not", "in", "True", "False"}
SUBSET_OPERATORS = {"==", "!=", "<", "<=", ">", ">=", "(", ")", "[", "]", ",", "+", "-", "*",
                    "/", "&", "|", "~"}  # fmt: skip


class ModelFailure(Exception):
    """A model that cannot be estimated; the message goes into the model JSON."""


class FormulaError(ConfigError):
    """A formula, subset or replacement text with a token that is not allowed."""


def _tokens(text: str, where: str) -> list[tokenize.TokenInfo]:
    if "\n" in text or "\r" in text:
        raise FormulaError(f"{where}: must be one line, got {text!r}")
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError) as exc:
        raise FormulaError(f"{where}: '{text}' cannot be parsed: {exc}") from exc
    return [
        t
        for t in toks
        if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT)
    ]


def _plain_string(tok: tokenize.TokenInfo) -> bool:
    """A quoted literal without prefix (no f-string: its braces would be evaluated)."""
    return tok.string[:1] in ("'", '"') and "\\" not in tok.string


def check_formula(text: str, variables, where: str) -> None:
    """Refuse ``text`` (a patsy right-hand side) unless every name is one of ``variables``
    or an allowed function, and every operator is a formula operator. ``where`` names the
    file, the model and the field in the error."""
    variables = set(variables)
    toks = _tokens(text, where)

    def bad(tok, why):
        raise FormulaError(
            f"{where}: token '{tok.string}' {why} in '{text}' (allowed functions: "
            f"{', '.join(FORMULA_FUNCTIONS)}; variables: the codebook's)"
        )

    i = 0
    while i < len(toks):
        tok = toks[i]
        nxt = toks[i + 1].string if i + 1 < len(toks) else ""
        if tok.type == tokenize.NAME:
            if tok.string == "np" and nxt == ".":
                attr = toks[i + 2] if i + 2 < len(toks) else None
                call = toks[i + 3].string if i + 3 < len(toks) else ""
                if attr is None or f"np.{attr.string}" not in FORMULA_FUNCTIONS or call != "(":
                    bad(attr or tok, "is not an allowed function")
                i += 4
                continue
            if nxt == "(":
                if tok.string not in FORMULA_FUNCTIONS:
                    bad(tok, "is not an allowed function")
            elif keyword.iskeyword(tok.string) or tok.string not in variables:
                bad(tok, "is not a known variable")
        elif tok.type == tokenize.OP:
            if tok.string not in FORMULA_OPERATORS:
                bad(tok, "is not a formula operator")
        elif tok.type == tokenize.STRING:
            inside_treatment = (
                i >= 2 and toks[i - 1].string == "(" and toks[i - 2].string == "Treatment"
            )
            if not (_plain_string(tok) and inside_treatment):
                bad(tok, "is not allowed (a quoted level is allowed only as Treatment('level'))")
        elif tok.type != tokenize.NUMBER:
            bad(tok, "is not allowed")
        i += 1


def check_subset(text: str, variables, where: str) -> None:
    """Refuse a pandas query (``subset``) unless it only compares known variables with
    literals: no function calls, attribute access or ``@`` locals."""
    variables = set(variables)
    toks = _tokens(text, where)
    for i, tok in enumerate(toks):
        nxt = toks[i + 1].string if i + 1 < len(toks) else ""
        ok = (
            (tok.type == tokenize.NAME and tok.string in SUBSET_WORDS)
            or (tok.type == tokenize.NAME and tok.string in variables and nxt != "(")
            or (tok.type == tokenize.OP and tok.string in SUBSET_OPERATORS)
            or tok.type == tokenize.NUMBER
            or (tok.type == tokenize.STRING and _plain_string(tok))
        )
        if not ok:
            raise FormulaError(
                f"{where}: token '{tok.string}' is not allowed in '{text}' (a subset compares "
                "codebook variables with numbers or quoted text, joined by and/or/not)"
            )


def formula_names(formula: str) -> list[str]:
    """Bare names in a patsy right-hand side that should be panel columns (function names,
    keyword arguments, attribute access and string literals are skipped)."""
    try:
        toks = _tokens(formula, "formula")
    except FormulaError as exc:
        raise ModelFailure(str(exc)) from exc
    names = []
    functions = {f.split(".")[-1] for f in FORMULA_FUNCTIONS} | {"np"}
    for i, tok in enumerate(toks):
        if tok.type != tokenize.NAME:
            continue
        nxt = toks[i + 1].string if i + 1 < len(toks) else ""
        prev = toks[i - 1].string if i > 0 else ""
        if nxt in ("(", "=", ".") or prev == "." or tok.string in functions:
            continue
        if tok.string not in names:
            names.append(tok.string)
    return names


_C_BARE = re.compile(r"\bC\(\s*([A-Za-z_]\w*)\s*\)")


def categorical_names(formula: str) -> list[str]:
    """Variables written as a plain ``C(var)`` in a formula, in order of appearance."""
    return list(dict.fromkeys(_C_BARE.findall(formula)))


def design_formula(spec: dict) -> str:
    """The right-hand side patsy sees: each plain ``C(var)`` gets the spec's reference level
    (``Treatment``) and natural level order (``levels``), both built here from config."""
    reference = spec.get("reference") or {}
    order = spec.get("category_order") or {}

    def expand(m: re.Match) -> str:
        var = m.group(1)
        args = []
        if var in reference:
            args.append(f"Treatment({reference[var]!r})")
        if var in order:
            args.append(f"levels={list(order[var])!r}")
        return f"C({var}{''.join(', ' + a for a in args)})"

    return _C_BARE.sub(expand, spec["formula"])


_EXPANDED = re.compile(
    r"C\(([A-Za-z_]\w*), (?:Treatment\([^()]*\)(?:, )?)?(?:levels=\[[^\[\]]*\])?\)"
)


def plain_term(name: str) -> str:
    """A design column name with the expansions of :func:`design_formula` taken out again
    (``C(size_group, Treatment('lt2k'), levels=[...])[T.2k_5k]`` -> ``C(size_group)[T.2k_5k]``),
    so results keep short, stable term names."""
    return _EXPANDED.sub(lambda m: f"C({m.group(1)})", name)


def shift_value(shift: Any) -> float:
    """An effect's shift: a number, or ``log(k)`` for a k-fold change of a logged variable."""
    if isinstance(shift, int | float) and not isinstance(shift, bool):
        return float(shift)
    m = re.fullmatch(r"\s*log\(\s*([0-9]+(?:\.[0-9]+)?)\s*\)\s*", str(shift))
    if not m or float(m.group(1)) <= 0:
        raise ConfigError(f"shift '{shift}': a number or log(k) with k > 0")
    return math.log(float(m.group(1)))


def natural_orders(size_groups: list[dict] | None) -> dict[str, list]:
    """Natural level order of the categorical variables that have one in config."""
    return {"size_group": [g["id"] for g in size_groups]} if size_groups else {}


def resolve_spec(spec: dict, codebook: dict | None, size_groups: list[dict] | None = None) -> dict:
    """Copy of ``spec`` with what the codebook and config add: ``trials_max`` when trials is
    the codebook maximum, ``levels`` (the answer scale) of an ordinal outcome, and
    ``category_order`` (natural level order, e.g. size groups in config order); a
    ``C(var)`` without a configured ``reference`` gets the first level of that order that
    the estimation sample has (see :func:`digikom.models.design.references`)."""
    spec = copy.deepcopy(spec)
    var = (codebook or {}).get("variables", {}).get(spec["outcome"], {})
    if spec["family"] == "ordinal_logit" and "values" in var and "levels" not in spec:
        spec["levels"] = sorted(int(v) for v in var["values"])
    if (
        spec["family"] == "binomial"
        and spec.get("trials") == "codebook"
        and "trials_max" not in spec
    ):
        if codebook is None:
            raise ModelFailure("trials: codebook needs the codebook")
        if "max" not in var:
            raise ModelFailure(
                f"trials: codebook, but codebook variable '{spec['outcome']}' has no item maximum"
            )
        spec["trials_max"] = int(var["max"])
    orders = natural_orders(size_groups)
    if orders and "category_order" not in spec:
        spec["category_order"] = orders
    return spec


def job_spec(settings, model_id: str) -> dict:
    """The spec one fit_model job gets as a param: the model of config/models.yaml with
    what the codebook and config add (see :func:`resolve_spec`), without its labels (the
    model's and its effects' titles): a label edit re-draws the figures and the report,
    not the fits (the figures get the labels in their own param,
    :func:`digikom.models.labels.label_settings`)."""
    spec = resolve_spec(settings.model(model_id), settings.codebook, settings.size_groups)
    return settings.without_labels(spec)


def full_formula(spec: dict) -> str:
    return f"{spec['outcome']} ~ {spec['formula']}"


def cluster_column(panel) -> str:
    """Municipality identity across waves: the code harmonised to 2024 (so a municipality
    whose number changed in a reform is one cluster); kommunenr if that column is absent."""
    return "kommunenr_2024" if "kommunenr_2024" in panel.columns else "kommunenr"


def variant_spec(spec: dict, variant: dict) -> dict | None:
    """The spec refit under a robustness variant, or None if the variant changes nothing."""
    new = copy.deepcopy(spec)
    rhs = spec["formula"]
    for old, repl in (variant.get("replace") or {}).items():
        rhs = re.sub(rf"(?<![\w.]){re.escape(old)}(?![\w(])", repl, rhs)
    new["formula"] = rhs
    if variant.get("weights"):
        new["weights"] = variant["weights"]
    if new["formula"] == spec["formula"] and new.get("weights", "none") == spec.get(
        "weights", "none"
    ):
        return None
    new["id"] = spec["id"]
    return new


def check_models(models: list[dict], robustness: dict, codebook: dict, path) -> None:
    """Every formula, subset, replacement text and effect of config/models.yaml against the
    codebook's variables, before patsy or pandas sees any of them."""
    variables = set(codebook["variables"])
    for m in models:
        where = f"{path}: model '{m['id']}'"
        check_formula(m["formula"], variables, f"{where}: formula")
        if m.get("subset"):
            check_subset(m["subset"], variables, f"{where}: subset")
        names = set(formula_names(m["formula"]))
        for var in m.get("reference") or {}:
            if var not in categorical_names(m["formula"]):
                raise ConfigError(f"{where}: reference '{var}': the formula has no C({var}) term")
        for eff in m.get("effects") or []:
            if eff["variable"] not in names:
                raise ConfigError(
                    f"{where}: effect '{eff['id']}': variable '{eff['variable']}' is not in "
                    f"the formula '{m['formula']}'"
                )
            if "shift" in eff:
                try:
                    shift_value(eff["shift"])
                except ConfigError as exc:
                    raise ConfigError(f"{where}: effect '{eff['id']}': {exc}") from None
    for v in robustness.get("variants", []):
        for old, new in (v.get("replace") or {}).items():
            where = f"{path}: robustness variant '{v['id']}': replace '{old}'"
            check_formula(old, variables, where)
            check_formula(new, variables, where)
