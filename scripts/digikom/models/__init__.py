"""Models stage: fit the model specifications of config/models.yaml to the panel.

Plain functions, no Snakemake, split by question:

* :mod:`.spec` — what a spec says: formula safety checks, codebook/config completion
  (reference levels, natural order), robustness variants;
* :mod:`.design` — the estimation frame and the design matrix;
* :mod:`.fit` — fitting by family, coefficient table, fit statistics, summary text;
* :mod:`.margins` — average predictions and the declared effects of interest (AMEs);
* :mod:`.robustness` — refits under the robustness variants;
* :mod:`.labels` — terms and effects in readers' words.

The rule entry points are in :mod:`digikom.rules`. Import from the submodules
(``from digikom.models.fit import fit_model``): this file imports none of them, so that
the code a rule declares as its input (digikom.codedeps) is only what it really runs.
"""
