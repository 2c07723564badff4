"""The parameter-recovery simulation (digikom.simulation): seeds, chunking, true values,
the recovery and validation arithmetic, and (slow) the workflow's recovery.csv."""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest
from digikom import simulation as sim
from digikom.models.spec import job_spec
from digikom.synthetic import calibration_ids


def test_replicate_seeds_depend_only_on_seed_and_index():
    a = [sim.replicate_seed(20230601, k) for k in range(25)]
    assert a == [sim.replicate_seed(20230601, k) for k in range(25)]
    assert len(set(a)) == 25  # distinct panels
    assert sim.replicate_seed(7, 0) != sim.replicate_seed(8, 0)
    assert sim.truth_seed(20230601) not in a


def test_chunks_partition_the_seeds():
    for seeds, per in [(20, 10), (20, 3), (21, 5), (20, 20), (20, 50)]:
        n = sim.n_chunks(seeds, per)
        got = [k for c in range(n) for k in sim.chunk_indices(seeds, per, c)]
        assert got == list(range(seeds))
        assert all(sim.chunk_indices(seeds, per, c) for c in range(n))  # no empty chunk
    assert sim.n_chunks(20, 3) == 7


def _estimates(rows):
    return pd.DataFrame(rows, columns=sim.ESTIMATE_COLUMNS)


def test_recovery_arithmetic_hand_computed():
    # three seeds of one term whose true value is 1.0
    est = _estimates(
        [
            (0, 11, "m", "coefficient", "x", "", 0.8, 0.2, 0.4, 1.2, "ok"),
            (1, 12, "m", "coefficient", "x", "", 1.0, 0.3, 0.4, 1.6, "ok"),
            (2, 13, "m", "coefficient", "x", "", 1.5, 0.1, 1.3, 1.7, "ok"),
            # a second term, true 0: covered by 1 of 2 intervals
            (0, 11, "m", "coefficient", "y", "", -0.1, 0.1, -0.3, 0.1, "ok"),
            (1, 12, "m", "coefficient", "y", "", 0.5, 0.1, 0.3, 0.7, "ok"),
            (2, 13, "m", "coefficient", "y", "", np.nan, np.nan, np.nan, np.nan, "ok"),
        ]
    )
    truth = pd.DataFrame(
        [
            ("m", "coefficient", "x", "", 1.0, "generator", 1.0),
            ("m", "coefficient", "y", "", 0.0, "pseudo_true", np.nan),
        ],
        columns=sim.TRUTH_COLUMNS,
    )
    table = sim.recovery_table(est, truth, 0.95)
    assert list(table.columns) == sim.RECOVERY_COLUMNS
    rec = table.set_index("term")
    x = rec.loc["x"]
    assert x["mean_estimate"] == pytest.approx(1.1)
    assert x["bias"] == pytest.approx(0.1)
    assert x["sd_estimate"] == pytest.approx(math.sqrt(0.13))
    assert x["mean_se"] == pytest.approx(0.2)
    assert x["coverage"] == pytest.approx(2 / 3)
    assert x["n_seeds"] == 3
    assert x["true_source"] == "generator"
    y = rec.loc["y"]  # the NaN estimate (a failed fit) does not count
    assert y["n_seeds"] == 2
    assert y["coverage"] == pytest.approx(0.5)
    assert y["bias"] == pytest.approx(0.2)


def test_validation_summary_counts_passes_per_check():
    rows = pd.DataFrame(
        [
            (0, 1, "a", "published", 2020, True),
            (1, 2, "a", "published", 2020, False),
            (2, 3, "a", "published", 2020, True),
            (0, 1, "b", "frame", 2024, True),
        ],
        columns=sim.VALIDATION_COLUMNS,
    )
    table = sim.validation_summary(rows)
    assert list(table.columns) == sim.SUMMARY_COLUMNS
    out = table.set_index("target_id")
    assert out.loc["a", "n_seeds"] == 3 and out.loc["a", "n_pass"] == 2
    assert out.loc["a", "pass_share"] == pytest.approx(2 / 3)
    assert out.loc["b", "pass_share"] == 1.0


