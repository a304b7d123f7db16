"""Kaplan-Meier: without censoring it is the empirical survival; median, RMST and its standard
error; bands; the churn-threshold sensitivity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kuailive_analysis.retention import churn_sensitivity, fit_km, km_summary
from kuailive_analysis.retention.kaplan_meier import km_table, sensitivity_row

from ._data import act


def test_km_without_censoring_is_the_empirical_survival():
    T = np.array([1, 1, 2, 3, 3, 3, 5, 8])
    kmf = fit_km(pd.DataFrame({"duration": T, "event": True}))
    for t in range(10):
        assert kmf.survival_function_at_times(t).iloc[0] == pytest.approx((T > t).mean())
    s = km_summary(kmf, tau=6, horizons=(1, 3))
    assert s.rmst == pytest.approx(np.minimum(T, 6).mean())
    assert s.median == 3 and s.median_text == "3 days"
    assert s.at(1) == pytest.approx(0.75)
    # with no censoring the RMST variance is the sample variance of min(T, tau) / n
    m = np.minimum(T, 6)
    assert s.rmst_se**2 == pytest.approx(m.var() / len(m), rel=1e-9)
    with pytest.raises(KeyError, match="horizons"):
        s.at(5)


def test_km_median_not_reached_and_ineligible_rows_dropped():
    tab = pd.DataFrame(
        {
            "duration": [3, 4, 4, 0],
            "event": [True, False, False, False],
            "eligible": [True, True, True, False],
        }
    )
    kmf = fit_km(tab)
    assert kmf.event_table["entrance"].sum() == 3
    s = km_summary(kmf, tau=4)
    assert not np.isfinite(s.median) and s.median_text == "not reached"


def test_km_table_band_contains_estimate():
    rng = np.random.default_rng(1)
    tab = pd.DataFrame({"duration": rng.integers(1, 10, 200), "event": rng.random(200) < 0.7})
    out = km_table(fit_km(tab), [0, 1, 5, 9])
    assert out.loc[0, "survival"] == 1.0
    assert ((out["lo"] <= out["survival"]) & (out["survival"] <= out["hi"])).all()


def test_churn_sensitivity_shorter_k_means_more_churn():
    rng = np.random.default_rng(3)
    log = {u: sorted(set(rng.integers(0, 21, rng.integers(1, 12)).tolist())) for u in range(1, 301)}
    sens = churn_sensitivity(act(log), churn_days=(3, 5, 7))
    assert list(sens["churn_days"]) == [3, 5, 7]
    assert sens["share_churned"].is_monotonic_decreasing
    assert (sens["S(1)"].diff().dropna() >= -1e-12).all()
    assert sensitivity_row(sens, 7)["share_churned"] == sens["share_churned"].iloc[-1]
    with pytest.raises(KeyError, match="churn_days 4"):
        sensitivity_row(sens, 4)
