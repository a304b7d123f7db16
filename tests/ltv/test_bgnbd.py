"""BG/NBD (ltv.bgnbd, ltv.base): the published CDNOW fit, Lifetimes as an independent
implementation, the likelihood's gradient, the hypergeometric forms, the frequency
distribution, bad input, failed fits, the ridge fallback and parameter recovery."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from scipy import optimize, special

from kuailive_analysis.ltv import BetaGeo, ConvergenceError

BG_TRUE = {"r": 0.6, "alpha": 4.0, "a": 0.9, "b": 2.5}


def test_bgnbd_reproduces_published_cdnow_fit(cdnow_bg):
    p = cdnow_bg.params_
    assert p["r"] == pytest.approx(0.243, abs=5e-4)
    assert p["alpha"] == pytest.approx(4.414, abs=5e-4)
    assert p["a"] == pytest.approx(0.793, abs=5e-4)
    assert p["b"] == pytest.approx(2.426, abs=5e-4)
    assert cdnow_bg.log_likelihood_ == pytest.approx(-9582.4, abs=0.05)
    assert set(cdnow_bg.summary_.columns) >= {"estimate", "se", "ci_low", "ci_high"}
    assert np.all(cdnow_bg.summary_["se"] > 0)


def test_bgnbd_published_conditional_expectation(cdnow_bg):
    # FHL 2005, section 5: a customer with x=2, t_x=30.43, T=38.86 is expected to make
    # 1.226 purchases in the next 39 weeks.
    assert cdnow_bg.expected_purchases(39, 2, 30.43, 38.86) == pytest.approx(1.226, abs=5e-4)


def test_agrees_with_lifetimes(cdnow, cdnow_bg):
    lifetimes = pytest.importorskip("lifetimes")
    x, tx, T = (cdnow[c].to_numpy() for c in ("x", "t_x", "T"))
    lb = lifetimes.BetaGeoFitter().fit(x, tx, T)
    for k in ("r", "alpha", "a", "b"):
        assert cdnow_bg.params_[k] == pytest.approx(lb.params_[k], rel=1e-4)
    ours = BetaGeo(lb.params_.to_dict())  # same parameters -> same predictions
    np.testing.assert_allclose(
        ours.expected_purchases(52, x, tx, T),
        lb.conditional_expected_number_of_purchases_up_to_time(52, x, tx, T),
        rtol=1e-7,
    )
    np.testing.assert_allclose(
        ours.probability_alive(x, tx, T), lb.conditional_probability_alive(x, tx, T), rtol=1e-9
    )
    t = np.array([1.0, 10.0, 39.0, 78.0])
    np.testing.assert_allclose(
        ours.expected_purchases_new(t), lb.expected_number_of_purchases_up_to_time(t), rtol=1e-9
    )
    pmf = ours.probability_of_purchases([39.0], 5)[0]
    ref = [lb.probability_of_n_purchases_up_to_time(39.0, n) for n in range(6)]
    np.testing.assert_allclose(pmf, ref, rtol=1e-7)


def test_analytic_gradients_match_finite_differences():
    rng = np.random.default_rng(1)
    sim = BetaGeo.simulate(
        {"r": 0.7, "alpha": 3.0, "a": 1.2, "b": 4.0}, rng.uniform(2, 30, 300), rng=rng
    )
    x, tx, T = (sim[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    w = rng.integers(1, 4, x.size).astype(float)
    for theta in (np.log([0.7, 3.0, 1.2, 4.0]), np.array([-1.0, 2.0, 0.5, -0.3])):
        _, grad = BetaGeo.negative_log_likelihood(theta, x, tx, T, w)
        f = lambda th: BetaGeo.negative_log_likelihood(th, x, tx, T, w, grad=False)[0]
        num = optimize.approx_fprime(theta, f, 1e-7)
        np.testing.assert_allclose(grad, num, rtol=1e-4, atol=1e-6)


def test_large_frequencies_are_finite_and_sensible(cdnow_bg):
    x = np.array([0, 50, 500, 5000, 50000], float)
    T = np.full(x.size, 60000.0)
    tx = np.where(x > 0, T, 0.0)
    val, grad = BetaGeo.negative_log_likelihood(
        np.log(list(cdnow_bg.params_.values())), x, tx, T, np.ones(5)
    )
    assert np.isfinite(val) and np.all(np.isfinite(grad))
    e = cdnow_bg.expected_purchases(10.0, x, tx, T)
    assert np.all(np.isfinite(e)) and np.all(np.diff(e) > 0)
    # a very frequent customer, just seen: rate ~ x / T, alive with prob ~1
    assert e[-1] == pytest.approx(10 * x[-1] / T[-1], rel=0.05)


@settings(max_examples=40, deadline=None)
@given(
    r=st.floats(0.1, 5),
    alpha=st.floats(0.5, 50),
    a=st.floats(1.05, 5),
    b=st.floats(0.5, 20),
    x=st.integers(0, 40),
    frac=st.floats(0, 1),
    T=st.floats(1, 60),
    t=st.floats(0.5, 60),
)
def test_euler_form_equals_direct_hypergeometric(r, alpha, a, b, x, frac, T, t):
    bg = BetaGeo({"r": r, "alpha": alpha, "a": a, "b": b})
    tx = frac * T if x > 0 else 0.0
    ours = bg.expected_purchases(t, x, tx, T)
    z = t / (alpha + T + t)
    direct = (
        (a + b + x - 1)
        / (a - 1)
        * (
            1
            - ((alpha + T) / (alpha + T + t)) ** (r + x)
            * special.hyp2f1(r + x, b + x, a + b + x - 1, z)
        )
    )
    direct *= bg.probability_alive(x, tx, T)
    if np.isfinite(direct):
        assert ours == pytest.approx(direct, rel=1e-6, abs=1e-10)
    assert ours >= 0


@settings(max_examples=25, deadline=None)
@given(
    r=st.floats(0.1, 3),
    alpha=st.floats(0.5, 20),
    a=st.floats(1.1, 5),
    b=st.floats(0.5, 10),
    t=st.floats(0.5, 40),
)
def test_pmf_sums_to_one_and_has_the_right_mean(r, alpha, a, b, t):
    bg = BetaGeo({"r": r, "alpha": alpha, "a": a, "b": b})
    P = bg.probability_of_purchases([t], 3000)[0]
    assert P.min() >= -1e-12
    assert P.sum() == pytest.approx(1.0, abs=1e-6)
    assert float(np.arange(P.size) @ P) == pytest.approx(
        float(bg.expected_purchases_new(t)), rel=1e-4
    )


def test_prediction_basics(cdnow_bg):
    assert cdnow_bg.expected_purchases(0.0, 3, 10, 20) == 0
    e = cdnow_bg.expected_purchases(np.arange(1, 30), 3, 10, 20)
    assert np.all(np.diff(e) > 0)
    assert cdnow_bg.probability_alive(0, 0, 38) == 1.0
    # more recent last purchase -> more likely alive
    pa = cdnow_bg.probability_alive(3, np.array([5, 20, 35]), 38)
    assert np.all(np.diff(pa) > 0)
    hist = cdnow_bg.expected_frequency_histogram(np.full(100, 38.86), 7)
    assert hist.sum() == pytest.approx(100)


def test_bad_input_gets_a_clear_error():
    with pytest.raises(ValueError, match="recency > T"):
        BetaGeo().fit([1, 2], [3.0, 5.0], [4.0, 4.0])
    with pytest.raises(ValueError, match="frequency.*negative"):
        BetaGeo().fit([-1, 2], [0.0, 3.0], [4.0, 4.0])
    with pytest.raises(ValueError, match="T .*negative"):
        BetaGeo().fit([0, 2], [0.0, 3.0], [-4.0, 4.0])
    with pytest.raises(ValueError, match="same length"):
        BetaGeo().fit([0, 2], [0.0, 3.0], [4.0])
    with pytest.raises(ValueError, match="whole numbers"):
        BetaGeo().fit([0.5, 2], [0.0, 3.0], [4.0, 4.0])
    with pytest.raises(ValueError, match="frequency 0 but recency > 0"):
        BetaGeo().fit([0, 2], [1.0, 3.0], [4.0, 4.0])
    with pytest.raises(ValueError, match="not fitted"):
        BetaGeo().probability_alive(1, 1, 2)


def test_unidentified_fit_raises_convergence_error():
    # nobody ever repeats: the purchase rate runs to zero, there is no interior optimum
    with pytest.raises(ConvergenceError, match="BG/NBD"):
        BetaGeo().fit(np.zeros(200), np.zeros(200), np.linspace(1, 30, 200))


def test_bgnbd_parameter_recovery_and_ci_coverage():
    covered, n = 0, 0
    errs = []
    for seed in range(20):
        rng = np.random.default_rng(1000 + seed)
        sim = BetaGeo.simulate(BG_TRUE, rng.uniform(10, 40, 2000), rng=rng)
        bg = BetaGeo().fit(sim["frequency"], sim["recency"], sim["T"])
        tab = bg.summary_
        for k, v in BG_TRUE.items():
            covered += tab.loc[k, "ci_low"] <= v <= tab.loc[k, "ci_high"]
            n += 1
            errs.append(np.log(bg.params_[k] / v))
    # 80 nominal-95% intervals: coverage below 85% has probability < 1e-3 if calibrated
    assert covered / n >= 0.85
    assert abs(np.mean(errs)) < 0.1  # no gross bias on the log scale


def test_simulated_holdout_matches_conditional_expectation():
    rng = np.random.default_rng(5)
    sim = BetaGeo.simulate(BG_TRUE, np.full(20000, 20.0), t_holdout=10.0, rng=rng)
    bg = BetaGeo(BG_TRUE)
    pred = bg.expected_purchases(10.0, sim["frequency"], sim["recency"], sim["T"])
    # totals by calibration frequency agree within sampling error
    g = (
        pd.DataFrame(
            {"x": sim["frequency"].clip(upper=5), "pred": pred, "act": sim["frequency_holdout"]}
        )
        .groupby("x")
        .sum()
    )
    assert np.all(np.abs(g["pred"] - g["act"]) < 4 * np.sqrt(g["pred"]) + 5)
    # P(alive) is calibrated against the simulated truth
    pa = bg.probability_alive(sim["frequency"], sim["recency"], sim["T"])
    assert abs(pa.mean() - sim["alive"].mean()) < 0.01


def test_expected_purchases_finite_when_a_and_b_are_huge():
    # a bootstrap replicate can land on a, b -> inf (same dropout p for everybody); the Euler
    # form overflows there and the direct form must take over, continuously in (a, b)
    x = np.array([0.0, 1.0, 3.0, 8.0])
    tx = np.array([0.0, 2.0, 5.0, 9.0])
    T = np.full(4, 10.0)

    def e(a, b):
        return BetaGeo({"r": 0.37, "alpha": 3.3, "a": a, "b": b}).expected_purchases(7, x, tx, T)

    big, less = e(1.1e5, 1.0e6), e(1.1e3, 1.0e4)
    assert np.all(np.isfinite(big))
    np.testing.assert_allclose(big, less, rtol=2e-3)


def test_ridge_penalizer_gives_an_interior_fit_and_reports_it():
    rng = np.random.default_rng(11)
    # nobody drops out (p = 0): plain BG/NBD has no interior optimum (a -> 0 or b -> inf)
    sim = BetaGeo.simulate(
        {"r": 2.0, "alpha": 10.0, "a": 1e-6, "b": 1e6}, rng.uniform(5, 20, 400), rng=rng
    )
    args = (sim["frequency"], sim["recency"], sim["T"])
    with pytest.raises(ConvergenceError):
        BetaGeo().fit(*args)
    bg = BetaGeo().fit(*args, penalizer=0.01)
    assert bg.penalizer_ == 0.01 and np.isfinite(bg.log_likelihood_)
    summ = pd.DataFrame(
        {"frequency_cal": sim["frequency"], "recency_cal": sim["recency"], "T_cal": sim["T"]}
    )
    model, reason = BetaGeo.fit_summary(summ)
    assert model is not None and model.penalizer_ > 0 and reason.startswith("BG/NBD: ")