def test_far_from_nominal_flags_only_what_seed_noise_does_not_explain():
    rec = pd.DataFrame({"coverage": [0.95, 0.85, 0.6, 1.0], "n_seeds": [20, 20, 20, 20]})
    flagged = sim.far_from_nominal(rec, 0.95)
    # binomial(20, 0.95): 17..20 covering intervals are within the central 95 %
    assert flagged["coverage"].tolist() == [0.6]


def test_se_mismatch_flags_sd_far_from_the_standard_error():
    rec = pd.DataFrame(
        {"sd_estimate": [0.3, 1.0, 1.1, 2.0], "mean_se": [1.0, 1.0, 1.0, 1.0], "n_seeds": 20}
    )
    # sqrt(chi2(19) / 19): the central 95 % range is about 0.69 .. 1.30
    out = sim.se_mismatch(rec)
    assert out["sd_estimate"].tolist() == [0.3, 2.0]
    assert out["se_ratio"].tolist() == pytest.approx([0.3, 2.0])


def _services(settings):
    return job_spec(settings, "services")


def test_generator_truth_of_a_generator_form_model(settings):
    params = copy.deepcopy(settings.synthetic)
    spec = _services(settings)
    # with a municipality effect on the counts the model is not of the generator's form
    assert params["persistence"]["count_sd"] > 0
    assert sim.generator_truth(spec, params) == {}
    params["persistence"]["count_sd"] = 0.0
    gen = sim.generator_truth(spec, params)
    p = params["digital_services"]
    assert gen["log_population"] == pytest.approx(p["size_slope"] / params["size_scale"])
    assert gen["competence_large"] == p["competence_large_slope"]
    assert gen["C(year)[T.2022]"] == pytest.approx(p["base"][2022] - p["base"][2018])
    assert gen["Intercept"] == pytest.approx(
        p["base"][2018] - p["size_slope"] * math.log(params["size_center"]) / params["size_scale"]
    )
    # a logit model of a thresholded item never has the generator's form
    assert sim.generator_truth(job_spec(settings, "cloud"), params) == {}
    # nor a binomial model with another formula
    other = dict(spec, formula="log_population + C(year)")
    assert sim.generator_truth(other, params) == {}


def test_generator_form_truth_is_what_a_large_panel_estimates(settings, frames, targets, crosswalk):
    """The claim behind true_source = generator: without the municipality effect, a fit
    on a large panel lands on the generator's parameters."""
    params = copy.deepcopy(settings.synthetic)
    params["persistence"]["count_sd"] = 0.0
    spec = _services(settings)
    big = sim.make_large_panel(
        frames, params, settings.codebook, targets, crosswalk, settings.size_groups, 5, 20
    )
    assert big["kommunenr"].nunique() > 20 * 350
    truth = sim.truth_table(big, [spec], params, 0.95)
    coef = truth[truth["kind"] == "coefficient"].set_index("term")
    assert set(coef["true_source"]) == {"generator"}
    fit = sim.fit_rows(big, [spec], 0.95)
    fit = fit[fit["kind"] == "coefficient"].set_index("term")
    # within about 4 standard errors of the large panel's fit; a scale slip (the slope
    # itself instead of slope / size_scale: 0.35 vs 0.233) is far outside
    for term in ("log_population", "competence_large", "C(year)[T.2024]"):
        assert fit.loc[term, "estimate"] == pytest.approx(coef.loc[term, "true"], abs=0.05)
    # effects are always pseudo-true (one fit on the large panel)
    eff = truth[truth["kind"] == "effect"]
    assert len(eff) == 2 and set(eff["true_source"]) == {"pseudo_true"}


def _data(settings, frames, targets, crosswalk):
    return dict(
        frames=frames,
        params=settings.synthetic,
        codebook=settings.codebook,
        targets=targets,
        crosswalk=crosswalk,
        size_groups=settings.size_groups,
    )


