"""The simulation study (digikom.simulation, digikom.superpop, digikom.study_fit): seeds
and chunking, the superpopulation generator, the estimator against statsmodels, the true
values, the performance measures with their Monte Carlo SEs, the predictive check, the
report section and (slow) the workflow's recovery.csv."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from digikom import simulation as sim
from digikom import superpop as SP
from digikom.models.spec import job_spec
from digikom.synthetic import Cuts, calibration_ids, generate, top_k


def test_study_seeds_depend_only_on_seed_scenario_and_index():
    a = [sim.replicate_seed(20230601, k) for k in range(25)]
    assert a == [sim.replicate_seed(20230601, k) for k in range(25)]
    assert len(set(a)) == 25  # distinct panels
    assert sim.replicate_seed(7, 0) != sim.replicate_seed(8, 0)
    assert sim.truth_seed(20230601) not in a
    draw = [sim.study_rng(1, s, 3).random() for s in SP.SCENARIOS]
    assert len(set(draw)) == 3 and draw[0] == sim.study_rng(1, "correct", 3).random()


def test_chunks_partition_the_seeds():
    for seeds, per in [(20, 10), (20, 3), (21, 5), (20, 20), (20, 50)]:
        n = sim.n_chunks(seeds, per)
        got = [k for c in range(n) for k in sim.chunk_indices(seeds, per, c)]
        assert got == list(range(seeds))
        assert all(sim.chunk_indices(seeds, per, c) for c in range(n))  # no empty chunk
    assert sim.n_chunks(20, 3) == 7


# --------------------------------------------------------------------------- generator


def test_cut_points_recorded_on_a_sample_reproduce_its_exact_shares():
    rng = np.random.default_rng(1)
    latent, mask = rng.normal(size=200), rng.random(200) < 0.8
    cuts = Cuts()
    exact = top_k(latent, mask, 0.3, cuts, "x")
    applied = top_k(latent, mask, 0.3, Cuts(cuts.values), "x")
    np.testing.assert_array_equal(exact, applied)
    assert exact.sum() == round(0.3 * mask.sum())
    # new latent scores: each row compared with the fixed cut, the share is free to vary
    other = top_k(rng.normal(size=200), mask, 0.3, Cuts(cuts.values), "x")
    assert other[~mask].sum() == 0 and other.sum() != exact.sum()
    # share 0 and 1 give cuts above the highest and below the lowest score
    for share, total in ((0.0, 0), (1.0, int(mask.sum()))):
        c = Cuts()
        top_k(latent, mask, share, c, "y")
        assert top_k(latent, mask, share, Cuts(c.values), "y").sum() == total


@pytest.fixture(scope="module")
def study(settings, frames, targets, crosswalk):
    """Cut-points solved on 4x the frames and one superpopulation draw (covariates)."""
    p, cb = settings.synthetic, settings.codebook
    cuts = SP.solve_cuts(frames, p, cb, targets, crosswalk, 5, 4)
    panel, latent = SP.covariate_panel(
        frames, p, cb, targets, crosswalk, settings.size_groups, cuts, 7
    )
    return cuts, panel, latent


def test_superpopulation_draws_vary_around_the_calibrated_shares(
    settings, frames, targets, crosswalk, study
):
    cuts = study[0]
    p, cb = settings.synthetic, settings.codebook
    shares = []
    for seed in (1, 2):
        m = generate(frames, p, cb, targets, seed, crosswalk, Cuts(cuts))
        m = m[m["responded"]]
        shares.append(m.groupby("year")["cloud_use"].mean())
    # the assumed cloud-use share of 2022 is 75 %: met on average, not exactly
    for s in shares:
        assert abs(s[2022] - 0.75) < 0.06
    assert (shares[0] != shares[1]).all()
    # every frame row has answers in the covariate draw; the response share is near target
    panel, latent = study[1], study[2]
    assert panel["cloud_use"].notna().all()
    assert abs(latent["responded"][panel["year"] == 2018].mean() - 0.89) < 0.05


def test_expected_outcome_is_the_mean_of_the_generators_draws(settings, study):
    """E[y | x] of the true values is the generator's: over many draws the mean outcome
    of each row matches it (binary, count and ordinal)."""
    cuts, panel, latent = study
    p = settings.synthetic
    for mid in ("cloud", "services", "competence_ordinal"):
        d = SP.build_design(panel, latent, job_spec(settings, mid), "default", cuts)
        ex = SP.expected(d, p)
        mean = ex @ np.arange(1, 6) if d.kind == "ordinal" else ex
        rng = np.random.default_rng(3)
        draws = np.array([SP.draw(d, rng, p)[0] for _ in range(400)])
        assert abs(draws.mean() / mean.mean() - 1) < 0.01
        # row by row: each row's mean over the draws follows its expected outcome
        assert np.corrcoef(draws.mean(axis=0), mean)[0, 1] > 0.9


# --------------------------------------------------------------------------- estimator


def test_study_estimator_is_the_reports_fit(settings, study):
    """The study's fits (digikom.study_fit) give the estimates and cluster-robust SEs of
    digikom.models.fit (statsmodels) on the same panel: the method under test is the
    report's."""
    from digikom.models.design import estimation_frame
    from digikom.models.fit import fit_model

    cuts, panel, latent = study
    respondents = panel[latent["responded"]].reset_index(drop=True)
    for mid in ("cloud", "services", "competence_ordinal", "strategy"):
        spec = job_spec(settings, mid)
        d = SP.build_design(panel, latent, spec, "default", cuts)
        frame, _ = estimation_frame(
            panel.assign(responded=True, _row=np.arange(len(panel))), spec, keep=("_row",)
        )
        y = panel[spec["outcome"]].to_numpy(float)[frame["_row"].to_numpy()]
        ours = sim._fit(d, y, d.answers, sim._start(d))
        ref = fit_model(respondents, dict(spec), None, None, False, 0.95).coefficients
        tol = 1e-4 if d.kind == "ordinal" else 1e-8
        np.testing.assert_allclose(ours[0], ref["estimate"], atol=tol)
        np.testing.assert_allclose(np.sqrt(np.diag(ours[1])), ref["std_error"], rtol=tol)
        assert sim.term_names(d)[0] == ref["term"].tolist()


