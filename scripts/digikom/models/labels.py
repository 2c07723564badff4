"""Model terms and effects in readers' words.

``term_label("C(year)[T.2020]", spec, settings, tx)`` -> "2020 (mot 2018)";
``"log_population"`` -> "Folketall (log)"; ``"C(size_group)[T.2k_5k]"`` ->
"Størrelsesgruppe: 2 000–4 999 (mot Under 2 000)"; ``"a:b"`` -> "A × B";
``"Intercept"`` -> "Konstantledd"; an ordinal threshold ``"1/2"`` -> "Terskel … | …".

Words come from the config and the codebook, looked up by id: a variable's label from
``labels`` in config/models.yaml, else the codebook's; a size group's label from
config.yaml's ``size_groups``; a value's label from the codebook's ``values``. Sentence
patterns are in reports/strings/models.yaml. ``tx`` is a ``digikom.text.Text`` (anything
with ``tx(key, **values)`` and ``tx.lang``); ``settings`` a :class:`Labels` (what labels
terms and models, one typed value wherever the labels come from: the settings, a rule's
``labels`` param or the report's context) or a ``digikom.config.Settings``, which has the
same attributes.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from ..text import label, label_entries
from .spec import shift_value

_CAT = re.compile(r"^C\((?P<var>[A-Za-z_]\w*)\)\[(?:T\.)?(?P<level>[^\]]*)\]$")
_FACTOR = re.compile(r"^C\((?P<var>[A-Za-z_]\w*)(?:,.*)?\)$", re.S)
_LOG = re.compile(r"^(?:np\.)?log\((?P<var>[A-Za-z_]\w*)\)$")
_THRESHOLD = re.compile(r"^(?P<lower>-?\d+(?:\.\d+)?)/(?P<upper>-?\d+(?:\.\d+)?)$")


@dataclass(frozen=True)
class Labels:
    """What labels model terms and models in readers' words: codebook entries, size
    groups, the short variable labels of config/models.yaml (``labels``), the waves, and
    the label entries of each model (``models``: id -> its labels). Built from the
    settings (:func:`label_settings`, as a rule param of plain data), read back with
    :meth:`from_param`, or from the report's context (:meth:`from_context`)."""

    codebook: dict
    size_groups: list[dict]
    labels: dict = field(default_factory=dict)
    waves: list[int] = field(default_factory=list)
    models: dict = field(default_factory=dict)

    def to_param(self) -> dict:
        """Plain data for a Snakemake param (compared between runs)."""
        return asdict(self)

    @classmethod
    def from_param(cls, param: dict) -> Labels:
        return cls(**param)

    @classmethod
    def from_context(cls, ctx: dict) -> Labels:
        """From the report's context (results/context.json: codebook, size_groups,
        waves; short labels under ``model_labels`` where the context has them, else the
        codebook labels are used)."""
        return cls(
            codebook=ctx["codebook"],
            size_groups=ctx["size_groups"],
            labels=ctx.get("model_labels") or {},
            waves=list(ctx.get("waves", [])),
        )


def label_settings(settings, variables=None, models=None) -> dict:
    """:class:`Labels` as plain data (a rule param) from the settings: the codebook
    entries of ``variables`` (all if None), size groups, short labels, waves, and the
    labels of ``models`` (ids; all if None)."""
    cb = settings.codebook["variables"]
    keep = cb if variables is None else {v: cb[v] for v in variables if v in cb}
    ids = [m["id"] for m in settings.models] if models is None else list(models)
    return Labels(
        codebook={"variables": keep},
        size_groups=list(settings.size_groups),
        labels=dict(settings.labels),
        waves=list(settings.waves),
        models={i: label_entries(settings.model(i)) for i in ids},
    ).to_param()


def context_settings(ctx: dict) -> Labels:
    """The ``settings`` argument of :func:`term_label` from the report's context."""
    return Labels.from_context(ctx)


def model_label_settings(settings, model_id: str) -> dict:
    """:func:`label_settings` for the variables of one model (its outcome and formula)."""
    from .spec import formula_names

    spec = settings.model(model_id)
    variables = [spec["outcome"], *formula_names(spec["formula"])]
    return label_settings(settings, variables, [model_id])


def _label(obj: dict | None, lang: str, default: str) -> str:
    """The ``lang`` label of ``obj`` (digikom.text.label), ``default`` if there is no
    object."""
    return default if obj is None else label(obj, lang)


def variable_label(var: str, settings, tx) -> str:
    """Short label of a model variable: config/models.yaml ``labels``, else the codebook."""
    short = (getattr(settings, "labels", None) or {}).get(var)
    if short:
        return _label(short, tx.lang, var)
    return _label(settings.codebook["variables"].get(var), tx.lang, var)


def _same(a: Any, b: Any) -> bool:
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return str(a) == str(b)


