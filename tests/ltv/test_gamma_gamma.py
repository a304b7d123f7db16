"""Gamma-Gamma (ltv.gamma_gamma): the published CDNOW fit, Lifetimes, the gradient, shrinkage,
bad input and parameter recovery."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from kuailive_analysis.ltv import GammaGamma
from kuailive_analysis.ltv.gamma_gamma import sample_mean_spend, simulate_gamma_gamma

GG_TRUE = {"p": 5.0, "q": 3.5, "gamma": 12.0}


def test_gamma_gamma_reproduces_published_cdnow_fit(cdnow_gg):
    p = cdnow_gg.params_
    assert cdnow_gg.n_customers_ == 946
    assert p["p"] == pytest.approx(6.25, abs=5e-3)
    assert p["q"] == pytest.approx(3.74, abs=5e-3)
    assert p["gamma"] == pytest.approx(15.44, abs=1e-2)


def test_gamma_gamma_shrinks_toward_population_mean(cdnow_gg):
    mean = cdnow_gg.mean_spend
    assert cdnow_gg.expected_spend(0, 999.0) == pytest.approx(mean)
    e = cdnow_gg.expected_spend(np.array([1, 5, 50]), np.full(3, 100.0))
    assert np.all((e > mean) & (e < 100)) and np.all(np.diff(e) > 0)


def test_gamma_gamma_parameter_recovery_and_ci_coverage():
    covered, n = 0, 0
    for seed in range(20):
        rng = np.random.default_rng(2000 + seed)
        x = rng.integers(1, 12, 1500)
        m = simulate_gamma_gamma(GG_TRUE, x, rng=rng)
        gg = GammaGamma().fit(x, m)
        for k, v in GG_TRUE.items():
            covered += gg.summary_.loc[k, "ci_low"] <= v <= gg.summary_.loc[k, "ci_high"]
            n += 1
    assert covered / n >= 0.85


def test_agrees_with_lifetimes(cdnow, cdnow_gg):
    lifetimes = pytest.importorskip("lifetimes")
    rep = cdnow[cdnow["x"] > 0]
    lg = lifetimes.GammaGammaFitter().fit(rep["x"], rep["zbar"])
    for ours_k, theirs_k in (("p", "p"), ("q", "q"), ("gamma", "v")):
        assert cdnow_gg.params_[ours_k] == pytest.approx(lg.params_[theirs_k], rel=1e-4)
    np.testing.assert_allclose(
        GammaGamma(
            {"p": lg.params_["p"], "q": lg.params_["q"], "gamma": lg.params_["v"]}
        ).expected_spend(rep["x"], rep["zbar"]),
        lg.conditional_expected_average_profit(rep["x"], rep["zbar"]),
        rtol=1e-9,
    )


def test_analytic_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    x = rng.integers(1, 12, 300).astype(float)
    w = rng.integers(1, 4, x.size).astype(float)
    m = simulate_gamma_gamma({"p": 4.0, "q": 3.0, "gamma": 10.0}, x, rng=rng)
    nll = GammaGamma.negative_log_likelihood
    for theta in (np.log([4.0, 3.0, 10.0]), np.array([0.1, 1.5, 3.0])):
        f = lambda th: nll(th, x, m, w, grad=False)[0]  # noqa: E731
        np.testing.assert_allclose(
            nll(theta, x, m, w)[1], optimize.approx_fprime(theta, f, 1e-7), rtol=1e-4, atol=1e-6
        )


def test_bad_input_gets_a_clear_error():
    with pytest.raises(ValueError, match="no monetary value"):
        GammaGamma().fit([0, 2, 3], [0.0, np.nan, 4.0])
    with pytest.raises(ValueError, match="no monetary value"):
        GammaGamma().fit([1, 2], [0.0, 4.0])
    with pytest.raises(ValueError, match="negative"):
        GammaGamma().fit([1, 2], [-3.0, 4.0])
    with pytest.raises(ValueError, match="same length"):
        GammaGamma().fit([1, 2], [3.0])
    with pytest.raises(ValueError, match="not fitted"):
        GammaGamma().expected_spend(1, 2.0)


def test_ridge_fallback_and_sample_mean():
    # no spread of value within users (every transaction of a user has the same value):
    # p runs to infinity, the plain fit has no interior maximum; a ridge penalty gives one
    summary = pd.DataFrame({"frequency_cal": [0, 1, 2, 3, 4, 5] * 20})
    summary["monetary_cal"] = np.where(summary["frequency_cal"] > 0, 10.0 + summary.index, 0.0)
    model, reason = GammaGamma.fit_summary(summary)
    assert model is not None and np.isfinite(model.log_likelihood_)
    assert model.penalizer_ > 0 and reason.startswith("Gamma-Gamma: ")
    assert sample_mean_spend([0, 1, 3], [99.0, 4.0, 8.0]) == 6.0
    assert sample_mean_spend([0, 1, 3], [99.0, 4.0, 8.0], weights=[1, 3, 1]) == 5.0
