"""Supervised value forecasts (ltv.supervised): features that do not grow with the window,
the training split, the capped and balanced gradient boosting, the zero-inflated lognormal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kuailive_analysis.ltv import supervised as S


def _panel(days: int, pattern: dict[int, list[tuple[int, int]]]) -> pd.DataFrame:
    """A user_day panel: ``pattern[user]`` = (n_gifts, gift_value) of each day of a week,
    repeated over ``days`` days; clicks and watch time follow the gifts."""
    rows = []
    for u, week in pattern.items():
        for d in range(days):
            g, v = week[d % len(week)]
            rows.append((u, d, 2 * g + 1, 60_000 * (g + 1), g, 0, g, v, True))
    cols = "user_id day n_clicks watch_ms n_comments n_likes n_gifts gift_value active".split()
    return pd.DataFrame(rows, columns=cols).astype({"user_id": "int32", "day": "int8"})


WEEK = {
    1: [(1, 10), (0, 0), (2, 30), (0, 0), (0, 0), (1, 5), (0, 0)],
    2: [(1, 100), (0, 0), (0, 0), (0, 0), (0, 0), (0, 0), (0, 0)],
}


def test_features_do_not_grow_with_the_window():
    # a user who repeats the same week: every feature is the same after one week and after
    # two (rates per day, the last 7 days, recency), so a model trained on 7 days is not
    # extrapolated when applied to 14; the age of the gifting history stops at the cap
    ud = _panel(14, WEEK)
    a = S.user_features(ud, None, 7, 7, cap=7)
    b = S.user_features(ud, None, 14, 7, cap=7)
    age = "days_since_first_gift"
    pd.testing.assert_frame_equal(a.drop(columns=age), b.drop(columns=age))
    assert list(a[age]) == [6, 6] and list(b[age]) == [7, 7]
    assert a.loc[1, "gift_days_per_day"] == pytest.approx(3 / 7)
    assert a.loc[1, "gift_value_per_day"] == pytest.approx(45 / 7)
    assert a.loc[1, "recent_gift_value_max_day"] == 30
    assert a.loc[2, "days_since_last_gift"] == 6


def test_recency_is_capped_at_the_training_window():
    # user 2 stops after day 0: 13 days since the last gift at cut 14, capped at 7
    ud = _panel(14, {**WEEK, 2: [(1, 100)] + [(0, 0)] * 13})
    ud.loc[(ud["user_id"] == 2) & (ud["day"] > 0), "active"] = False
    X = S.user_features(ud, None, 14, 7, cap=7)
    assert X.loc[2, "days_since_last_gift"] == 7 and X.loc[2, "days_since_last_active"] == 7
    assert X.loc[2, "recent_gift_days"] == 0 and X.loc[2, "recent_gift_value"] == 0
    assert (X.filter(like="days_since").to_numpy() <= 7).all()


def test_supervised_split_has_the_shape_of_the_holdout():
    ud = _panel(21, WEEK)
    X_tr, y_tr, X_ap = S.supervised_split(ud, None, 14, 7)
    assert list(X_tr.columns) == list(X_ap.columns)
    assert y_tr.loc[1] == 45 and y_tr.loc[2] == 100  # the value of days 7..13
    with pytest.raises(ValueError, match="no earlier window"):
        S.supervised_split(ud, None, 5, 7)


def test_balance_makes_the_training_total_right():
    assert S.training_balance(np.array([1.0, 3.0]), np.array([0.0, 8.0])) == 2.0
    assert S.training_balance(np.zeros(2), np.zeros(2)) == 1.0
    rng = np.random.default_rng(0)
    n = 3000
    X = pd.DataFrame({"x": rng.uniform(0, 3, n), "z": rng.normal(size=n)})
    y = pd.Series(np.where(rng.random(n) < 0.2, rng.lognormal(2 + X["x"], 1.5), 0.0))
    y.iloc[0] = y.max() * 50  # one whale
    fc = S.gradient_boosting_forecast(X, y, X)
    cap = np.quantile(y, S.TARGET_CAP_QUANTILE)
    assert fc.target_cap == pytest.approx(cap) and fc.train_total_ratio < 1
    # balanced on its own training users: the forecasts add up to the uncapped total
    assert fc.forecast.sum() == pytest.approx(y.sum(), rel=1e-9)
    # the whale does not set a leaf: no forecast comes near its value
    assert fc.forecast.max() < 0.2 * y.iloc[0]
    assert fc.n_train == n and fc.train_mean == pytest.approx(y.mean())


def test_ziln_recovers_the_mean_of_a_zero_inflated_lognormal():
    rng = np.random.default_rng(0)
    n = 20_000
    x = rng.uniform(0, 3, n)
    p = 1 / (1 + np.exp(-(x - 2)))
    mu = 1 + 0.8 * x
    y = np.where(rng.random(n) < p, np.exp(mu + rng.normal(0, 0.5, n)), 0.0)
    X = pd.DataFrame({"x": np.expm1(x)})  # the model works on log1p of the features
    fc = S.ziln_forecast(X, pd.Series(y), X)
    # the model is right: its lognormal mean already gets the training total
    assert fc.train_total_ratio == pytest.approx(1, abs=0.03)
    assert fc.log_variance == pytest.approx(0.25, rel=0.1)
    truth = p * np.exp(mu + 0.125)
    for lo, hi in ((0, 1), (1, 2), (2, 3)):
        m = (x >= lo) & (x < hi)
        assert fc.forecast[m].mean() == pytest.approx(truth[m].mean(), rel=0.15)


def test_ziln_with_heavy_tailed_residuals_is_balanced():
    # log residuals from a skewed distribution: exp(mu + sigma^2/2) misses the total, the
    # balance step puts it right on the training window
    rng = np.random.default_rng(1)
    n = 20_000
    x = rng.uniform(0, 3, n)
    resid = rng.exponential(1.5, n) - 1.5
    y = np.where(rng.random(n) < 0.3, np.exp(1 + x + resid), 0.0)
    X = pd.DataFrame({"x": np.expm1(x)})
    fc = S.ziln_forecast(X, pd.Series(y), X)
    assert abs(fc.train_total_ratio - 1) > 0.2
    assert fc.forecast.sum() == pytest.approx(y.sum(), rel=1e-9)