def level_label(var: str, level: Any, settings, tx) -> str:
    """A level of a categorical variable: size groups by their config label, codebook
    values by their label, anything else (a wave) as written."""
    if var == "size_group":
        for g in settings.size_groups:
            if g["id"] == str(level):
                return _label(g, tx.lang, str(level))
    values = settings.codebook["variables"].get(var, {}).get("values") or {}
    for k, v in values.items():
        if _same(k, level):
            return _label(v, tx.lang, str(level))
    s = str(level)
    return s[:-2] if s.endswith(".0") else s


def natural_levels(var: str, settings) -> list:
    """The natural order of a categorical variable's levels (reference = the first)."""
    if var == "size_group":
        return [g["id"] for g in settings.size_groups]
    var_cb = settings.codebook["variables"].get(var, {})
    if var_cb.get("kind") == "wave":
        return sorted(settings.waves)
    return sorted(var_cb.get("values") or {})


def reference_level(var: str, spec: dict, settings) -> Any:
    ref = (spec.get("reference") or {}).get(var)
    if ref is not None:
        return ref
    levels = natural_levels(var, settings)
    return levels[0] if levels else None


def _factor_label(factor: str, spec: dict, settings, tx) -> str:
    if factor == "Intercept":
        return tx("models.intercept")
    m = _CAT.match(factor)
    if m:
        var, level = m.group("var"), m.group("level")
        ref = reference_level(var, spec, settings) if "[T." in factor else None
        lvl = level_label(var, level, settings, tx)
        stands_alone = settings.codebook["variables"].get(var, {}).get("kind") == "wave"
        if ref is None:
            return (
                lvl
                if stands_alone
                else tx("models.level", variable=variable_label(var, settings, tx), level=lvl)
            )
        ref_label = level_label(var, ref, settings, tx)
        if stands_alone:
            return tx("models.level_vs", level=lvl, reference=ref_label)
        return tx(
            "models.variable_level_vs",
            variable=variable_label(var, settings, tx),
            level=lvl,
            reference=ref_label,
        )
    m = _LOG.match(factor)
    if m:
        return tx("models.log", variable=variable_label(m.group("var"), settings, tx))
    if re.fullmatch(r"[A-Za-z_]\w*", factor):
        return variable_label(factor, settings, tx)
    return factor  # e.g. I(x ** 2): shown as written


def term_label(term: str, spec: dict, settings, tx) -> str:
    """The reader's label of one term of ``coefficients.csv`` / ``robustness.csv``."""
    term = str(term)
    m = _THRESHOLD.match(term)
    if m and spec.get("family") == "ordinal_logit":
        outcome = spec.get("outcome", "")
        return tx(
            "models.threshold",
            lower=level_label(outcome, m.group("lower"), settings, tx),
            upper=level_label(outcome, m.group("upper"), settings, tx),
        )
    parts = [_factor_label(f, spec, settings, tx) for f in term.split(":")]
    out = parts[0]
    for p in parts[1:]:
        out = tx("models.interaction", a=out, b=p)
    return out


def effect_label(effect_id: str, spec: dict, settings, tx) -> str:
    """The reader's label of an effect of interest: its own label in
    config/models.yaml, else built from the variable and the change."""
    eff = next((e for e in spec.get("effects") or [] if e["id"] == effect_id), None)
    if eff is None:
        return str(effect_id)
    if tx.lang in eff:  # an effect has its own labels in every language or none (schema)
        return tx.label(eff)
    var = variable_label(eff["variable"], settings, tx)
    if "shift" in eff:
        return tx("models.effect_shift", variable=var, shift=tx.num(shift_value(eff["shift"]), 2))
    return tx("models.effect_from_to", variable=var, start=eff["from"], end=eff["to"])


def formula_label(formula: str, settings, tx) -> str:
    """A model's right-hand side in the reader's words: each term of the patsy formula
    (``C(size_group) * C(year)`` is three: the two variables and their interaction) by its
    variables' labels, joined with ``models.interaction``; a factor that is neither a
    variable, ``C(variable, ...)`` nor ``log(variable)`` is shown as written."""
    from patsy import ModelDesc

    def factor(code: str) -> str:
        m = _FACTOR.match(code) or re.fullmatch(r"(?P<var>[A-Za-z_]\w*)", code)
        if m:
            return variable_label(m.group("var"), settings, tx)
        m = _LOG.match(code)
        if m:
            return tx("models.log", variable=variable_label(m.group("var"), settings, tx))
        return code

    words = []
    for term in ModelDesc.from_formula(formula).rhs_termlist:
        parts = [factor(f.code) for f in term.factors]
        if not parts:
            continue  # the intercept
        out = parts[0]
        for part in parts[1:]:
            out = tx("models.interaction", a=out, b=part)
        words.append(out)
    return ", ".join(words)
