"""The statistics of chapter 2 on small inputs with known answers: distributions and
concentration, profiles, the clock, watch time and gift prices (pure functions)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kuailive_analysis import eda
from kuailive_analysis.eda.behaviour import (
    WATCH_BANDS_S,
    gift_price_summary,
    price_counts,
    watch_time_summary,
)
from kuailive_analysis.eda.distributions import (
    integer_counts,
    linear_histogram,
    n_zero,
    share_above,
    share_below,
)
from kuailive_analysis.eda.profiles import demographic_shares, tenure_distribution, tenure_summary
from kuailive_analysis.eda.timing import (
    daily_totals,
    days_per_weekday,
    hour_window_label,
    hourly_profile,
)

H = 3_600_000


# --------------------------------------------------------------------------------------------
# Concentration (Gini, Lorenz, top shares themselves: tests/test_core.py) and distributions
# --------------------------------------------------------------------------------------------
def test_concentration_table():
    t = eda.concentration_table({"a": [0, 0, 0, 1], "b": [1, 1, 1, 1]})
    assert t.loc["a", "gini"] == pytest.approx(0.75)
    assert t.loc["a", "n_positive"] == 1
    assert t.loc["a", "gini_positive"] == pytest.approx(0.0)
    assert t.loc["b", "top10_share"] == pytest.approx(0.1)
    assert t.loc["a", "top1_share"] == pytest.approx(0.04)  # 1% of 4 units = 0.04 of the top one


def test_ccdf_exact_small():
    c = eda.ccdf([1, 1, 2, 5])
    assert c["x"].tolist() == [1, 2, 5]
    assert c["ccdf"].tolist() == [1.0, 0.5, 0.25]


def test_ccdf_downsamples_on_log_grid():
    c = eda.ccdf(np.arange(1, 10_001), max_points=50)
    assert len(c) <= 50
    assert c["x"].iloc[0] == 1 and c["x"].iloc[-1] == 10_000
    assert c["ccdf"].iloc[0] == 1.0
    assert c["ccdf"].iloc[-1] == pytest.approx(1e-4)
    assert (np.diff(c["ccdf"]) <= 0).all()


def test_log_binned_histogram_counts_everything():
    x = [0, 0, 1, 2, 3, 10, 99, 100]
    h = eda.log_binned_histogram(x, bins_per_decade=1)
    assert h["bin_lo"].tolist() == [1, 10]
    assert h["count"].tolist() == [3, 3]  # last bin closed: 10, 99, 100
    assert n_zero(x) == 2 and not h.attrs  # zeros are counted apart, never in attrs
    assert h["share"].sum() == pytest.approx(6 / 8)
    assert h["density"].iloc[0] == pytest.approx((3 / 8) / 9)


def test_log_binned_histogram_integer_bins_hold_whole_values():
    h = eda.log_binned_histogram(list(range(1, 12)), bins_per_decade=5, integer=True)
    widths = (h["bin_hi"] - h["bin_lo"]).to_numpy()
    assert h["bin_lo"].iloc[0] == 1
    assert (widths == np.round(widths)).all()
    assert h["count"].sum() == 11
    assert np.allclose(h["density"], 1 / 11)  # one value per integer: 1/11 per value everywhere
    with pytest.raises(ValueError, match="not whole"):
        eda.log_binned_histogram([1.5, 2], integer=True)


def test_quantiles_and_watch_summary():
    w = watch_time_summary([1000, 4900, 5000, 29_000, 30_000, 301_000])  # bands are [lo, hi)
    assert [w[k] for k in WATCH_BANDS_S] == pytest.approx([2 / 6, 2 / 6, 1 / 6, 1 / 6])
    w = watch_time_summary([1000, 4000, 6000, 40_000, 600_000])
    assert w["share_lt_5s"] == pytest.approx(0.4)
    assert w["share_ge_300s"] == pytest.approx(0.2)
    assert w["p50"] == pytest.approx(6.0)
    assert w["max"] == pytest.approx(600.0)
    q = eda.quantile_summary(np.arange(101), qs=(0.5, 0.9))
    assert q["p50"] == 50 and q["p90"] == 90 and q["max"] == 100 and q["n"] == 101


def test_shares_histograms_and_integer_counts():
    assert share_below([0, 1, 4, 5, 100], 5) == pytest.approx(0.6)
    assert share_above([0, 1, 40, 41], 40) == pytest.approx(0.25)
    h = linear_histogram([0, 0.1, 0.5, 1.0, 2.0], [0, 0.5, 1.0])
    assert h["count"].tolist() == [2, 2]
    assert h["share"].sum() == pytest.approx(4 / 5)
    c = integer_counts([0, 2, 2, 21], 21)
    assert len(c) == 22 and c.loc[2, "count"] == 2 and c.loc[21, "share"] == 0.25
    with pytest.raises(ValueError, match="0..21"):
        integer_counts([22], 21)


def test_gift_price_summary_and_counts():
    g = gift_price_summary([1, 1, 2, 10, 20, 100])
    assert g["share_eq_1"] == pytest.approx(2 / 6)
    assert g["share_le_20"] == pytest.approx(5 / 6)
    assert g["total"] == 134 and g["p50"] == pytest.approx(6)
    pc = price_counts([1, 1, 2, 10, 20, 100], max_price=20)
    assert pc.loc[pc.price == 1, "count"].item() == 2
    assert pc["count"].sum() == 5  # the price-100 gift is beyond max_price
    with pytest.raises(ValueError, match="gift_price"):
        price_counts([0, 1])


# --------------------------------------------------------------------------------------------
# Profiles
# --------------------------------------------------------------------------------------------
def test_demographic_shares_orders_bins_and_sums_to_one():
    users = pd.DataFrame({"age": ["50+", "18-23", "18-23", None], "gender": ["M", "M", "F", "M"]})
    streamers = pd.DataFrame({"age": ["24-30", "18-23"], "gender": ["F", "F"]})
    a = demographic_shares(users, streamers, "age")
    assert a.index.tolist() == ["18-23", "24-30", "50+", "(missing)"]
    assert a["users"].sum() == pytest.approx(1) and a["streamers"].sum() == pytest.approx(1)
    assert a.loc["18-23", "users"] == pytest.approx(0.5)
    assert a.loc["24-30", "n_users"] == 0
    g = demographic_shares(users, streamers, "gender")
    assert g.loc["M", "users"] == pytest.approx(0.75) and g.loc["F", "streamers"] == 1.0
    top = demographic_shares(users, streamers, "age", top=2)
    assert top.index.tolist() == ["18-23", "24-30", "other"]
    assert top.loc["other", "n_users"] == 2


def test_tenure_in_years():
    users = pd.DataFrame(
        {"tenure_days": [365.25, 730.5, np.nan], "watch_age_days": [100, 200, 300]}
    )
    t = tenure_summary(users)
    assert t.loc["tenure_days", "n"] == 2
    assert t.loc["tenure_days", "median"] == pytest.approx(1.5)
    assert t.loc["watch_age_days", "share_under_1y"] == pytest.approx(1.0)
    users = pd.DataFrame(
        {"tenure_days": [10, 400, 800, 99_999], "watch_age_days": [0, 0, 1, np.nan]}
    )
    d = tenure_distribution(users, max_years=5)
    assert d["tenure"].tolist() == [0.25, 0.25, 0.25, 0, 0, 0.25]
    assert d.loc[0, "watch_age"] == pytest.approx(1.0)


# --------------------------------------------------------------------------------------------
# The clock
# --------------------------------------------------------------------------------------------
def test_weekday_and_hour_weekday_matrix():
    assert days_per_weekday().tolist() == [3] * 7
    ev = pd.DataFrame({"day": [0, 7, 7, 1, 20], "hour": [20, 20, 20, 0, 23], "w": [1, 2, 3, 4, 5]})
    m = eda.hour_weekday_matrix(ev)
    assert m.shape == (7, 24)
    assert m.loc["Mon", 20] == pytest.approx(3 / 3)
    assert m.loc["Tue", 0] == pytest.approx(1 / 3)
    assert m.loc["Sun", 23] == pytest.approx(1 / 3)
    assert m.to_numpy().sum() == pytest.approx(5 / 3)
    assert eda.hour_weekday_matrix(ev, weight="w").loc["Mon", 20] == pytest.approx(6 / 3)
    with pytest.raises(ValueError, match="day"):
        eda.hour_weekday_matrix(pd.DataFrame({"day": [21], "hour": [0]}))


def test_peak_window_wraps_midnight():
    h = np.zeros(24)
    h[[22, 23, 0, 1]] = 1
    assert eda.peak_window(h, 4) == (22, 1.0)
    h = np.ones(24)
    h[18:24] = 5
    s, share = eda.peak_window(h, 6)
    assert s == 18 and share == pytest.approx(30 / 48)
    assert hour_window_label(18, 6) == "18:00-24:00" and hour_window_label(22, 4) == "22:00-02:00"


def test_hourly_profile_and_daily_totals():
    p = hourly_profile({"a": pd.DataFrame({"hour": [1, 1, 2, 23]})})
    assert p.loc[1, "a"] == pytest.approx(0.5) and p["a"].sum() == pytest.approx(1)
    ud = pd.DataFrame(
        {
            "user_id": [1, 2, 1],
            "day": [0, 0, 2],
            "active": [True, False, True],
            "n_clicks": [3, 0, 1],
            "watch_ms": [H, 0, 2 * H],
            "n_comments": [1, 0, 0],
            "n_likes": 0,
            "n_gifts": 0,
            "gift_value": 0,
            "n_negatives": [0, 5, 0],
        }
    )
    d = daily_totals(ud, n_days=3)
    assert d.index.tolist() == [0, 1, 2]
    assert d["active_users"].tolist() == [1, 0, 1]
    assert d["n_negatives"].tolist() == [5, 0, 0]
    assert d["watch_hours"].tolist() == [1.0, 0.0, 2.0]
    assert str(d["date"].iloc[0]) == "2025-05-05" and d["weekday"].iloc[1] == "Tue"
