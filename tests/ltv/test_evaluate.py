"""Validation tables of BG/NBD (ltv.evaluate) on a hand-made summary: baselines and accuracy,
the frequency histogram and holdout table, tracking, the heat-map grids."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kuailive_analysis.ltv import BetaGeo, evaluate as E


def _toy_summary():
    return pd.DataFrame(
        {
            "first_day": [0, 0, 5, 13],
            "frequency_cal": [0, 2, 9, 0],
            "recency_cal": [0.0, 4, 9, 0],
            "T_cal": [13.0, 13, 8, 0],
            "monetary_cal": [0.0, 5, 2, 0],
            "value_cal": [3.0, 12, 30, 7],
            "frequency_holdout": [0, 1, 6, 2],
            "value_holdout": [0.0, 5, 14, 9],
            "duration_holdout": [7.0] * 4,
        },
        index=pd.Index([10, 11, 12, 13], name="user_id"),
    )


def test_baselines_and_accuracy_by_hand():
    s = _toy_summary()
    base = E.baseline_predictions(s, 7.0)
    pooled = 11 / 34
    np.testing.assert_allclose(base["past_rate"], [0, 2 / 13 * 7, 9 / 8 * 7, pooled * 7])
    np.testing.assert_allclose(base["pooled_rate"], pooled * 7)
    bg = BetaGeo({"r": 1.0, "alpha": 5.0, "a": 1.5, "b": 4.0})
    acc = E.holdout_accuracy(bg, s)
    row = acc.loc[("transactions", "past rate")]
    assert row["MAE"] == pytest.approx(np.mean(np.abs(base["past_rate"] - [0, 1, 6, 2])))
    assert row["total_actual"] == 9
    assert np.isnan(acc.loc[("transactions", "pooled rate"), "correlation"])  # constant


def test_frequency_and_holdout_tables():
    s = _toy_summary()
    bg = BetaGeo({"r": 1.0, "alpha": 5.0, "a": 1.5, "b": 4.0})
    h = E.frequency_histogram(bg, s, max_x=3)
    assert list(h.index) == ["0", "1", "2", "3+"]
    assert h["actual"].tolist() == [2, 0, 1, 1]
    assert h["model"].sum() == pytest.approx(4)
    c = E.holdout_by_frequency(bg, s, max_x=3)
    assert c.loc["0", "n_users"] == 2 and c.loc["0", "actual"] == 1.0
    assert c.loc["3+", "actual"] == 6.0


def test_tracking_sums_the_unconditional_expectation():
    s = _toy_summary()
    bg = BetaGeo({"r": 1.0, "alpha": 5.0, "a": 1.5, "b": 4.0})
    tr = E.tracking(bg, s, np.arange(21))
    # two users start on day 0, one on day 5, one on day 13
    expect = (
        2 * bg.expected_purchases_new(20)
        + bg.expected_purchases_new(15)
        + bg.expected_purchases_new(7)
    )
    assert tr["model_cum"].iloc[-1] == pytest.approx(float(expect))
    assert tr["model"].sum() == pytest.approx(tr["model_cum"].iloc[-1])
    assert tr["actual_cum"].iloc[-1] == sum(range(21))


def test_prediction_grids_blank_impossible_cells():
    bg = BetaGeo({"r": 1.0, "alpha": 5.0, "a": 1.5, "b": 4.0})
    pa, ex = E.prediction_grids(bg, 5, 3.0)
    assert pa.shape == (6, 6)
    assert pa.iloc[0, 0] == 1.0 and np.isnan(pa.iloc[0, 1])  # no repeats, no recency
    assert np.isnan(pa.iloc[3, 2]) and np.isfinite(pa.iloc[3, 3])  # 3 repeats need 3 days
    assert ex.iloc[2, 5] > ex.iloc[2, 2]  # recent beats lapsed at equal frequency