def test_cluster_covariance_by_hand():
    """c * H^-1 (sum_g s_g s_g^T) H^-1 with c = G/(G-1) (N-1)/(N-K), for two clusters of a
    one-parameter model."""
    from digikom.study_fit import _cluster_cov

    bread = np.array([[0.5]])
    scores = np.array([[1.0], [2.0], [-1.0], [0.5]])
    groups = np.array([0, 0, 1, 1])
    meat = (1.0 + 2.0) ** 2 + (-1.0 + 0.5) ** 2
    c = 2 / 1 * 3 / 3
    assert _cluster_cov(bread, scores, groups)[0, 0] == pytest.approx(c * 0.25 * meat)


def test_separated_fit_fails_and_is_counted():
    from digikom.study_fit import fit_binomial

    X = np.column_stack([np.ones(40), np.r_[np.zeros(20), np.ones(20)]])
    y = np.r_[np.zeros(10), np.ones(10), np.ones(20)]  # x = 1: all ones
    assert fit_binomial(X, y, np.ones(40), np.arange(40)) is None
    y[25] = 0
    beta, cov = fit_binomial(X, y, np.ones(40), np.arange(40))
    assert beta[1] == pytest.approx(math.log(19) - 0.0)


# --------------------------------------------------------------------------- study


def test_chunking_does_not_change_a_seeds_rows_and_failures_are_counted(
    settings, study, monkeypatch
):
    cuts, panel, latent = study
    spec = job_spec(settings, "competence")
    args = (panel, latent, cuts, settings.synthetic, ["correct", "mnar"])
    whole = sim.simulate_model(spec, *args, [0, 1, 2], 1, 0.95, 1.5)
    part = sim.simulate_model(spec, *args, [2], 1, 0.95, 1.5)
    moved = whole[whole["seed_index"] == 2].reset_index(drop=True)
    pd.testing.assert_frame_equal(moved, part.reset_index(drop=True))
    assert list(whole.columns) == sim.ESTIMATE_COLUMNS
    assert whole.groupby(["scenario", "term"]).size().eq(3).all()
    # the true values: correct plants the default's, mnar is over every frame row
    t = whole.groupby(["scenario", "term"])["true"].first().unstack(0)
    assert not np.allclose(t["correct"], t["mnar"])
    # a seed whose fit fails keeps its rows, with status failed and no estimate
    from digikom import study_fit

    orig = study_fit.fit_binomial_batch

    def failing(*a):
        b, cov, ok = orig(*a)
        return b, cov, np.zeros_like(ok)

    monkeypatch.setattr(study_fit, "fit_binomial_batch", failing)
    failed = sim.simulate_model(spec, *args, [0, 1], 1, 0.95, 1.5)
    assert (failed["status"] == "failed").all() and failed["estimate"].isna().all()
    rec = sim.recovery_table(failed, 0.95)
    assert (rec["n_failed"] == 2).all() and (rec["n_seeds"] == 0).all()


