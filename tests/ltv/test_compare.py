"""The holdout comparison of value forecasts (ltv.compare, ltv.supervised): metrics by hand,
the winner rule, no leakage of the holdout, the zero-inflated lognormal, the comparison on the
twin."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from kuailive_analysis.ltv import compare as C, supervised as S


def test_metric_values_by_hand():
    from kuailive_analysis.ltv.compare import metric_values

    act = np.array([0.0, 0, 0, 0, 0, 0, 0, 0, 10, 90])
    perfect = metric_values(act, act)
    assert perfect["MAE"] == 0 and perfect["total_ratio"] == 1
    assert perfect["norm_gini"] == pytest.approx(1) and perfect["top10_capture"] == 0.9
    const = metric_values(np.full(10, 10.0), act)
    assert const["norm_gini"] == pytest.approx(0) and const["top10_capture"] == pytest.approx(0.1)
    assert const["RMSE"] == pytest.approx(np.sqrt(np.mean((10 - act) ** 2)))
    assert np.isnan(const["spearman"])
    rev = metric_values(-act, act)
    assert rev["norm_gini"] < 0 and rev["top10_capture"] == 0


def _scores_for(noise: float, seed: int = 0):

    rng = np.random.default_rng(seed)
    n = 2000
    act = np.where(rng.random(n) < 0.7, 0.0, rng.lognormal(3, 1, n))
    fc = pd.DataFrame(
        {
            C.GBM: act * np.exp(rng.normal(0, noise, n)),
            C.ZILN: act[rng.permutation(n)],  # no information about the user
            C.RUN_RATE: act[rng.permutation(n)],
            C.ZERO: np.zeros(n),
        }
    )
    return C.score_value_forecasts(fc, pd.Series(act), n_boot=200, seed=seed)


def test_winner_rule():

    good = C.pick_winner(_scores_for(0.1))
    assert good.method == C.GBM and good.beats == (C.GBM,)
    assert "lowest holdout RMSE" in good.reason
    # a forecast as noisy as the data itself beats no baseline: no winner, and the reason
    # names the best model and the baseline it does not beat, with the interval
    bad = C.pick_winner(_scores_for(3.0))
    assert bad.method is None and bad.best is not None
    assert bad.reason.startswith("No model beats both naive baselines")
    assert "interval" in bad.reason
    # the paired intervals are of the difference model - baseline
    p = _scores_for(0.1).paired.loc[("RMSE", C.GBM, C.ZERO)]
    assert p["low"] <= p["difference"] <= p["high"] < 0


def test_supervised_forecasts_do_not_read_the_holdout(twin_ds):

    ud = twin_ds.table("user_day")
    users = twin_ds.table("users")
    fc, notes = C.value_forecasts(ud, users, 14, 7)
    assert not notes and list(fc.columns) == list(C.MODELS + C.BASELINES)
    changed = ud.copy()
    hold = changed["day"] >= 14
    changed.loc[hold, "gift_value"] = changed.loc[hold, "gift_value"] * 7 + 3
    changed.loc[hold, "n_clicks"] += 5
    again, _ = C.value_forecasts(changed, users, 14, 7)
    pd.testing.assert_frame_equal(fc, again)
    # training split: features before day 7, target days 7..13
    X_tr, y_tr, X_ap = S.supervised_split(ud, users, 14, 7)
    assert X_tr["days_since_first_gift"].max() <= 6 and X_ap["days_since_first_gift"].max() <= 13
    with pytest.raises(ValueError, match="no earlier window"):
        S.supervised_split(ud, users, 5, 7)
    # the forward forecast (after the window's last day) trains on the holdout split
    fw, notes = C.value_forecasts(ud, users, 21, 7)
    assert not notes and len(fw) >= len(fc) and (fw.to_numpy() >= 0).all()


def test_ziln_recovers_the_mean_of_a_zero_inflated_lognormal():

    rng = np.random.default_rng(0)
    n = 20_000
    x = rng.uniform(0, 3, n)
    p = 1 / (1 + np.exp(-(x - 2)))
    mu = 1 + 0.8 * x
    y = np.where(rng.random(n) < p, np.exp(mu + rng.normal(0, 0.5, n)), 0.0)
    X = pd.DataFrame({"x": np.expm1(x)})  # the model works on log1p of the features
    pred = S.ziln_forecast(X, pd.Series(y), X)
    truth = p * np.exp(mu + 0.125)
    for lo, hi in ((0, 1), (1, 2), (2, 3)):
        m = (x >= lo) & (x < hi)
        assert pred[m].mean() == pytest.approx(truth[m].mean(), rel=0.15)


def test_comparison_on_the_twin(result):

    c = result.choice.comparison
    assert list(c.forecasts.index) == list(result.cohorts.gift.table.index)
    np.testing.assert_allclose(c.actual, result.cohorts.gift.table["value_holdout"])
    # the BG/NBD column is the chapter's BG/NBD x Gamma-Gamma holdout forecast
    np.testing.assert_allclose(
        c.forecasts[C.BG], result.checks.forecasts[("value", "BG/NBD x Gamma-Gamma")], rtol=1e-9
    )
    tab = c.scores.table
    for k in C.METRICS:
        est, lo, hi = (tab[(k, x)] for x in ("estimate", "low", "high"))
        ok = est.notna() & lo.notna()
        assert ((lo[ok] <= est[ok] + 1e-9) & (est[ok] <= hi[ok] + 1e-9)).all() or k in (
            "norm_gini",
            "spearman",
            "top10_capture",
        )
    assert tab.loc[C.ZERO, ("MAE", "estimate")] == pytest.approx(c.actual.mean())
    shown = result.choice.table
    assert len(shown) == len(C.MODELS + C.BASELINES)
    assert not any(
        "e+" in v or "e-" in v for v in shown.drop(columns="forecast method").values.ravel()
    )
    d = c.deciles
    assert set(d["method"]) == set(C.MODELS + (C.RUN_RATE,))
    assert (d.groupby("method")["n_users"].sum() == len(c.actual)).all()
    for table in (
        result.cohorts.table,
        result.fits.table,
        result.checks.by_frequency_table,
        result.checks.accuracy_table,
        result.value.top_users_table,
    ):
        cols = " ".join(map(str, table.columns))
        assert not re.search(r"\b\w+_(cal|holdout|low|high|rate)\b", cols), cols
