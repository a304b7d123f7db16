"""MBG/NBD (ltv.mbgnbd): the likelihood integrates to the simulated frequencies, its gradient,
its predictions against the direct forms, and parameter recovery."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, optimize, special

from kuailive_analysis.ltv import BetaGeo, ModifiedBetaGeo

MBG_PARAMS = {"r": 0.6, "alpha": 3.0, "a": 1.5, "b": 4.0}


def test_mbgnbd_likelihood_integrates_to_the_simulated_frequencies():
    """exp(LL) is P(x = 0) at t_x = 0 and, for x >= 1, integrated over the purchase times in
    (0, T] it must give P(X(T) = x), which must match a simulation of the process."""

    T = 8.0
    theta = np.log([MBG_PARAMS[k] for k in ("r", "alpha", "a", "b")])

    def lik(x, tx):
        return np.exp(
            -ModifiedBetaGeo.negative_log_likelihood(
                theta, np.array([x]), np.array([tx]), np.array([T]), np.ones(1), grad=False
            )[0]
        )

    # the likelihood is per ordered set of purchase times; for the pair (x, t_x) the first
    # x - 1 times fill (0, t_x) in t_x^(x-1) / (x-1)! ways
    probs = [lik(0.0, 0.0)] + [
        integrate.quad(
            lambda u, x=x: lik(float(x), u) * u ** (x - 1) / special.factorial(x - 1), 0, T
        )[0]
        for x in range(1, 6)
    ]
    pmf = ModifiedBetaGeo(MBG_PARAMS).probability_of_purchases([T], 5)[0]
    np.testing.assert_allclose(probs, pmf, rtol=1e-6, atol=1e-9)
    freq = ModifiedBetaGeo.simulate(MBG_PARAMS, np.full(100_000, T), rng=3)["frequency"].to_numpy()
    sim = np.bincount(freq, minlength=6)[:6] / freq.size
    np.testing.assert_allclose(sim, pmf, atol=0.005)
    # the mean number of repeats matches the unconditional expectation
    assert freq.mean() == pytest.approx(
        float(ModifiedBetaGeo(MBG_PARAMS).expected_purchases_new(T)), rel=0.03
    )


def test_mbgnbd_gradient_and_reduction_to_the_predictions():

    rng = np.random.default_rng(0)
    x = rng.integers(0, 6, 50).astype(float)
    T = rng.uniform(6, 12, 50)
    tx = np.where(x > 0, rng.uniform(0, 1, 50) * T, 0.0)
    w = rng.uniform(0.5, 2, 50)
    th = np.log([0.4, 2.0, 1.2, 3.0])
    g = ModifiedBetaGeo.negative_log_likelihood(th, x, tx, T, w)[1]
    num = optimize.approx_fprime(
        th, lambda t: ModifiedBetaGeo.negative_log_likelihood(t, x, tx, T, w, grad=False)[0], 1e-7
    )
    np.testing.assert_allclose(g, num, rtol=1e-4, atol=1e-7)
    m = ModifiedBetaGeo(MBG_PARAMS)
    # a user without repeats is no longer surely alive (BG/NBD: P(alive) = 1)
    assert (
        m.probability_alive(0, 0, 10) < 1 and BetaGeo(MBG_PARAMS).probability_alive(0, 0, 10) == 1
    )
    # Euler form = direct hypergeometric form of the conditional expectation
    r, al, a, b = (MBG_PARAMS[k] for k in ("r", "alpha", "a", "b"))
    for xx, txx, TT, t in ((0, 0, 5, 7), (3, 4, 9, 7), (10, 9, 13, 30)):
        z = t / (al + TT + t)
        direct = (
            (a + b + xx)
            / (a - 1)
            * (
                1
                - ((al + TT) / (al + TT + t)) ** (r + xx)
                * special.hyp2f1(r + xx, b + xx + 1, a + b + xx, z)
            )
            * m.probability_alive(xx, txx, TT)
        )
        assert m.expected_purchases(t, xx, txx, TT) == pytest.approx(direct, rel=1e-9)


def test_mbgnbd_recovers_simulated_parameters():

    T = np.random.default_rng(1).uniform(10, 30, 20_000)
    sim = ModifiedBetaGeo.simulate(MBG_PARAMS, T, rng=2)
    freq, rec = sim["frequency"], sim["recency"]
    fit = ModifiedBetaGeo().fit(freq, rec, T)
    s = fit.summary_
    for k, v in MBG_PARAMS.items():
        assert s.loc[k, "ci_low"] * 0.9 <= v <= s.loc[k, "ci_high"] * 1.1, (k, s.loc[k].tolist())
    # BG/NBD fitted to the same data (it cannot see dropout at the first gift) fits worse
    assert fit.log_likelihood_ > BetaGeo().fit(freq, rec, T).log_likelihood_
