"""The report's context, built in one place.

``context_settings(settings)`` is what the configuration says to the report: the slice of
:class:`digikom.config.Settings` that rule ``report`` gets as a param (so editing a
setting the report shows re-runs the report, and nothing else is read).
``build(params, targets_path)`` turns it, with the published targets, into
results/report/context.json. ``ReportData`` is the loader the report's sections use: it
reads context.json, provenance.json and every result file the sections show, so that no
section reads a file itself.
"""

from __future__ import annotations

from .evidence import ASSUMED, ESTIMATED


def context_settings(settings) -> dict:
    """The report's settings (a param of rule ``report``), from the validated config."""
    s, config = settings, settings.config
    return {
        "lang": s.lang,
        "waves": config["waves"],
        "data_mode": s.data_mode,
        "microdata": config["microdata"],
        "fetch_statbank": config["fetch_statbank"],
        "min_cell": config["report"]["min_cell"],
        "seed": config["seed"],
        "size_groups": s.size_groups,
        "codebook": s.codebook,
        "indicators": s.indicators,
        "models": s.models,
        "robustness": s.robustness,
        "model_labels": s.labels,
        "comparison": s.comparison,
        # the generator's parameters: what the synthetic default is made of
        "synthetic": s.synthetic if s.is_synthetic else None,
        "calibration_targets": s.calibration_ids if s.is_synthetic else [],
    }


def build(params: dict, targets_path: str) -> dict:
    """results/report/context.json: the report's settings (:func:`context_settings`), the
    units of the published figures and, with the synthetic default, every calibrated share
    and parameter with its provenance (digikom.provenance, digikom.synthetic)."""
    from . import synthetic as S
    from .provenance import calibration_rows, calibration_summary
    from .published import read_targets

    targets = read_targets(targets_path)
    synthetic = params["data_mode"] == "synthetic"
    calibration = []
    if synthetic:
        calibration = calibration_rows(
            params["synthetic"], targets, params["waves"], params["lang"]
        )
    ctx = {
        k: params[k]
        for k in (
            "lang", "waves", "data_mode", "microdata", "fetch_statbank", "min_cell", "seed",
            "size_groups", "codebook", "indicators", "models", "robustness", "model_labels",
        )
    }  # fmt: skip
    ctx["published_units"] = dict(
        zip(*[targets[c].astype(str) for c in ("id", "unit")], strict=True)
    )
    ctx["calibration"] = calibration
    ctx["calibration_summary"] = calibration_summary(calibration)
    evidence = {"comparison": params["comparison"], "data_mode_class": ESTIMATED}
    if synthetic:
        evidence.update(
            data_mode_class=ASSUMED,
            calibration_targets=list(params["calibration_targets"]),
            parameters=S.parameter_provenance(params["synthetic"], targets),
            persistence=params["synthetic"]["persistence"],
        )
    ctx["evidence"] = evidence
    return ctx