def test_chunking_does_not_change_a_seeds_rows(settings, frames, targets, crosswalk, config):
    data = _data(settings, frames, targets, crosswalk)
    specs = [job_spec(settings, m) for m in ("services", "competence_ordinal")]
    validation = dict(
        rules=settings.indicators,
        waves=config["waves"],
        calibration=calibration_ids(settings.synthetic),
    )
    seed = config["seed"]
    whole = sim.simulate_seeds([0, 1], seed, data, specs, 0.95, validation)
    # seed 1 alone in another chunk, first there instead of second (3 panels in all)
    part = sim.simulate_seeds([1], seed, data, specs, 0.95, validation)
    for i in (0, 1):
        moved = whole[i][whole[i]["seed_index"] == 1].reset_index(drop=True)
        assert len(moved) and set(part[i]["seed_index"]) == {1}
        pd.testing.assert_frame_equal(moved, part[i].reset_index(drop=True))
    est = whole[0]
    assert set(est["seed_index"]) == {0, 1}
    assert set(est["kind"]) == {"coefficient", "effect"}
    # different seeds, different panels: the estimates differ
    x = est[(est["model"] == "services") & (est["kind"] == "coefficient")]
    x = x[x["term"] == "competence_large"]
    assert x["estimate"].nunique() == 2
    # the validation checks are the scorecard's validation rows
    val = whole[1]
    assert len(val) and set(val["seed_index"]) == {0, 1}
    assert not set(val["target_id"]) & calibration_ids(settings.synthetic)


def test_the_shipped_study_runs_twenty_seeds_on_a_large_truth_panel(config):
    """The study `make report` runs (the workflow tests run it small: SMALL_SIMULATION)."""
    assert config["simulation"]["seeds"] >= 20 and config["simulation"]["truth_scale"] >= 25


@pytest.mark.slow
def test_workflow_writes_recovery_over_the_configured_seeds(built):
    from digikom.config import read_yaml

    seeds = read_yaml(built / "config" / "config.yaml")["simulation"]["seeds"]
    assert seeds >= 2
    rec = pd.read_csv(built / "results" / "simulation" / "recovery.csv")
    for col in ("model", "term", "true", "mean_estimate", "bias", "sd_estimate", "mean_se",
                "coverage", "n_seeds", "true_source", "kind"):  # fmt: skip
        assert col in rec.columns
    assert rec["n_seeds"].between(1, seeds).all()
    # a term that diverges by quasi-separation in a panel (the strategy model's largest
    # size group in one wave) is not counted there; every other term has all S seeds
    fewer = rec[rec["n_seeds"] < seeds]
    assert set(fewer["model"]) <= {"strategy"} and fewer["term"].str.contains(":").all()
    assert rec["coverage"].between(0, 1).all()
    assert rec["true"].notna().all()
    # every coefficient of every fitted model, and every declared effect, has a row
    coefs = pd.read_csv(built / "results" / "models" / "coefficients.csv")
    want = set(zip(coefs["model"], coefs["term"], strict=True))
    got = rec[rec["kind"] == "coefficient"]
    assert want <= set(zip(got["model"], got["term"], strict=True))
    # the terms whose slopes the generator sets
    for model, term in [
        ("services", "log_population"),
        ("services", "competence_large"),
        ("cloud", "log_population"),
        ("competence", "internal_functions"),
        ("competence_ordinal", "internal_functions"),
    ]:
        row = rec[(rec["model"] == model) & (rec["term"] == term) & (rec["kind"] == "coefficient")]
        assert len(row) == 1 and 0 <= row["coverage"].iloc[0] <= 1
        assert row["n_seeds"].iloc[0] == seeds
    eff = rec[rec["kind"] == "effect"]
    assert {"competence_large", "population_doubling"} <= set(eff["term"])
    val = pd.read_csv(built / "results" / "simulation" / "validation.csv")
    assert len(val) and (val["n_seeds"] == seeds).all()
    assert val["pass_share"].between(0, 1).all()


# --------------------------------------------------------------------------- report section
from test_sections import results  # noqa: E402, F401  (the fixture: a small results/ tree)


