"""The holdout comparison of value forecasts (ltv.compare): the rule fixed before it, the
best baseline, no leakage of the holdout, the per-user value of the winner, the comparison on
the twin."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest

from kuailive_analysis.ltv import compare as C, scoring as Sc


def _scores(model, seed: int = 0, n: int = 2000):
    """Scores of ``model(act, rng)`` as the gradient boosting column beside the baselines; the
    run rate knows nothing about the user (a permutation of the actual values)."""
    rng = np.random.default_rng(seed)
    act = np.where(rng.random(n) < 0.7, 0.0, rng.lognormal(3, 1, n))
    fc = pd.DataFrame(
        {
            C.GBM: model(act, rng),
            C.RUN_RATE: act[rng.permutation(n)],
            C.CONSTANT: np.full(n, act.mean()),
            C.ZERO: np.zeros(n),
        }
    )
    return Sc.score(fc, pd.Series(act), n_boot=300, seed=seed)


def test_the_rule_is_fixed_in_one_place():
    rule = C.winner_rule(0.95)
    assert rule.startswith("a model wins when the 95% paired user-bootstrap interval")
    assert "Poisson-deviance difference to the best baseline" in rule
    lo, hi = C.TOTAL_RATIO_BOUNDS
    assert f"within {lo:g} to {hi:g}" in rule
    assert C.winner_rule(0.9).startswith("a model wins when the 90%")


def test_a_calibrated_informative_model_wins():
    sc = _scores(lambda a, rng: a * np.exp(rng.normal(0, 0.1, a.size)) + 0.5)
    assert C.best_baseline(sc) == C.CONSTANT  # the permuted run rate is worse than the mean
    w = C.pick_winner(sc)
    assert w.method == C.GBM and w.passing == (C.GBM,) and w.baseline == C.CONSTANT
    assert w.reason.startswith(f"{C.GBM} wins: ") and "paired interval" in w.reason


def test_a_good_ranker_with_the_wrong_total_does_not_win():
    # the same order, three times the total: the deviance may still beat the baselines, but
    # the total ratio is outside the bounds
    sc = _scores(lambda a, rng: 3 * (a + 0.5))
    assert sc.estimate("total_ratio")[C.GBM] > C.TOTAL_RATIO_BOUNDS[1]
    w = C.pick_winner(sc)
    assert w.method is None and w.best == C.GBM
    assert w.reason.startswith("No model passes the rule. The best model, ")


def test_an_uninformative_model_does_not_win():
    w = C.pick_winner(_scores(lambda a, rng: a[rng.permutation(a.size)]))
    assert w.method is None and "interval" in w.reason


def test_differences_to_the_best_baseline():
    sc = _scores(lambda a, rng: a + 0.5)
    d = C.differences(sc, C.CONSTANT)
    assert C.CONSTANT not in d.index and {C.GBM, C.RUN_RATE, C.ZERO} <= set(d.index)
    for m in d.index:
        for k in ("deviance", "RMSE", "norm_gini", "top10_capture"):
            r = sc.difference(k, m, C.CONSTANT)
            assert d.loc[m, (k, "difference")] == pytest.approx(r["difference"])


def test_per_user_value_scales_the_forward_week(result):
    c = result.choice.comparison
    won = dataclasses.replace(
        c,
        winner=C.Winner(C.GBM, (C.GBM,), C.GBM, C.RUN_RATE, "wins."),
        forward=pd.Series([7.0, 14.0, 0.0]),
    )
    v, lo, hi = C.per_user_value(won, 30)
    t = c.scores.table.loc[C.GBM]
    f = 7.0 * 30 / c.horizon  # the mean forecast of the week, over 30 days
    assert v == pytest.approx(f / t[("total_ratio", "estimate")])
    assert (lo, hi) == pytest.approx(
        (f / t[("total_ratio", "high")], f / t[("total_ratio", "low")])
    )
    assert lo <= v <= hi
    assert C.per_user_value(dataclasses.replace(won, forward=None), 30) is None


def test_value_forecasts_do_not_read_the_holdout(twin_ds):
    ud, users = twin_ds.table("user_day"), twin_ds.table("users")
    fc, notes, sup = C.value_forecasts(ud, users, 14, 7)
    assert not notes and list(fc.columns) == list(C.MODELS + C.BASELINES)
    assert set(sup) == set(C.SUPERVISED)
    changed = ud.copy()
    hold = changed["day"] >= 14
    changed.loc[hold, "gift_value"] = changed.loc[hold, "gift_value"] * 7 + 3
    changed.loc[hold, "n_clicks"] += 5
    again, _, _ = C.value_forecasts(changed, users, 14, 7)
    pd.testing.assert_frame_equal(fc, again)
    # the baselines: run rate = calibration value per day x horizon; constant = its mean
    rate = ud[ud["day"] < 14].groupby("user_id")["gift_value"].sum().reindex(fc.index) / 14 * 7
    np.testing.assert_allclose(fc[C.RUN_RATE], rate)
    np.testing.assert_allclose(fc[C.CONSTANT], rate.mean())
    # the past rate x own mean is section 4.6's value baseline over the horizon
    x = ud[(ud["day"] < 14) & (ud["n_gifts"] > 0)].groupby("user_id")
    first, n_days, value = x["day"].min(), x.size(), x["gift_value"].sum()
    T = (13 - first).reindex(fc.index)
    rep = (n_days - 1).reindex(fc.index)
    pooled = rep.sum() / T.sum()
    rate_days = np.where(T > 0, rep / T.where(T > 0, 1), pooled) * 7
    own = value.reindex(fc.index) / (rep + 1)
    np.testing.assert_allclose(fc[C.PAST_RATE], rate_days * own)
    assert (fc[C.ZERO] == 0).all()
    # the forward forecast (after the window's last day) trains on the holdout split
    fw, notes, _ = C.value_forecasts(ud, users, 21, 7)
    assert not notes and len(fw) >= len(fc) and (fw.to_numpy() >= 0).all()


def test_comparison_on_the_twin(result):
    c = result.choice.comparison
    assert list(c.forecasts.index) == list(result.cohorts.gift.table.index)
    np.testing.assert_allclose(c.actual, result.cohorts.gift.table["value_holdout"])
    # the BG/NBD column is the chapter's BG/NBD x Gamma-Gamma holdout forecast
    np.testing.assert_allclose(
        c.forecasts[C.BG], result.checks.forecasts[("value", "BG/NBD x Gamma-Gamma")], rtol=1e-9
    )
    tab = c.scores.table
    assert tab.loc[C.ZERO, ("RMSE", "estimate")] == pytest.approx(np.sqrt((c.actual**2).mean()))
    assert c.winner.baseline == C.best_baseline(c.scores)
    assert c.scores.n_boot == result.params.n_boot_compare
    shown = result.choice.table
    assert len(shown) == len(C.MODELS + C.BASELINES)
    cells = shown.drop(columns="forecast method").values.ravel()
    assert not any(re.search(r"\de[+-]\d", v) for v in cells)
    diffs = result.choice.differences_table
    assert c.winner.baseline.split(" (")[0] in diffs.columns[0]
    assert len(diffs) == len(C.MODELS + C.BASELINES) - 1
    d = c.deciles
    assert set(d["method"]) == set(C.MODELS + C.BASELINES)
    assert (d.groupby("method")["n_users"].sum() == len(c.actual)).all()
    shown, first = result.choice.decile_methods, c.winner.method or c.winner.best
    assert shown[0] == first and shown[-1] == c.winner.baseline
    # MBG/NBD only when it is the model the figure is about (else it hides under BG/NBD)
    assert set(shown) == {first, C.BG, C.GBM, C.ZILN, c.winner.baseline}
    curves = result.choice.curves
    assert C.RUN_RATE in curves and all(
        f["value_share"].iloc[-1] == pytest.approx(1) for f in curves.values()
    )
    for table in (
        result.cohorts.table,
        result.fits.table,
        result.checks.by_frequency_table,
        result.checks.accuracy_table,
        result.value.top_users_table,
    ):
        cols = " ".join(map(str, table.columns))
        assert not re.search(r"\b\w+_(cal|holdout|low|high|rate)\b", cols), cols