def test_true_value_is_the_fit_to_expected_outcomes(settings, study):
    """default: the working model fitted to E[y | x] of the respondents, which for the
    strategy model (log size and year; the generator's probit in size) is close to, not
    equal to, a logit of the generator's slope."""
    from digikom.study_fit import fit_binomial

    cuts, panel, latent = study
    d = SP.build_design(panel, latent, job_spec(settings, "strategy"), "default", cuts)
    true = sim.true_values({"default": d}, settings.synthetic)["default"]
    a = d.answers
    by_hand = fit_binomial(d.X[a], SP.expected(d, settings.synthetic)[a], d.trials[a], None)[0]
    np.testing.assert_allclose(true, by_hand)
    # probit slope 0.8 per size-scale unit, on the logit scale about 1.7 x / LOGIT_SD
    slope = dict(zip(d.names, true, strict=True))["log_population"]
    assert 0.8 / 1.5 / 1.81 * 1.5 < slope < 0.8 / 1.5 / 1.81 * 1.9


# --------------------------------------------------------------------------- summaries


def _estimates(rows):
    cols = ["scenario", "seed_index", "model", "term", "term_type", "true", "estimate", "se",
            "ci_low", "ci_high", "status"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def test_recovery_measures_and_mcse_hand_computed():
    est = _estimates(
        [
            ("default", 0, "m", "x", "coefficient", 1.0, 0.8, 0.2, 0.4, 1.2, "ok"),
            ("default", 1, "m", "x", "coefficient", 1.0, 1.0, 0.3, 0.4, 1.6, "ok"),
            ("default", 2, "m", "x", "coefficient", 1.0, 1.5, 0.1, 1.3, 1.7, "ok"),
            ("default", 3, "m", "x", "coefficient", 1.0, np.nan, np.nan, np.nan, np.nan,
             "failed"),
        ]
    )  # fmt: skip
    r = sim.recovery_table(est, 0.95).iloc[0]
    assert list(sim.recovery_table(est, 0.95).columns) == sim.RECOVERY_COLUMNS
    sd = math.sqrt(0.13)
    assert r["mean_estimate"] == pytest.approx(1.1)
    assert r["bias"] == pytest.approx(0.1)
    assert r["bias_mcse"] == pytest.approx(sd / math.sqrt(3))
    assert r["sd_estimate"] == pytest.approx(sd)
    assert r["sd_mcse"] == pytest.approx(sd / 2)
    model_se = math.sqrt((0.04 + 0.09 + 0.01) / 3)
    assert r["se_ratio"] == pytest.approx(sd / model_se)
    assert r["se_rel_error"] == pytest.approx(model_se / sd - 1)
    var_se2 = np.var([0.04, 0.09, 0.01], ddof=1)
    mcse = model_se / sd * math.sqrt(var_se2 / (4 * 3 * model_se**4) + 1 / 4)
    assert r["se_rel_error_mcse"] == pytest.approx(mcse)
    assert r["coverage"] == pytest.approx(2 / 3)
    assert r["coverage_mcse"] == pytest.approx(math.sqrt(2 / 9 / 3))
    # bias-eliminated: the intervals around the mean estimate 1.1
    assert r["be_coverage"] == pytest.approx(2 / 3)
    # the failed seed is counted, not dropped
    assert r["n_seeds"] == 3 and r["n_failed"] == 1


def test_departures_are_flagged_in_both_directions_against_the_mcse():
    rng = np.random.default_rng(0)
    n = 400
    rows = []
    for k in range(n):
        e = rng.normal(0, 0.1)
        # "wide": SE 0.3 against a spread of 0.1: over-coverage (100 %), flagged
        rows.append(("default", k, "m", "wide", "coefficient", 0.0, e, 0.3, e - 0.6, e + 0.6, "ok"))
        # "honest": SE equals the spread
        rows.append(("default", k, "m", "honest", "coefficient", 0.0, e, 0.1, e - 0.196,
                     e + 0.196, "ok"))  # fmt: skip
        # "biased": shifted by 0.05 = 20 MCSE
        rows.append(("default", k, "m", "biased", "coefficient", 0.0, e + 0.05, 0.1,
                     e + 0.05 - 0.196, e + 0.05 + 0.196, "ok"))  # fmt: skip
    rec = sim.recovery_table(_estimates(rows), 0.95).set_index("term")
    assert rec.loc["wide", "coverage"] == 1.0 and rec.loc["wide", "coverage_flag"]
    assert rec.loc["wide", "se_flag"] and rec.loc["wide", "se_rel_error"] > 1
    assert not rec.loc["honest", ["bias_flag", "coverage_flag", "se_flag"]].any()
    assert rec.loc["biased", "bias_flag"] and not rec.loc["biased", "se_flag"]


def test_predictive_check_hand_computed():
    v = np.arange(1, 201) / 200  # 0.005 ... 1.0
    rows = pd.DataFrame(
        {
            "seed_index": range(200),
            "seed": range(200),
            "target_id": "a",
            "reference": "published",
            "year": 2022,
            "published_low": 0.295,
            "published_high": 0.305,
            "reproduced": v,
        }
    )
    far = rows.assign(target_id="b", published_low=0.999, published_high=1.0)
    out = sim.validation_summary(pd.concat([rows, far])).set_index("target_id")
    lo, hi = np.quantile(v, [0.025, 0.975])
    assert out.loc["a", "pred_low"] == pytest.approx(lo)
    assert out.loc["a", "pred_high"] == pytest.approx(hi)
    # published 30 % (0.295-0.305): 59 values below 0.3, one equal (0.3), ties half
    assert out.loc["a", "percentile"] == pytest.approx((59 + 0.5) / 200)
    assert not out.loc["a", "outside"] and out.loc["b", "outside"]
    assert out.loc["a", "n_seeds"] == 200


def test_the_shipped_study_runs_two_hundred_seeds_per_scenario(config):
    """The study `make report` runs (the workflow tests run it small: SMALL_SIMULATION)."""
    s = config["simulation"]
    assert s["seeds"] >= 200 and s["validation_seeds"] >= 50 and s["truth_scale"] >= 25
    assert s["scenarios"] == ["correct", "default", "mnar"]


def test_validation_panels_give_the_scorecards_validation_figures(
    settings, frames, targets, crosswalk, config, study
):
    data = dict(
        frames=frames, params=settings.synthetic, codebook=settings.codebook, targets=targets,
        crosswalk=crosswalk, size_groups=settings.size_groups,
    )  # fmt: skip
    validation = dict(
        rules=settings.indicators,
        waves=config["waves"],
        calibration=calibration_ids(settings.synthetic),
    )
    val = sim.validation_panels([0, 1], config["seed"], data, study[0], validation)
    assert list(val.columns) == sim.VALIDATION_COLUMNS
    assert set(val["seed_index"]) == {0, 1}
    assert not set(val["target_id"]) & calibration_ids(settings.synthetic)
    # different panels, different values (the superpopulation draws are independent)
    assert val.groupby("target_id")["reproduced"].nunique().max() == 2


@pytest.mark.slow
def test_workflow_writes_recovery_over_the_configured_seeds(built):
    from digikom.config import read_yaml

    cfg = read_yaml(built / "config" / "config.yaml")["simulation"]
    seeds = cfg["seeds"]
    rec = pd.read_csv(built / "results" / "simulation" / "recovery.csv")
    for col in ("scenario", "model", "term", "true", "bias", "bias_mcse", "sd_estimate",
                "mean_se", "coverage", "coverage_mcse", "n_seeds", "n_failed"):  # fmt: skip
        assert col in rec.columns
    # every seed is evaluated: the seeds whose fit worked and those that failed add up
    assert (rec["n_seeds"] + rec["n_failed"] == seeds).all()
    assert set(rec["scenario"]) == set(cfg["scenarios"])
    assert rec["coverage"].between(0, 1).all() and rec["true"].notna().all()
    # every coefficient of every fitted model has a row in every scenario
    coefs = pd.read_csv(built / "results" / "models" / "coefficients.csv")
    want = set(zip(coefs["model"], coefs["term"], strict=True))
    for _, g in rec.groupby("scenario"):
        assert want <= set(zip(g["model"], g["term"], strict=True))
    val = pd.read_csv(built / "results" / "simulation" / "validation.csv")
    assert len(val) and (val["n_seeds"] == cfg["validation_seeds"]).all()
    assert (val["pred_low"] <= val["pred_high"]).all() and val["percentile"].between(0, 1).all()


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
        {"id": "m", "nb": "Modell M", "nn": "Modell M", "en": "Model M", "family": "binomial",
         "outcome": "weight", "formula": "weight", "effects": []}
    ]  # fmt: skip
    ctx_path.write_text(json.dumps(ctx))
    prov_path = results / "provenance.json"
    prov = json.loads(prov_path.read_text())
    prov["config"] = {"simulation": {"seeds": 200, "seeds_per_job": 200, "truth_scale": 25}}
    prov_path.write_text(json.dumps(prov))
    (results / "simulation").mkdir()
    base = dict(model="m", term_type="coefficient", mean_estimate=0.5, bias=0.0, bias_mcse=0.01,
                sd_estimate=0.1, sd_mcse=0.005, mean_se=0.1, se_ratio=1.0, se_rel_error=0.0,
                se_rel_error_mcse=0.05, coverage=0.95, coverage_mcse=0.015, be_coverage=0.95,
                be_coverage_mcse=0.015, n_seeds=200, n_failed=0, bias_flag=False,
                coverage_flag=False, se_flag=False, confidence=0.95)  # fmt: skip
    rec = pd.DataFrame(
        [
            {**base, "scenario": "correct", "term": "weight", "true": 0.5},
            # over-coverage 100 % in the default scenario: a departure, named
            {**base, "scenario": "default", "term": "weight", "true": 0.5, "coverage": 1.0,
             "coverage_flag": True, "coverage_mcse": 0.0},
            {**base, "scenario": "mnar", "term": "weight", "true": 0.4, "bias": 0.1,
             "bias_flag": True, "n_failed": 2, "n_seeds": 198},
        ]
    )[sim.RECOVERY_COLUMNS]  # fmt: skip
    rec.to_csv(results / "simulation" / "recovery.csv", index=False)
    return section.render(Report(results=publish_results(results), lang=lang))