def _section(results, lang):  # noqa: F811
    import json

    from digikom.report import Report
    from digikom.sections import simulation as section
    from workflow_utils import publish_results

    ctx_path = results / "context.json"
    ctx = json.loads(ctx_path.read_text())
    ctx["models"] = [
        {"id": "m", "nb": "Modell M", "en": "Model M", "family": "binomial", "outcome": "weight",
         "formula": "weight", "effects": []}
    ]  # fmt: skip
    ctx_path.write_text(json.dumps(ctx))
    prov_path = results / "provenance.json"
    prov = json.loads(prov_path.read_text())
    prov["config"] = {"simulation": {"seeds": 20, "seeds_per_job": 10, "truth_scale": 100}}
    prov_path.write_text(json.dumps(prov))
    (results / "simulation").mkdir()
    rec = pd.DataFrame(
        [
            # coverage 60 % over 20 seeds: far from 95 %; SD 0.2 against SE 1.0: too wide
            ("m", "coefficient", "weight", "", 0.5, "pseudo_true", np.nan, 0.52, 0.02, 0.1,
             0.1, 0.6, 20, 0.95),
            ("m", "coefficient", "Intercept", "", -1.0, "generator", np.nan, -1.0, 0.0, 0.2,
             1.0, 1.0, 20, 0.95),
        ],
        columns=sim.RECOVERY_COLUMNS,
    )  # fmt: skip
    rec.to_csv(results / "simulation" / "recovery.csv", index=False)
    return section.render(Report(results=publish_results(results), lang=lang))


def test_report_section_names_coverage_far_from_nominal(results):  # noqa: F811
    md = _section(results, "nb")
    assert md.startswith("# Simulering:")
    assert "Dekning langt fra nominell" in md and "(60\u00a0%)" in md
    # the SD well below the SE is named with its ratio, and explained
    assert "(0,20)" in md
    assert "| 0,500 | pseudo-sann |" in md and "| −1,000 | generator |" in md
    assert "| Dekning |" in md and "95\u00a0%-intervallene" in md


def test_report_section_en(results):  # noqa: F811
    md = _section(results, "en")
    assert md.startswith("# Simulation:")
    assert "Coverage far from nominal" in md and "(0.20)" in md
    for word in ("Simulering", "Dekning", "frø", "sann verdi"):
        assert word not in md


def test_fitting_warnings_of_simulated_panels_are_counted_not_repeated(caplog):
    """S panels would repeat one separation warning S times on the console: the fits'
    warnings go to the job log at INFO and one WARNING line counts them."""
    import logging

    from digikom.simulation import _Demote

    demote = _Demote()
    fit_log = logging.getLogger("digikom.models.fit")
    fit_log.addFilter(demote)
    try:
        with caplog.at_level(logging.INFO):
            fit_log.warning("model strategy: quasi-complete separation")
            fit_log.warning("model strategy: quasi-complete separation")
            fit_log.info("fitted")
    finally:
        fit_log.removeFilter(demote)
    assert demote.count == 2
    assert [r.levelname for r in caplog.records] == ["INFO", "INFO", "INFO"]
    fit_log.warning("outside the simulation")  # the filter is gone: a warning again
    assert caplog.records[-1].levelname == "WARNING"


def test_validation_rows_need_only_the_crosstab_waves_of_validation_checks(
    settings, frames, targets, crosswalk, config, monkeypatch
):
    """A replicate's checks skip the cross-tab cells of calibration targets: the rows are
    those of the scorecard with the whole cross-tab."""
    from digikom import indicators, simulation_checks

    data = _data(settings, frames, targets, crosswalk)
    panel = sim.make_panel(
        data["frames"], data["params"], data["codebook"], targets, crosswalk,
        settings.size_groups, sim.replicate_seed(config["seed"], 0),
    )  # fmt: skip
    calibration = calibration_ids(settings.synthetic)
    args = (panel, targets, settings.indicators, settings.codebook, config["waves"])
    trimmed = simulation_checks.validation_rows(*args, calibration)
    # the default config's cross-tab targets all calibrate the generator
    assert simulation_checks.crosstab_waves(targets, settings.indicators, calibration) == set()
    full = indicators.compute_crosstab(panel, settings.indicators, settings.codebook)
    monkeypatch.setattr(simulation_checks, "crosstab_waves", lambda *a: set(config["waves"]))
    monkeypatch.setattr(indicators, "compute_crosstab", lambda *a: full)
    pd.testing.assert_frame_equal(trimmed, simulation_checks.validation_rows(*args, calibration))
    monkeypatch.undo()
    # without calibration targets the cross-tab cells are validation checks, and computed
    assert simulation_checks.crosstab_waves(targets, settings.indicators, set()) == {2020}
    rows = simulation_checks.validation_rows(*args, set())
    assert rows["target_id"].str.startswith("xtab2020_").sum() == 9
