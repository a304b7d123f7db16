"""Unit tests of kuailive_analysis.eda on small hand-made inputs with known answers, and of the
chapter's result (``eda.analyse -> EDAResult``) without executing the notebook."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from kuailive_analysis import eda
from kuailive_analysis.core.stats import lorenz_curve
from kuailive_analysis.data.schema import MS_PER_DAY, WINDOW_START_MS

H = 3_600_000
nonneg = st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=60)


# --------------------------------------------------------------------------------------------
# Concentration (Gini, Lorenz, top shares themselves: tests/test_core.py)
# --------------------------------------------------------------------------------------------
def test_concentration_table():
    t = eda.concentration_table({"a": [0, 0, 0, 1], "b": [1, 1, 1, 1]})
    assert t.loc["a", "gini"] == pytest.approx(0.75)
    assert t.loc["a", "n_positive"] == 1
    assert t.loc["a", "gini_positive"] == pytest.approx(0.0)
    assert t.loc["b", "top10_share"] == pytest.approx(0.1)
    assert t.loc["a", "top1_share"] == pytest.approx(0.04)  # 1% of 4 units = 0.04 of the top one


# --------------------------------------------------------------------------------------------
# Distributions
# --------------------------------------------------------------------------------------------
def test_ccdf_exact_small():
    c = eda.ccdf([1, 1, 2, 5])
    assert c["x"].tolist() == [1, 2, 5]
    assert c["ccdf"].tolist() == [1.0, 0.5, 0.25]


def test_ccdf_downsamples_on_log_grid():
    x = np.arange(1, 10_001)
    c = eda.ccdf(x, max_points=50)
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
    assert eda.n_zero(x) == 2 and not h.attrs  # zeros are counted apart, never in attrs
    assert h["share"].sum() == pytest.approx(6 / 8)
    assert h["density"].iloc[0] == pytest.approx((3 / 8) / 9)


def test_banded_shares_and_watch_summary():
    b = eda.banded_shares([1, 4.9, 5, 29, 30, 301], (5, 30, 300))
    assert b["band"].tolist() == ["<5", "5-30", "30-300", ">=300"]
    assert b["count"].tolist() == [2, 2, 1, 1]
    w = eda.watch_time_summary([1000, 4000, 6000, 40_000, 600_000])
    assert w["share_lt_5s"] == pytest.approx(0.4)
    assert w["share_ge_300s"] == pytest.approx(0.2)
    assert w["p50"] == pytest.approx(6.0)
    assert w["max"] == pytest.approx(600.0)


def test_quantile_summary():
    q = eda.quantile_summary(np.arange(101), qs=(0.5, 0.9))
    assert q["p50"] == 50 and q["p90"] == 90 and q["max"] == 100 and q["n"] == 101


# --------------------------------------------------------------------------------------------
# Activity tables
# --------------------------------------------------------------------------------------------
def sessions_frame():
    # user, live, streamer, clicks, watch, comments, likes, gifts, value, negatives
    rows = [
        (1, 10, 100, 2, 60_000, 1, 0, 1, 5, 0),
        (1, 11, 100, 1, 30_000, 0, 0, 0, 0, 1),
        (1, 12, 200, 1, 10_000, 0, 1, 0, 0, 0),
        (2, 10, 100, 1, 1_000, 0, 0, 0, 0, 0),
        (2, 13, 300, 0, 0, 0, 0, 0, 0, 3),  # negatives only
        (3, 14, 200, 0, 0, 0, 0, 1, 20, 0),  # gift without a click
    ]
    cols = [
        "user_id",
        "live_id",
        "streamer_id",
        "n_clicks",
        "watch_ms",
        "n_comments",
        "n_likes",
        "n_gifts",
        "gift_value",
        "n_negatives",
    ]
    s = pd.DataFrame(rows, columns=cols)
    s[["user_id", "live_id", "streamer_id"]] = s[["user_id", "live_id", "streamer_id"]].astype(
        "int32"
    )
    s["n_exposures"] = s["n_clicks"] + s["n_negatives"]
    return s


def test_streamer_activity():
    rooms = pd.DataFrame(
        {"live_id": [10, 11, 12, 13, 14, 15], "streamer_id": [100, 100, 200, 300, 200, 400]}
    )
    streamers = pd.DataFrame({"streamer_id": [100, 200, 300, 400, 500]})
    sa = eda.streamer_activity(sessions_frame(), rooms, streamers)
    assert sa.index.tolist() == [100, 200, 300, 400, 500]
    assert sa.loc[100, "n_clicks"] == 4
    assert sa.loc[100, "n_viewers"] == 2
    assert sa.loc[100, "n_rooms_watched"] == 2
    assert sa.loc[100, "n_interactions"] == 4 + 1 + 0 + 1
    assert sa.loc[100, "n_exposures"] == 5
    assert sa.loc[200, "n_viewers"] == 1  # user 3 only gifted
    assert sa.loc[200, "gift_value"] == 20
    assert sa.loc[200, "n_rooms"] == 2
    assert sa.loc[300, "n_interactions"] == 0 and sa.loc[300, "n_exposures"] == 3
    assert sa.loc[500].drop("watch_hours").sum() == 0
    assert sa.loc[400, "n_rooms"] == 1
    assert sa.loc[100, "watch_hours"] == pytest.approx(91_000 / H)
    assert sa.index.dtype == np.int32


def test_user_activity():
    user_day = pd.DataFrame(
        {
            "user_id": [1, 1, 2, 2, 3],
            "day": [0, 1, 0, 2, 5],
            "active": [True, True, True, False, True],
        }
    )
    users = pd.DataFrame({"user_id": [1, 2, 3, 4]})
    ua = eda.user_activity(sessions_frame(), user_day, users)
    assert ua.index.tolist() == [1, 2, 3, 4]
    assert ua.loc[1, "n_sessions"] == 3
    assert ua.loc[1, "n_streamers"] == 2
    assert ua.loc[1, "n_interactions"] == 4 + 1 + 1 + 1
    assert ua.loc[1, "top_streamer_watch_share"] == pytest.approx(90 / 100)
    assert ua.loc[2, "top_streamer_watch_share"] == pytest.approx(1.0)
    assert np.isnan(ua.loc[3, "top_streamer_watch_share"])  # no watch time
    assert ua.loc[2, "active_days"] == 1
    assert ua.loc[4, "n_interactions"] == 0 and ua.loc[4, "active_days"] == 0
    assert ua.loc[2, "n_exposures"] == 4


def test_missing_column_is_named():
    with pytest.raises(ValueError, match="sessions is missing column.*watch_ms"):
        eda.user_activity(sessions_frame().drop(columns="watch_ms"))


def test_share_below_above():
    assert eda.share_below([0, 1, 4, 5, 100], 5) == pytest.approx(0.6)
    assert eda.share_above([0, 1, 40, 41], 40) == pytest.approx(0.25)


# --------------------------------------------------------------------------------------------
# Demographics
# --------------------------------------------------------------------------------------------
def test_demographic_shares_orders_bins_and_sums_to_one():
    users = pd.DataFrame({"age": ["50+", "18-23", "18-23", None], "gender": ["M", "M", "F", "M"]})
    streamers = pd.DataFrame({"age": ["24-30", "18-23"], "gender": ["F", "F"]})
    a = eda.demographic_shares(users, streamers, "age")
    assert a.index.tolist() == ["18-23", "24-30", "50+", "(missing)"]
    assert a["users"].sum() == pytest.approx(1) and a["streamers"].sum() == pytest.approx(1)
    assert a.loc["18-23", "users"] == pytest.approx(0.5)
    assert a.loc["24-30", "n_users"] == 0
    g = eda.demographic_shares(users, streamers, "gender")
    assert g.loc["M", "users"] == pytest.approx(0.75) and g.loc["F", "streamers"] == 1.0
    top = eda.demographic_shares(users, streamers, "age", top=2)
    assert top.index.tolist() == ["18-23", "24-30", "other"]
    assert top.loc["other", "n_users"] == 2


def test_tenure_summary_in_years():
    users = pd.DataFrame(
        {"tenure_days": [365.25, 730.5, np.nan], "watch_age_days": [100, 200, 300]}
    )
    t = eda.tenure_summary(users)
    assert t.loc["tenure_days", "n"] == 2
    assert t.loc["tenure_days", "median"] == pytest.approx(1.5)
    assert t.loc["watch_age_days", "share_under_1y"] == pytest.approx(1.0)


# --------------------------------------------------------------------------------------------
# Time of activity and rooms
# --------------------------------------------------------------------------------------------
def test_weekday_and_hour_weekday_matrix():
    assert eda.days_per_weekday().tolist() == [3] * 7
    ev = pd.DataFrame({"day": [0, 7, 7, 1, 20], "hour": [20, 20, 20, 0, 23], "w": [1, 2, 3, 4, 5]})
    m = eda.hour_weekday_matrix(ev)
    assert m.shape == (7, 24)
    assert m.loc["Mon", 20] == pytest.approx(3 / 3)
    assert m.loc["Tue", 0] == pytest.approx(1 / 3)
    assert m.loc["Sun", 23] == pytest.approx(1 / 3)
    assert m.to_numpy().sum() == pytest.approx(5 / 3)
    mw = eda.hour_weekday_matrix(ev, weight="w")
    assert mw.loc["Mon", 20] == pytest.approx(6 / 3)
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


def test_hourly_profile():
    p = eda.hourly_profile({"a": pd.DataFrame({"hour": [1, 1, 2, 23]})})
    assert p.loc[1, "a"] == pytest.approx(0.5) and p["a"].sum() == pytest.approx(1)


def test_daily_totals():
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
    d = eda.daily_totals(ud, n_days=3)
    assert d.index.tolist() == [0, 1, 2]
    assert d["active_users"].tolist() == [1, 0, 1]
    assert d["n_negatives"].tolist() == [5, 0, 0]
    assert d["watch_hours"].tolist() == [1.0, 0.0, 2.0]
    assert str(d["date"].iloc[0]) == "2025-05-05" and d["weekday"].iloc[1] == "Tue"


def test_rooms_live_over_time_counts_half_open_intervals():
    t0 = WINDOW_START_MS
    rooms = pd.DataFrame(
        {
            "start_ms": [t0 - H, t0, t0 + 30 * 60_000, t0 + 2 * H],
            "end_ms": [t0 + H, t0 + 2 * H, t0 + H, t0 + 3 * H],
        }
    )
    r = eda.rooms_live_over_time(rooms, step_min=30, start_ms=t0, end_ms=t0 + 3 * H)
    # t = 0, .5, 1, 1.5, 2, 2.5 h
    assert r["n_live"].tolist() == [2, 3, 1, 1, 1, 1]
    assert str(r["time"].iloc[0]) == "2025-05-05 00:00:00+08:00"
    bad = pd.DataFrame({"start_ms": [t0 + 10], "end_ms": [t0]})
    with pytest.raises(ValueError, match="before start_ms"):
        eda.rooms_live_over_time(bad)


def test_room_start_hours_and_durations():
    t0 = WINDOW_START_MS
    rooms = pd.DataFrame(
        {
            "start_ms": [t0 + 20 * H, t0 + MS_PER_DAY + 20 * H, t0 + 8 * H, t0 - 2 * H, t0 + 9 * H],
            "duration_min": np.array([60, 120, 30, 500, 1000], dtype="float32"),
            "end_censored": [False, False, False, False, True],
            "live_content_category": ["other", "other", "shop", "shop", "shop"],
        }
    )
    sh = eda.room_start_hours(rooms)
    assert sh.loc[20, "n_rooms"] == 2 and sh["n_rooms"].sum() == 4  # the pre-window room is out
    assert eda.room_start_hours(rooms, within_window=False).loc[22, "n_rooms"] == 1
    d = eda.room_duration_summary(rooms)
    assert d.loc["shop", "n_rooms"] == 3
    assert d.loc["shop", "share_censored"] == pytest.approx(1 / 3)
    assert d.loc["shop", "median"] == pytest.approx(30)  # only the ended in-window shop room
    assert d.loc["other", "median"] == pytest.approx(90)


# --------------------------------------------------------------------------------------------
# Repeat consumption
# --------------------------------------------------------------------------------------------
def clicks_frame():
    t0 = WINDOW_START_MS
    rows = [  # user, live, streamer, ts
        (1, 10, 100, t0),
        (1, 10, 100, t0 + H),  # same room again: a re-click, not a new visit
        (1, 11, 100, t0 + 24 * H),  # new room of the same streamer one day later
        (1, 12, 100, t0 + 49 * H),  # and again 25 h later
        (1, 20, 200, t0),  # same millisecond as the first click: one screen
        (2, 10, 100, t0 + 5 * H),
        (2, 30, 300, t0 + 6 * H),
    ]
    c = pd.DataFrame(rows, columns=["user_id", "live_id", "streamer_id", "ts_ms"])
    return c


def test_visits_and_revisit_intervals():
    v = eda.visits(clicks_frame())
    assert len(v) == 6
    u1 = v[(v.user_id == 1) & (v.streamer_id == 100)]
    assert u1["visit_no"].tolist() == [1, 2, 3]
    assert u1["n_clicks"].tolist() == [2, 1, 1]
    assert np.isnan(u1["gap_h"].iloc[0])
    assert u1["gap_h"].iloc[1:].tolist() == [24.0, 25.0]
    assert sorted(eda.revisit_intervals(clicks_frame()).tolist()) == [24.0, 25.0]


def test_repeat_summary_known_answers():
    r = eda.repeat_summary(clicks_frame(), min_rooms=2)
    # clicks strictly after an earlier click on the same streamer: t0+H, +24H, +49H -> 3 of 7
    assert r["share_clicks_seen_streamer"] == pytest.approx(3 / 7)
    # repeat visits: rooms 11 and 12 of (1, 100) -> 2 clicks of 7
    assert r["share_clicks_repeat_visit"] == pytest.approx(2 / 7)
    assert r["share_visits_repeat"] == pytest.approx(2 / 6)
    assert r["share_pairs_returning"] == pytest.approx(1 / 4)
    assert r["share_users_returning"] == pytest.approx(1 / 2)
    assert eda.repeat_summary(clicks_frame(), min_rooms=3)[
        "share_pairs_returning"
    ] == pytest.approx(1 / 4)
    assert eda.repeat_summary(clicks_frame(), min_rooms=4)["share_pairs_returning"] == 0
    with pytest.raises(ValueError, match="min_rooms"):
        eda.repeat_summary(clicks_frame(), min_rooms=1)


def test_interval_histogram_and_daily_rhythm():
    h = eda.interval_histogram([0.5, 1.5, 1.7, 24.2, 200.0], bin_h=1, max_h=48)
    assert len(h) == 48
    assert h["count"].iloc[:3].tolist() == [1, 2, 0]
    assert h.loc[h.lo_h == 24, "count"].item() == 1
    assert h["share"].sum() == pytest.approx(4 / 5)  # the 200 h interval is beyond the range
    d = eda.daily_rhythm_share([1.0, 24.0, 47.0, 36.0, 12.0], tol_h=3, min_h=12)
    assert d["n_intervals"] == 4  # 1 h is excluded
    assert d["share_near_whole_days"] == pytest.approx(2 / 4)  # 24 and 47 are near whole days
    assert d["expected_uniform"] == pytest.approx(0.25)


# --------------------------------------------------------------------------------------------
# Behaviour
# --------------------------------------------------------------------------------------------
def test_gift_price_summary_and_counts():
    g = eda.gift_price_summary([1, 1, 2, 10, 20, 100])
    assert g["share_eq_1"] == pytest.approx(2 / 6)
    assert g["share_le_20"] == pytest.approx(5 / 6)
    assert g["total"] == 134 and g["p50"] == pytest.approx(6)
    pc = eda.price_counts([1, 1, 2, 10, 20, 100], max_price=20)
    assert pc.loc[pc.price == 1, "count"].item() == 2
    assert pc["count"].sum() == 5  # the price-100 gift is beyond max_price
    with pytest.raises(ValueError, match="gift_price"):
        eda.price_counts([0, 1])


# --------------------------------------------------------------------------------------------
# Paper comparison
# --------------------------------------------------------------------------------------------
def test_paper_figures_are_documented_and_unique():
    keys = [f.key for f in eda.PAPER_FIGURES]
    assert len(keys) == len(set(keys))
    for f in eda.PAPER_FIGURES:
        assert f.source and f.label
        if f.kind == "share":
            assert 0 < f.value < 1
    assert {
        "streamers_lt5_interactions",
        "users_lt50_interactions",
        "repeat_share",
        "user_activity_peak",
    } <= set(keys)
    fig = {f.key: f for f in eda.PAPER_FIGURES}
    assert fig["users_lt50_interactions"].value == 0.438
    assert fig["repeat_share"].value == 0.271


def test_paper_comparison_formats_and_fills():
    t = eda.paper_comparison({"streamers_lt5_interactions": 0.654, "user_activity_peak": 19})
    assert t.loc["streamers_lt5_interactions", "this_run"] == "65.4%"
    assert t.loc["streamers_lt5_interactions", "paper"] == "about 70%"
    assert t.loc["user_activity_peak", "this_run"] == "19:00-01:00"
    assert t.loc["users_lt50_interactions", "this_run"] == "n/a"
    assert t.loc["users_lt50_interactions", "paper"] == "43.8%"
    assert len(t) == len(eda.PAPER_FIGURES)
    assert eda.format_value(18, "hour_window6") == "18:00-24:00"
    assert t.loc["users_lt50_interactions", "source"] == "paper"
    assert t.loc["ctr", "source"] == "real files"


def test_linear_histogram_integer_counts_tenure_distribution():
    h = eda.linear_histogram([0, 0.1, 0.5, 1.0, 2.0], [0, 0.5, 1.0])
    assert h["count"].tolist() == [2, 2]
    assert h["share"].sum() == pytest.approx(4 / 5)
    c = eda.integer_counts([0, 2, 2, 21], 21)
    assert len(c) == 22 and c.loc[2, "count"] == 2 and c.loc[21, "share"] == 0.25
    with pytest.raises(ValueError, match="0..21"):
        eda.integer_counts([22], 21)
    users = pd.DataFrame(
        {"tenure_days": [10, 400, 800, 99_999], "watch_age_days": [0, 0, 1, np.nan]}
    )
    t = eda.tenure_distribution(users, max_years=5)
    assert t["tenure"].tolist() == [0.25, 0.25, 0.25, 0, 0, 0.25]
    assert t.loc[0, "watch_age"] == pytest.approx(1.0)


def test_duration_summary_all_rooms_and_shop_flag():
    t0 = WINDOW_START_MS
    rooms = pd.DataFrame(
        {
            "start_ms": [t0, t0 + H, t0 + 2 * H],
            "duration_min": [10.0, 20.0, 90.0],
            "end_censored": [False, False, False],
            "live_content_category": ["shop", None, "other"],
        }
    )
    d = eda.room_duration_summary(rooms, None)
    assert d.index.tolist() == ["all"] and d.loc["all", "median"] == pytest.approx(20)
    assert eda.shop_flag(rooms).tolist() == ["shop", "not shop", "not shop"]
    k = eda.room_duration_summary(rooms.assign(shop=eda.shop_flag(rooms)), "shop")
    assert k.loc["not shop", "median"] == pytest.approx(55)


def test_log_binned_histogram_integer_bins_hold_whole_values():
    x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    h = eda.log_binned_histogram(x, bins_per_decade=5, integer=True)
    widths = (h["bin_hi"] - h["bin_lo"]).to_numpy()
    assert h["bin_lo"].iloc[0] == 1
    assert (widths == np.round(widths)).all()
    assert h["count"].sum() == 11
    # one value per integer: every bin has density 1/11 per value
    assert np.allclose(h["density"], 1 / 11)
    with pytest.raises(ValueError, match="not whole"):
        eda.log_binned_histogram([1.5, 2], integer=True)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 50), st.integers(0, 30)), min_size=1, max_size=30),
    st.integers(1, 7),
)
def test_rooms_live_matches_brute_force(spans, step):
    t0 = WINDOW_START_MS
    minute = 60_000
    start = np.array([t0 + a * minute for a, _ in spans], dtype="int64")
    end = start + np.array([b * minute for _, b in spans], dtype="int64")
    rooms = pd.DataFrame({"start_ms": start, "end_ms": end})
    r = eda.rooms_live_over_time(rooms, step_min=step, start_ms=t0, end_ms=t0 + 90 * minute)
    t = r["ts_ms"].to_numpy()[:, None]
    brute = ((start[None, :] <= t) & (t < end[None, :])).sum(axis=1)
    assert r["n_live"].tolist() == brute.tolist()


def tiny_dataset():
    """A hand-made dataset with the contract's columns (4 users, 4 streamers, 5 rooms)."""
    from types import SimpleNamespace

    t0 = WINDOW_START_MS

    def ev(rows, extra=None):
        df = pd.DataFrame(
            rows, columns=["user_id", "live_id", "streamer_id", "ts_ms"] + (extra or [])
        )
        df["day"] = ((df["ts_ms"] - t0) // MS_PER_DAY).astype("int8")
        df["hour"] = (((df["ts_ms"] - t0) % MS_PER_DAY) // H).astype("int8")
        return df

    clicks = ev(
        [
            (1, 10, 100, t0 + 20 * H, 2000),
            (1, 11, 100, t0 + 44 * H, 60_000),
            (2, 10, 100, t0 + 21 * H, 4000),
            (2, 12, 200, t0 + 12 * H, 400_000),
            (3, 13, 300, t0 + 22 * H, 1000),
        ],
        ["watch_live_time"],
    )
    comments = ev([(1, 10, 100, t0 + 20 * H)])
    likes = ev([(2, 12, 200, t0 + 12 * H)])
    gifts = ev([(1, 11, 100, t0 + 44 * H, 1), (2, 12, 200, t0 + 12 * H, 20)], ["gift_price"])
    negatives = ev([(3, 10, 100, t0 + 21 * H)] * 5)
    frames = {
        "n_clicks": clicks,
        "n_comments": comments,
        "n_likes": likes,
        "n_gifts": gifts,
        "n_negatives": negatives,
    }
    keys = ["user_id", "live_id", "streamer_id"]
    sessions = pd.concat([f[keys] for f in frames.values()]).drop_duplicates()
    for col, f in frames.items():
        sessions = sessions.merge(
            f.groupby(keys).size().rename(col).reset_index(), on=keys, how="left"
        )
    sessions = sessions.merge(
        clicks.groupby(keys)["watch_live_time"].sum().rename("watch_ms").reset_index(),
        on=keys,
        how="left",
    )
    sessions = sessions.merge(
        gifts.groupby(keys)["gift_price"].sum().rename("gift_value").reset_index(),
        on=keys,
        how="left",
    )
    sessions = sessions.fillna(0)
    user_day = pd.concat([f.assign(kind=k)[["user_id", "day", "kind"]] for k, f in frames.items()])
    user_day["active"] = user_day["kind"] != "n_negatives"
    user_day = user_day.groupby(["user_id", "day"], as_index=False)["active"].any()
    rooms = pd.DataFrame(
        {
            "live_id": [10, 11, 12, 13, 14],
            "streamer_id": [100, 100, 200, 300, 400],
            "start_ms": [t0 + 19 * H, t0 + 43 * H, t0 + 11 * H, t0 + 21 * H, t0 + 18 * H],
            "live_content_category": ["shop", "other", "other", "shop", "other"],
            "end_censored": [False] * 5,
        }
    )
    rooms["duration_min"] = [120.0, 60.0, 90.0, 30.0, 45.0]
    rooms["end_ms"] = rooms["start_ms"] + (rooms["duration_min"] * 60_000).astype("int64")
    users = pd.DataFrame({"user_id": [1, 2, 3, 4], "gender": ["M", "M", "F", "M"]})
    streamers = pd.DataFrame({"streamer_id": [100, 200, 300, 400], "gender": ["F", "F", "M", "F"]})
    return SimpleNamespace(
        users=users,
        streamers=streamers,
        rooms=rooms,
        clicks=clicks,
        comments=comments,
        likes=likes,
        gifts=gifts,
        negatives=negatives,
        sessions=sessions,
        user_day=user_day,
    )


def test_run_values_covers_every_published_figure_with_known_answers():
    ds = tiny_dataset()
    v = eda.run_values(ds)
    assert set(v) == {f.key for f in eda.PAPER_FIGURES}
    assert all(np.isfinite(x) for x in v.values())
    # interactions per streamer: 100 -> 3 clicks + 1 comment + 1 gift = 5; 200 -> 3; 300 -> 1; 400 -> 0
    assert v["streamers_lt5_interactions"] == pytest.approx(3 / 4)
    assert v["ctr"] == pytest.approx(5 / 10)
    assert v["users_male"] == pytest.approx(0.75) and v["streamers_female"] == pytest.approx(0.75)
    assert v["watch_lt_5s"] == pytest.approx(3 / 5)
    assert v["gift_price_eq1"] == pytest.approx(0.5)
    assert v["shop_room_share"] == pytest.approx(0.4)
    assert v["shop_duration_median_min"] == pytest.approx(75.0)
    # user 1 clicked streamer 100 at 20 h, then again (room 11) at 44 h: 1 of 5 clicks
    assert v["repeat_share"] == pytest.approx(1 / 5)
    pairs = eda.run_values(ds, repeat_definition="share_pairs_returning")
    assert pairs["repeat_share"] == pytest.approx(1 / 4)  # pair (1, 100) of 4 pairs
    with pytest.raises(ValueError, match="repeat_definition"):
        eda.run_values(ds, repeat_definition="share_of_nothing")
    assert v["room_start_peak"] in range(24)
    table = eda.paper_comparison(v)
    assert (table["this_run"] != "n/a").all()


def test_every_chapter_figure_builds_with_labelled_axes():
    from matplotlib.figure import Figure

    from kuailive_analysis.plots import eda as ep

    ds = tiny_dataset()
    sa = eda.streamer_activity(ds.sessions, ds.rooms, ds.streamers)
    ua = eda.user_activity(ds.sessions, ds.user_day, ds.users)
    users = ds.users.assign(tenure_days=[400, 800, 30, 5000], watch_age_days=[10, 20, 30, 40])
    figs = [
        ep.demographics_figure(
            {"gender": eda.demographic_shares(ds.users, ds.streamers, "gender")}, title="t"
        ),
        ep.tenure_figure(eda.tenure_distribution(users), title="t"),
        ep.ccdf_panels({"i": (eda.ccdf(sa["n_interactions"]), "x")}, title="t", markers={"i": 5}),
        ep.log_histogram_figure(
            eda.log_binned_histogram(sa["n_interactions"], integer=True),
            xlabel="x",
            title="t",
            density=True,
            threshold=5,
            n_zero=eda.n_zero(sa["n_interactions"]),
        ),
        ep.lorenz_figure({"c": lorenz_curve(sa["n_clicks"])}, {"c": 0.5}, title="t"),
        ep.room_schedule_figure(
            eda.room_start_hours(ds.rooms), eda.rooms_live_over_time(ds.rooms), title="t"
        ),
        ep.duration_figure({"cat": eda.room_duration_summary(ds.rooms)}, title="t"),
        ep.activity_time_figure(
            eda.hour_weekday_matrix(ds.clicks),
            eda.daily_totals(
                ds.user_day.assign(
                    n_clicks=1,
                    watch_ms=0,
                    n_comments=0,
                    n_likes=0,
                    n_gifts=0,
                    gift_value=0,
                    n_negatives=0,
                )
            ),
            title="t",
        ),
        ep.hourly_profile_figure(eda.hourly_profile({"clicks": ds.clicks}), title="t"),
        ep.revisit_figure(eda.interval_histogram(eda.revisit_intervals(ds.clicks)), title="t"),
        ep.bars_figure(
            eda.integer_counts(ua["active_days"], 21),
            x="value",
            y="share",
            xlabel="x",
            ylabel="y",
            title="t",
        ),
        ep.gift_price_figure(
            eda.price_counts(ds.gifts["gift_price"]),
            eda.log_binned_histogram(ds.gifts["gift_price"]),
            title="t",
        ),
    ]
    for f in figs:
        assert isinstance(f, Figure)
        for ax in f.axes:
            if ax.get_visible() and ax.get_label() != "<colorbar>":
                assert ax.get_xlabel() or ax.get_ylabel(), f"unlabelled axes in {f}"


# --------------------------------------------------------------------------------------------
# The chapter's result: eda.analyse -> EDAResult, tested without executing the notebook
# --------------------------------------------------------------------------------------------
CHAPTER = Path(__file__).resolve().parents[1] / "book" / "chapters" / "02_eda.ipynb"
INTRO = CHAPTER.parents[1] / "intro.md"
TEXT_KEY = re.compile(r"\{glue:text\}`(\w+)(?::([^`]*))?`")
INTRO_KEY = re.compile(r"\{glue:text\}`chapters/02_eda\.ipynb::(\w+)(?::([^`]*))?`")
FIGURE_KEY = re.compile(r"\{glue:figure\}\s+(\w+)")


def _cells(kind: str) -> list[str]:
    nb = json.loads(CHAPTER.read_text(encoding="utf-8"))
    return [
        "".join(c["source"])
        for c in nb["cells"]
        if c["cell_type"] == kind and "parameters" not in c["metadata"].get("tags", [])
    ]


def _text_uses() -> set[tuple[str, str]]:
    """(key, spec) of every {glue:text} of the chapter's markdown and of the landing page."""
    uses = {u for md in _cells("markdown") for u in TEXT_KEY.findall(md)}
    return uses | set(INTRO_KEY.findall(INTRO.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    from _tiny import write_tiny

    return write_tiny(tmp_path_factory.mktemp("tiny_eda"))


@pytest.fixture(scope="module")
def tiny_ds(tiny_folder):
    from kuailive_analysis.dataset import load

    # the known answers below are for the cleaning that drops the duplicate click and the
    # long room (the default keeps and flags them)
    return load(tiny_folder, cache=False, **DROPPING)


DROPPING = {"drop_duplicate_events": True, "long_rooms": "drop"}


@pytest.fixture(scope="module")
def result(tiny_ds) -> eda.EDAResult:
    return eda.analyse(tiny_ds)


def test_numbers_are_exactly_the_glue_keys_of_the_text(result):
    used = {k for k, _ in _text_uses()}
    assert len(used) > 100
    assert set(result.numbers()) == used


def test_every_number_takes_the_spec_the_text_uses(result):
    h = result.numbers()
    for key, spec in _text_uses():
        value = h[key]
        assert type(value) in (int, float, str), (key, type(value))  # no numpy scalars
        if spec.endswith("d"):
            assert isinstance(value, int), (key, value)
        if spec.endswith("s"):
            assert isinstance(value, str), (key, value)
        format(value, spec)


def test_figures_and_tables_of_the_text_are_glued_by_the_notebook():
    figures = {k for md in _cells("markdown") for k in FIGURE_KEY.findall(md)}
    glued = set(re.findall(r"\bg\(\s*\"(\w+)\"", "\n".join(_cells("code"))))
    assert len(figures) == 17 and figures == glued


def test_notebook_is_thin_and_stored_without_outputs():
    nb = json.loads(CHAPTER.read_text(encoding="utf-8"))
    assert not any(
        c.get("outputs") or c.get("execution_count")
        for c in nb["cells"]
        if c["cell_type"] == "code"
    )
    text = "\n".join(_cells("code"))
    # 60 lines + the banner, Key findings and product actions (one call each)
    assert len([ln for ln in text.splitlines() if ln.strip()]) <= 63
    assert text.count("eda.analyse(") == 1 and text.count("glue_all(res.numbers())") == 1
    for banned in (
        r"^\s*def ",
        r"^\s*class ",
        r"^\s*(for|while) ",
        r"\bf\"",
        r"\bf'",
        r"\.iloc\b",
        r"\bimport (numpy|pandas)\b",
        r"\bload\(",
    ):
        assert not re.search(banned, text, re.MULTILINE), banned


def test_result_is_typed_frozen_and_carries_nothing_in_attrs(result):
    assert isinstance(result.params, eda.Params) and result.source.kind == "folder"
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.streamers.streamers_zero = 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.elapsed_s = 0.0
    assert [type(s).__name__ for s in result.sections()] == [
        "Overview",
        "Profiles",
        "Streamers",
        "Concentration",
        "Rooms",
        "Users",
        "Timing",
        "Returns",
        "Behaviour",
        "Gifts",
        "Published",
    ]
    frames = []
    for section in result.sections():
        for f in dataclasses.fields(section):
            v = getattr(section, f.name)
            items = v.values() if isinstance(v, dict) else [v]
            frames += [
                x[0] if isinstance(x, tuple) else x
                for x in items
                if isinstance(x, (pd.DataFrame, pd.Series, tuple))
            ]
    assert len(frames) >= 25 and not any(x.attrs for x in frames)
    assert len(repr(result)) < 20_000  # tables stay out of the repr


def test_known_answers_on_the_tiny_folder(result, tiny_ds):
    h = result.numbers()
    # 5 clean clicks (watch 2, 3, 5, 7, 60 s) and 3 negatives; 2 clean gifts of 2 and 10 coins
    assert (h["n_users"], h["n_streamers"], h["n_clicks"]) == (4, 3, 5)
    assert h["n_rooms"] == len(tiny_ds.rooms)
    assert h["ctr"] == pytest.approx(5 / 8) and h["negatives_per_click"] == pytest.approx(3 / 5)
    assert (
        h["watch_share_lt_5s"],
        h["watch_share_5_30s"],
        h["watch_share_30_300s"],
        h["watch_share_ge_300s"],
    ) == pytest.approx((0.4, 0.4, 0.2, 0.0))
    assert h["watch_median_s"] == pytest.approx(5.0) and h["watch_mean_s"] == pytest.approx(15.4)
    assert h["watch_max_min"] == pytest.approx(1.0)
    assert (h["revenue"], h["gift_price_mean"], h["gift_max"]) == (12, 6.0, 10.0)
    assert h["gift_share_eq_1"] == 0.0 and h["gift_share_le_20"] == 1.0
    assert h["users_male"] == 0.5 and h["streamers_female"] == 1.0 and h["top_country"] == "China"
    assert h["cold_start_max"] == 5 and h["live_step_label"] == "15-minute"
    assert h["shop_share"] == pytest.approx(1 / len(tiny_ds.rooms))  # room 11 is the shop room


def test_sections_agree_with_their_tables(result, tiny_ds):
    from kuailive_analysis.core.stats import gini

    h = result.numbers()
    st = result.streamers
    n = st.activity["n_interactions"]
    assert h["streamers_lt_cold"] == pytest.approx((n < h["cold_start_max"]).mean())
    assert h["streamers_zero"] == pytest.approx((n == 0).mean()) and st.n_zero == (n == 0).sum()
    assert st.histogram["count"].sum() + st.n_zero == len(n) == h["n_streamers"]
    conc = result.concentration
    assert conc.table.loc["clicks", "gini"] == pytest.approx(gini(st.activity["n_clicks"]))
    assert h["gini_clicks"] == conc.ginis["clicks"] and set(conc.curves) == set(conc.table.index)
    assert list(conc.display_table().columns[-2:]) == ["top 1% share", "top 10% share"]
    users = result.users
    assert users.active_days["count"].sum() == len(users.activity) == h["n_users"]
    timing = result.timing
    per_weekday = eda.days_per_weekday()[:, None]
    assert (timing.matrix.to_numpy() * per_weekday).sum() == pytest.approx(h["n_clicks"])
    assert timing.daily["n_clicks"].sum() == h["n_clicks"]
    assert timing.profile.sum().to_numpy() == pytest.approx(1.0)
    assert h["uniform_peak_share"] == h["peak_hours"] / 24
    rooms = result.rooms
    assert rooms.start_hours["share"].sum() == pytest.approx(1.0)
    assert h["live_max"] == rooms.live["n_live"].max() and set(rooms.durations) == {
        "content category",
        "live_type",
    }
    assert h["shop_cmp"] == (
        "longer" if h["shop_median_min"] > h["nonshop_median_min"] else "no longer"
    )
    assert result.gifts.price_counts["count"].sum() == len(tiny_ds.gifts)
    table = result.published.display_table()
    assert list(table.columns) == list(eda.published.CALIBRATION_COLUMNS.values())
    assert len(table) == len(eda.published.CALIBRATION_KEYS)
    assert len(result.published.comparison) == len(eda.PAPER_FIGURES)


def test_returns_section_known_answers():
    ds = tiny_dataset()
    ua = eda.user_activity(ds.sessions, ds.user_day, ds.users)
    ret = eda.returns_section(ds.clicks, ua["top_streamer_watch_share"], min_rooms=2, tol_h=3.0)
    h = ret.numbers()
    # user 1 clicks streamer 100 at 20 h (room 10) and again at 44 h (room 11): one return
    assert h["share_clicks_seen_streamer"] == pytest.approx(1 / 5)
    assert h["share_pairs_returning"] == pytest.approx(1 / 4)
    assert (h["n_intervals"], h["revisit_median_h"], h["revisit_within_day"]) == (1, 24.0, 0.0)
    assert h["rhythm_share"] == 1.0 and h["rhythm_ratio"] == pytest.approx(4.0)
    assert h["rhythm_verdict"] == "Returns have a daily rhythm"
    assert ret.intervals["count"].sum() == 1
    assert ret.revisit_title.startswith("Returns near whole days are 4.0x")


def test_titles_state_the_findings(result):
    h = result.numbers()
    assert result.profiles.title == "50% of users are men, 100% of streamers are women"
    assert result.streamers.histogram_title.startswith(
        f"{h['streamers_lt_cold']:.0%} of streamers get fewer than 5 interactions"
    )
    assert result.streamers.threshold_label == "cold-start threshold (5)"
    assert result.rooms.schedule_title.startswith(f"Rooms start mostly {h['room_start_peak']};")
    assert result.timing.title.startswith(f"Activity peaks {h['activity_peak']} Beijing time")
    assert result.behaviour.title == "40% of clicks last under 5 seconds; median 5.0 s"
    assert result.gifts.title.startswith("0% of gifts cost 1 coin")
    most = result.concentration.table["gini"].idxmax()
    assert result.concentration.title.startswith(most.capitalize())


def test_parameters_reach_the_result(tiny_ds, result):
    res = eda.analyse(
        tiny_ds,
        cold_start_max=2,
        repeat_definition="share_pairs_returning",
        peak_hours=4,
        live_step_minutes=30,
    )
    h = res.numbers()
    n = res.streamers.activity["n_interactions"]
    assert h["cold_start_max"] == 2 and h["streamers_lt_cold"] == pytest.approx((n < 2).mean())
    assert h["peak_hours"] == 4 and h["uniform_peak_share"] == 1 / 6
    assert h["live_step_label"] == "30-minute" and len(res.rooms.live) * 2 == len(result.rooms.live)
    assert h["repeat_definition_text"] == eda.REPEAT_DEFINITIONS["share_pairs_returning"]
    assert res.published.comparison.loc["repeat_share", "run_value"] == pytest.approx(
        h["share_pairs_returning"]
    )
    assert res.params.as_dict()["cold_start_max"] == 2
    with pytest.raises(TypeError):
        eda.analyse(tiny_ds, cold_start_maximum=2)
    with pytest.raises(ValueError, match="repeat_definition"):
        eda.Params(repeat_definition="share_of_nothing")
    with pytest.raises(ValueError, match="peak_hours"):
        eda.Params(peak_hours=0)


def test_analyse_loads_a_folder(tiny_folder):
    from kuailive_analysis.dataset import load

    result = eda.analyse(load(tiny_folder, cache=False))
    res = eda.analyse(tiny_folder)
    a, b = res.numbers(), result.numbers()
    assert res.elapsed_s > 0 and "time_elapsed_s" not in a
    assert a.keys() == b.keys()
    assert all(a[k] == b[k] or (a[k] != a[k] and b[k] != b[k]) for k in a)  # nan == nan here


# ---------------------------------------------------------------------------------------------
# Calibration check and findings (issue 15)
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def twin_result(small_twin) -> eda.EDAResult:
    return eda.analyse(small_twin)


def test_calibration_table_takes_each_value_from_the_fidelity_module(twin_result, small_twin):
    from kuailive_analysis import fidelity

    cal = twin_result.published.calibration
    assert list(cal.index) == list(eda.published.CALIBRATION_KEYS)
    stats = fidelity.measure(small_twin)
    for key in ("daily_gini_clicks", "ctr", "gini_user_revenue", "streamer_lt5"):
        assert cal.loc[key, "run_value"] == pytest.approx(stats[key])
        assert cal.loc[key, "real_value"] == fidelity.FACT_BY_KEY[key].real
    # the click Gini is the source's daily-averaged one (0.563), not the pooled Gini
    assert cal.loc["daily_gini_clicks", "real_value"] == 0.563
    assert twin_result.published.click_gini_daily == pytest.approx(stats["daily_gini_clicks"])
    assert (cal["role"] == "calibration target (planted)").all()
    assert set(cal["verdict"]) <= set(fidelity.VERDICTS)
    n = twin_result.numbers()
    assert (
        n["calibration_n"]
        == len(cal)
        == (
            n["calibration_match"]
            + n["calibration_close"]
            + n["calibration_off"]
            + int((cal["verdict"] == "n/a").sum())
        )
    )


def test_findings_on_the_twin_are_planted_and_carry_no_action(twin_result):
    from kuailive_analysis.chapter.findings import Finding

    f = {x.key: x for x in twin_result.findings()}
    assert set(f) == {
        "calibration",
        "click_concentration",
        "revenue_concentration",
        "evening_habit",
        "loyal_users",
        "cold_start",
    }
    assert all(isinstance(x, Finding) and x.chapter == "eda" for x in f.values())
    for key in (
        "click_concentration",
        "revenue_concentration",
        "evening_habit",
        "loyal_users",
        "cold_start",
    ):
        assert f[key].origin == "planted" and not f[key].action and not f[key].headline, key
    ev = f["evening_habit"]
    assert ev.interval[0] <= ev.value <= ev.interval[1]
    assert ev.status == ("validated" if ev.interval[0] > 0.25 else "failed")
    assert f["calibration"].origin == "data"
    if f["calibration"].status == "failed":
        assert "outside tolerance" in f["calibration"].reason


def test_findings_on_a_plain_folder_are_data_with_actions(tiny_folder):
    res = eda.analyse(tiny_folder)
    f = res.findings()
    assert all(x.origin in ("data",) for x in f)
    assert all(not x.action for x in f if x.status != "validated")
    assert (res.published.calibration["role"] == "published value (check)").all()


def test_calibration_without_a_folder_is_not_available():
    cal = eda.published.calibration_table(tiny_dataset())
    assert (cal["verdict"] == "n/a").all() and cal["run_value"].isna().all()
