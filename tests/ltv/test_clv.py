"""CLV (ltv.clv): discounting against a hand computation and the bootstrap intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kuailive_analysis.ltv import BetaGeo, bootstrap_clv, clv
from kuailive_analysis.ltv.gamma_gamma import simulate_gamma_gamma


def test_clv_discounting(cdnow, cdnow_bg, cdnow_gg):
    x, tx, T, m = (cdnow[c].to_numpy() for c in ("x", "t_x", "T", "zbar"))
    c0 = clv(cdnow_bg, cdnow_gg, x, tx, T, m, horizon=52)
    np.testing.assert_allclose(
        c0, cdnow_bg.expected_purchases(52, x, tx, T) * cdnow_gg.expected_spend(x, m)
    )
    d = 0.01
    c1 = clv(cdnow_bg, cdnow_gg, x, tx, T, m, horizon=52, discount_rate=d)
    k = np.arange(1, 53)
    cum = cdnow_bg.expected_purchases(k[None, :], x[:5, None], tx[:5, None], T[:5, None])
    manual = (np.diff(np.c_[np.zeros(5), cum], axis=1) / (1 + d) ** k).sum(1)
    np.testing.assert_allclose(c1[:5], manual * cdnow_gg.expected_spend(x[:5], m[:5]))
    assert np.all(c1 <= c0 + 1e-12) and c1.sum() < c0.sum()


def test_bootstrap_intervals():
    rng = np.random.default_rng(3)
    sim = BetaGeo.simulate(
        {"r": 0.8, "alpha": 4.0, "a": 1.0, "b": 3.0}, rng.integers(5, 20, 800), rng=rng
    )
    summ = pd.DataFrame(
        {
            "frequency_cal": sim["frequency"],
            "recency_cal": sim["recency"],
            "T_cal": sim["T"],
            "monetary_cal": simulate_gamma_gamma(
                {"p": 3.0, "q": 4.0, "gamma": 9.0}, sim["frequency"], rng=rng
            ),
        }
    )
    boot = bootstrap_clv(summ, horizon=10, n_boot=20, seed=1)
    per_user, reps = boot.per_user, boot.replicates
    assert len(reps) == boot.n_boot and boot.n_boot + boot.n_failed == 20 and len(reps) >= 15
    assert boot.total_low <= boot.total_clv <= boot.total_high
    assert boot.total_clv == pytest.approx(per_user["clv"].sum())
    again = bootstrap_clv(summ, horizon=10, n_boot=20, seed=1)  # seeded: reproducible
    pd.testing.assert_frame_equal(again.per_user, per_user)
    assert (per_user["clv_low"] <= per_user["clv_high"]).all()
    inside = (per_user["clv"] >= per_user["clv_low"]) & (per_user["clv"] <= per_user["clv_high"])
    assert inside.mean() > 0.8
    assert reps["total_clv"].std() > 0
