"""Scores of value forecasts (ltv.scoring): Poisson deviance, ranking and calibration by hand,
the Poisson-bootstrap weights equal repeated users, paired differences."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from kuailive_analysis.ltv import scoring as Sc

ACT = np.array([0.0, 0, 0, 0, 0, 0, 0, 0, 10, 90])
ONE = np.ones((1, ACT.size))


def _m(pred, act=ACT, W=None):
    W = np.ones((1, len(act))) if W is None else W
    return {k: v[0] for k, v in Sc.metrics(W, pred, act).items()}


def test_unit_deviance_by_hand():
    d = Sc.unit_deviance([2.0, 2.0, 4.0, 0.0], [0.0, 4.0, 4.0, 1.0])
    assert d[0] == pytest.approx(4.0)  # y = 0: 2 * mu
    assert d[1] == pytest.approx(2 * (4 * np.log(2) - 2))
    assert d[2] == 0
    # a zero forecast counts as the floor: large but finite
    floor = Sc.FORECAST_FLOOR
    assert d[3] == pytest.approx(2 * (np.log(1 / floor) - (1 - floor)))


def test_deviance_is_a_proper_score_for_the_mean():
    # among constant forecasts, the mean has the lowest deviance (derivative 2(1 - mean/c))
    y = np.array([0.0, 0, 0, 1, 3, 50, 400])
    c = y.mean()
    dev = [Sc.unit_deviance(np.full(y.size, c * k), y).mean() for k in (0.8, 1.0, 1.25)]
    assert dev[1] < dev[0] and dev[1] < dev[2]


def test_ranking_metrics_by_hand():
    perfect = _m(ACT)
    assert perfect["total_ratio"] == 1 and perfect["RMSE"] == 0
    assert perfect["norm_gini"] == pytest.approx(1) and perfect["top10_capture"] == pytest.approx(
        0.9
    )
    const = _m(np.full(10, 10.0))
    assert const["norm_gini"] == pytest.approx(0) and const["top10_capture"] == pytest.approx(0.1)
    assert const["RMSE"] == pytest.approx(np.sqrt(np.mean((10 - ACT) ** 2)))
    rev = _m(-ACT)
    assert rev["norm_gini"] < 0 and rev["top10_capture"] == pytest.approx(0)
    # the Gini of the actual values is the textbook one: 2 sum(i x_(i)) / (n sum x) - (n+1)/n
    g, _ = Sc.concentration(ONE, ACT, ACT)
    i = np.arange(1, 11)
    assert g[0] == pytest.approx(2 * (i * np.sort(ACT)).sum() / (10 * ACT.sum()) - 11 / 10)


def test_ties_share_the_top_decile():
    # 20 users: the top two forecasts are tied with two others (4 users tied for 2 places)
    act = np.arange(20, dtype=float)
    pred = np.r_[np.zeros(16), np.ones(4)]
    cap = _m(pred, act)["top10_capture"]
    assert cap == pytest.approx(0.5 * act[16:].sum() / act.sum())


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 5),
            st.integers(0, 50),
            st.integers(0, 3),  # forecast, actual, weight
        ),
        min_size=3,
        max_size=30,
    )
)
def test_weights_equal_repeated_users(rows):
    pred, act, w = (np.array(x, float) for x in zip(*rows))
    if (act * w).sum() == 0 or w.sum() == 0:
        return
    weighted = _m(pred, act, w[None, :])
    rep = np.repeat(np.arange(len(w)), w.astype(int))
    repeated = _m(pred[rep], act[rep])
    for k in Sc.METRICS:
        assert weighted[k] == pytest.approx(repeated[k], nan_ok=True), k


def test_decile_summary_by_hand():
    fc = pd.DataFrame({"a": np.arange(10.0), "b": np.full(10, 2.0)})
    act = pd.Series(np.r_[np.zeros(9), 30.0])
    dec = Sc.decile_calibration(fc, act)
    assert list(dec.groupby("method")["n_users"].sum()) == [10, 10]
    s = Sc.decile_summary(dec)
    # a: deciles 1..9 forecast 0..8 (sum 36) against 0, decile 10 forecasts 9 against 30
    assert s.loc["a", "decile_error"] == pytest.approx((36 + 21) / 30)
    assert s.loc["a", "top_decile_ratio"] == pytest.approx(9 / 30)
    assert s.loc["b", "decile_error"] == pytest.approx((18 + 28) / 30)


def test_score_intervals_and_paired_differences():
    rng = np.random.default_rng(1)
    n = 400
    act = np.where(rng.random(n) < 0.7, 0.0, rng.lognormal(3, 1, n))
    fc = pd.DataFrame(
        {"good": act * 0.9 + 1, "same": act * 0.9 + 1, "flat": np.full(n, act.mean())}
    )
    sc = Sc.score(fc, pd.Series(act), n_boot=300, seed=3)
    t = sc.table
    for k in Sc.METRICS:
        assert (t[(k, "low")] <= t[(k, "high")] + 1e-12).all(), k
    assert sc.estimate("deviance")["good"] < sc.estimate("deviance")["flat"]
    d = sc.difference("deviance", "good", "flat")
    assert d["high"] < 0 and d["low"] <= d["difference"] <= d["high"]
    same = sc.difference("deviance", "good", "same")
    assert same == {"difference": 0.0, "low": 0.0, "high": 0.0}
    top = int(np.argmax(act))
    keep = np.arange(n) != top
    assert t.loc["flat", ("RMSE without top user", "estimate")] == pytest.approx(
        np.sqrt(np.mean((act.mean() - act[keep]) ** 2))
    )


def test_concentration_curve_is_the_lorenz_curve_in_the_best_order():
    from kuailive_analysis.core.stats import lorenz_curve

    c = Sc.concentration_curve(ACT, ACT)
    ref = lorenz_curve(ACT, n_points=None)
    # tied zeros are one step: the same curve at the block ends
    assert np.interp(ref["population_share"], c["population_share"], c["value_share"]) == (
        pytest.approx(ref["value_share"].to_numpy())
    )
    flat = Sc.concentration_curve(np.ones(10), ACT)
    assert list(flat["population_share"]) == [0, 1] and list(flat["value_share"]) == [0, 1]