def test_report_section_names_departures_per_scenario(results):  # noqa: F811
    md = _section(results, "nb")
    assert md.startswith("# Simulering:")
    assert "Riktig spesifisert: alle 1 ledd ligger innenfor tre Monte Carlo-standardfeil" in md
    assert "Standard: 1 av 1 ledd avviker med mer enn tre Monte Carlo-standardfeil" in md
    # the per-model table: every scenario, bias and coverage with their Monte Carlo SEs
    assert "| 100\u00a0% (0,000) | 0 |" in md and "| 0,100 (0,010) |" in md
    assert "| Frafall avhenger av svaret |" in md and "| 198 |" not in md
    assert "| 2 |" in md  # the failed fits of mnar


def test_report_section_en_has_no_code_words(results):  # noqa: F811
    md = _section(results, "en")
    assert md.startswith("# Simulation:")
    assert "Default: 1 of 1 terms depart" in md
    for word in ("Simulering", "Dekning", "mnar", "_flag", "scenario_", "sann verdi"):
        assert word not in md


def test_panel_template_fills_a_panel_as_build_panel_builds_it(
    settings, frames, targets, crosswalk, study
):
    from digikom.panel import build_panel

    data = dict(
        frames=frames, params=settings.synthetic, codebook=settings.codebook, targets=targets,
        crosswalk=crosswalk, size_groups=settings.size_groups,
    )  # fmt: skip
    gen = [
        generate(frames, settings.synthetic, settings.codebook, targets, s, crosswalk,
                 Cuts(study[0]))
        for s in (1, 2)
    ]  # fmt: skip
    template = sim.PanelTemplate(gen[0], data)
    micro = gen[1][gen[1]["responded"]].drop(columns="responded").reset_index(drop=True)
    want = build_panel(micro, frames, settings.size_groups, settings.codebook, crosswalk)
    pd.testing.assert_frame_equal(template.fill(gen[1]), want)


