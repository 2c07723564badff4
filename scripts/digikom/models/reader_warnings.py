"""Model-fitting warnings in readers' words. The fit records its warnings as technical
English text (results/models/<id>.json, with statsmodels' term names such as
``C(size_group)[T.ge50k]:C(year)[T.2024]``); the report and the figures show each as a
sentence of the report language from reports/strings/models.yaml, with the terms named as
the coefficient tables name them. The raw text stays in the model's JSON and log."""

from __future__ import annotations

import re

from .labels import term_label

# a model term inside a warning's text: C(var)[T.level], possibly an interaction
TERM = re.compile(r"C\([^)]*\)(?:\[T\.[^\]]*\])?(?::C\([^)]*\)(?:\[T\.[^\]]*\])?)*")

# (pattern of the raw warning, key of its reader's text); the first that matches is used
KINDS = [
    (
        re.compile(
            r"quasi-complete separation: all (?P<n>\d+) observations with (?P<term>\S+) = 1 "
            r"have the (?P<end>lowest|highest) outcome value"
        ),
        "models.warn_separation",
    ),
    (re.compile(r"quasi-complete separation|possible separation"), "models.warn_separation_any"),
    (re.compile(r"only \d+ cluster"), "models.warn_clusters"),
    (re.compile(r"does not support weights"), "models.warn_unweighted"),
    (re.compile(r"HC1 is not available"), "models.warn_hc0"),
    (re.compile(r"has no cases; its threshold"), "models.warn_empty_category"),
    (re.compile(r"did not converge|ConvergenceWarning"), "models.warn_convergence"),
    (re.compile(r"robust covariance with weights"), "models.warn_weights_se"),
    (re.compile(r"null log-likelihood unavailable"), "models.warn_llnull"),
]


def reader_warning(text: str, spec: dict, settings, tx) -> str:
    """One raw fitting warning as a sentence of ``tx``'s language (plain text: escape it
    for Markdown). An unknown kind gets a general sentence that points to the log."""
    text = str(text)
    for pattern, key in KINDS:
        m = pattern.search(text)
        if not m:
            continue
        values = m.groupdict()
        if "term" in values:
            values["term"] = term_label(values["term"], spec, settings, tx)
            values["end"] = tx(f"models.warn_end_{values['end']}")
        return tx(key, **values) if values else tx(key)
    return tx("models.warn_other")


def short_warning(warnings: list[str], spec: dict, settings, tx) -> str:
    """The note a model figure carries: one line per distinct reader's sentence."""
    seen: list[str] = []
    for w in warnings:
        s = reader_warning(w, spec, settings, tx)
        if s not in seen:
            seen.append(s)
    return "\n".join(seen)
