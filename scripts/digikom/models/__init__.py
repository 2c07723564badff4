"""Models stage: fit the model specifications of config/models.yaml to the panel.

Plain functions, no Snakemake, split by question:

* :mod:`.spec` — what a spec says: formula safety checks, codebook/config completion
  (reference levels, natural order), robustness variants;
* :mod:`.design` — the estimation frame and the design matrix;
* :mod:`.fit` — fitting by family, coefficient table, fit statistics, summary text;
* :mod:`.margins` — average predictions and the declared effects of interest (AMEs);
* :mod:`.robustness` — refits under the robustness variants;
* :mod:`.labels` — terms and effects in readers' words.

The rule entry points are in :mod:`digikom.rules`.
"""

from .design import estimation_frame
from .fit import (
    COEF_COLUMNS,
    COEF_EXTRA,
    ModelFit,
    coefficient_table,
    fit_model,
    fit_statistics,
    json_stats,
)
from .labels import context_settings, effect_label, term_label
from .margins import PRED_COLUMNS, prediction_table
from .robustness import ROBUST_COLUMNS, ROBUST_EXTRA, robustness_table
from .spec import (
    FAMILIES,
    FormulaError,
    ModelFailure,
    check_formula,
    check_subset,
    cluster_column,
    formula_names,
    full_formula,
    resolve_spec,
    variant_spec,
)

__all__ = [
    "COEF_COLUMNS",
    "COEF_EXTRA",
    "FAMILIES",
    "PRED_COLUMNS",
    "ROBUST_COLUMNS",
    "ROBUST_EXTRA",
    "FormulaError",
    "ModelFailure",
    "ModelFit",
    "check_formula",
    "check_subset",
    "cluster_column",
    "coefficient_table",
    "context_settings",
    "effect_label",
    "estimation_frame",
    "fit_model",
    "fit_statistics",
    "formula_names",
    "full_formula",
    "json_stats",
    "prediction_table",
    "resolve_spec",
    "robustness_table",
    "term_label",
    "variant_spec",
]