def test_batched_fits_equal_one_fit_per_seed(settings, study):
    """fit_binomial_batch (all seeds at once) gives fit_binomial's numbers seed by seed,
    with each seed's own rows (scenario mnar) and a separated seed failing alone."""
    from digikom.study_fit import fit_binomial, fit_binomial_batch

    cuts, panel, latent = study
    d = SP.build_design(panel, latent, job_spec(settings, "cloud"), "mnar", cuts)
    true = sim.true_values({"mnar": d}, settings.synthetic)["mnar"]
    draws = [
        SP.draw(d, sim.study_rng(1, "mnar", k), settings.synthetic, true, 1.5) for k in range(4)
    ]
    Y = np.array([y for y, _ in draws])
    masks = np.array([r for _, r in draws])
    Y[3] = (d.X[:, 1] > np.median(d.X[:, 1])).astype(float)  # separated by log population
    b, cov, ok = fit_binomial_batch(d.X, Y, d.trials, d.groups, true, masks)
    assert ok.tolist() == [True, True, True, False]
    for s in range(3):
        r = masks[s]
        one = fit_binomial(d.X[r], Y[s][r], d.trials[r], d.groups[r], true)
        np.testing.assert_allclose(b[s], one[0], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(cov[s], one[1], rtol=1e-8, atol=1e-14)
