"""Chapter 2's SQL definitions (:mod:`kuailive_analysis.engine.queries.eda`), run on a Dataset of
hand-made frames, against hand-computed answers and brute-force properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from kuailive_analysis import eda
from kuailive_analysis.core.calendar import MS_PER_DAY, WINDOW_START_MS as W
from kuailive_analysis.core.stats import gini
from kuailive_analysis.eda.returns import daily_rhythm, interval_counts, interval_histogram
from kuailive_analysis.engine.queries import eda as EQ

from .hand import SOURCE, dataset

H = 3_600_000


def frames(**tables):
    from kuailive_analysis.dataset import Dataset

    return Dataset(tables=tables, source=SOURCE, params={})


# --------------------------------------------------------------------------------------------
# Activity per streamer and per user (the registry's derived tables)
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
    return pd.DataFrame(rows, columns=["user_id", "live_id", "streamer_id", *EQ.SESSION_SUMS])


def test_streamer_activity():
    rooms = pd.DataFrame(
        {"live_id": [10, 11, 12, 13, 14, 15], "streamer_id": [100, 100, 200, 300, 200, 400]}
    )
    streamers = pd.DataFrame({"streamer_id": [100, 200, 300, 400, 500]})
    ds = frames(sessions=sessions_frame(), rooms=rooms, streamers=streamers)
    sa = ds.query(EQ.STREAMER_ACTIVITY).set_index("streamer_id")
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


def test_user_activity():
    user_day = pd.DataFrame(
        {
            "user_id": [1, 1, 2, 2, 3],
            "day": [0, 1, 0, 2, 5],
            "active": [True, True, True, False, True],
        }
    )
    users = pd.DataFrame({"user_id": [1, 2, 3, 4]})
    ds = frames(sessions=sessions_frame(), user_day=user_day, users=users)
    ua = ds.query(EQ.USER_ACTIVITY).set_index("user_id")
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


# --------------------------------------------------------------------------------------------
# Rooms
# --------------------------------------------------------------------------------------------
def test_room_start_hours_and_durations():
    rooms = pd.DataFrame(
        {
            "start_ms": [W + 20 * H, W + MS_PER_DAY + 20 * H, W + 8 * H, W - 2 * H, W + 9 * H],
            "duration_min": np.array([60, 120, 30, 500, 1000], dtype="float32"),
            "end_censored": [False, False, False, False, True],
            "live_content_category": ["other", "other", "shop", "shop", "shop"],
        }
    )
    ds = frames(rooms=rooms)
    sh = eda.room_start_hours(ds)
    assert sh.loc[20, "n_rooms"] == 2 and sh["n_rooms"].sum() == 4  # the pre-window room is out
    assert eda.room_start_hours(ds, within_window=False).loc[22, "n_rooms"] == 1
    d = eda.room_duration_summary(ds)
    assert d.index.tolist() == ["shop", "other"]  # largest group first
    assert d.loc["shop", "n_rooms"] == 3
    assert d.loc["shop", "share_censored"] == pytest.approx(1 / 3)
    assert d.loc["shop", "median"] == pytest.approx(30)  # only the ended in-window shop room
    assert d.loc["other", "median"] == pytest.approx(90)
    assert d.loc["other", "mean"] == pytest.approx(90)


def test_duration_summary_all_rooms_and_missing_categories():
    rooms = pd.DataFrame(
        {
            "start_ms": [W, W + H, W + 2 * H],
            "duration_min": [10.0, 20.0, 90.0],
            "end_censored": [False, False, False],
            "live_content_category": ["shop", None, "other"],
        }
    )
    ds = frames(rooms=rooms)
    d = eda.room_duration_summary(ds, None)
    assert d.index.tolist() == ["all"] and d.loc["all", "median"] == pytest.approx(20)
    assert d.loc["all", "p25"] == pytest.approx(15) and d.loc["all", "p90"] == pytest.approx(76)
    by = eda.room_duration_summary(ds)
    assert set(by.index) == {"shop", "other", "(missing)"}
    assert by["share_rooms"].sum() == pytest.approx(1)


def test_rooms_live_over_time_counts_half_open_intervals():
    rooms = pd.DataFrame(
        {
            "start_ms": [W - H, W, W + 30 * 60_000, W + 2 * H],
            "end_ms": [W + H, W + 2 * H, W + H, W + 3 * H],
        }
    )
    r = eda.rooms_live_over_time(frames(rooms=rooms), step_min=30, start_ms=W, end_ms=W + 3 * H)
    # t = 0, .5, 1, 1.5, 2, 2.5 h
    assert r["n_live"].tolist() == [2, 3, 1, 1, 1, 1]
    assert str(r["time"].iloc[0]) == "2025-05-05 00:00:00+08:00"
    bad = frames(rooms=pd.DataFrame({"start_ms": [W + 10], "end_ms": [W]}))
    with pytest.raises(ValueError, match="before start_ms"):
        eda.rooms_live_over_time(bad)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 50), st.integers(0, 30)), min_size=1, max_size=30),
    st.integers(1, 7),
)
def test_rooms_live_matches_brute_force(spans, step):
    minute = 60_000
    start = np.array([W + a * minute for a, _ in spans], dtype="int64")
    end = start + np.array([b * minute for _, b in spans], dtype="int64")
    ds = frames(rooms=pd.DataFrame({"start_ms": start, "end_ms": end}))
    r = eda.rooms_live_over_time(ds, step_min=step, start_ms=W, end_ms=W + 90 * minute)
    t = r["ts_ms"].to_numpy()[:, None]
    brute = ((start[None, :] <= t) & (t < end[None, :])).sum(axis=1)
    assert r["n_live"].tolist() == brute.tolist()


def _duration_reference(rooms, by, ended_only):
    """Room durations by group as pandas computes them (``Series.quantile``, the mean)."""
    r = rooms.assign(rooms="all") if by is None else rooms
    by = ["rooms"] if by is None else [by] if isinstance(by, str) else list(by)
    for c in by:
        r = r.assign(**{c: [("(missing)" if pd.isna(v) else str(v)) for v in r[c]]})
    g_all = r.groupby(by)
    n = g_all.size()
    keep = r["start_ms"].between(W, W + 21 * MS_PER_DAY - 1)
    if ended_only:
        keep &= ~r["end_censored"].astype(bool)
    g = r.loc[keep].groupby(by)["duration_min"]
    q = g.quantile([0.25, 0.5, 0.75, 0.9]).unstack()
    q.columns = ["p25", "median", "p75", "p90"]
    out = pd.DataFrame(
        {"n_rooms": n, "share_rooms": n / n.sum(), "share_censored": g_all["end_censored"].mean()}
    )
    return out.join(q).assign(mean=g.mean())


@pytest.mark.parametrize("seed", range(8))
def test_room_durations_equal_pandas_on_random_rooms(seed):
    """Exact quantiles from the order statistics the SQL picks, on rooms with many ties, missing
    categories, groups without a kept room and tiny groups."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    cats = np.array(["shop", "other", "game", None], dtype=object)
    dur = rng.choice([0.0, 1.5, 2.0, 7.25, 30.0, 61.0], n) if seed % 2 else rng.gamma(1, 60, n)
    rooms = pd.DataFrame(
        {
            "live_content_category": cats[rng.integers(0, 4 if seed % 3 else 3, n)],
            "live_type": rng.integers(1, 4, n).astype("int16"),
            "start_ms": (W + rng.integers(-3, 30, n) * H).astype("int64"),
            "duration_min": dur.astype("float32" if seed % 4 else "float64"),
            "end_censored": rng.random(n) < 0.2,
        }
    )
    ds = frames(rooms=rooms)
    for by in (None, "live_content_category", "live_type", ["live_type", "live_content_category"]):
        for ended_only in (True, False):
            got = eda.room_duration_summary(ds, by, ended_only=ended_only)
            ref = _duration_reference(rooms, by, ended_only).loc[got.index]
            assert (np.diff(got["n_rooms"].to_numpy()) <= 0).all()  # largest group first
            np.testing.assert_allclose(got["mean"], ref["mean"], rtol=1e-6)
            pd.testing.assert_frame_equal(
                got.drop(columns="mean"), ref.drop(columns="mean"), check_dtype=False
            )


# --------------------------------------------------------------------------------------------
# Returns to the same streamer
# --------------------------------------------------------------------------------------------
def clicks_frame():
    rows = [  # user, live, streamer, ts
        (1, 10, 100, W),
        (1, 10, 100, W + H),  # same room again: a re-click, not a new visit
        (1, 11, 100, W + 24 * H),  # new room of the same streamer one day later
        (1, 12, 100, W + 49 * H),  # and again 25 h later
        (1, 20, 200, W),  # same millisecond as the first click: one screen
        (2, 10, 100, W + 5 * H),
        (2, 30, 300, W + 6 * H),
    ]
    return pd.DataFrame(rows, columns=["user_id", "live_id", "streamer_id", "ts_ms"])


def test_repeat_summary_known_answers():
    ds = frames(clicks=clicks_frame())
    r = eda.repeat_summary(eda.returns_rows(ds, min_rooms=2))
    # clicks strictly after an earlier click on the same streamer: W+H, +24H, +49H -> 3 of 7
    assert r["share_clicks_seen_streamer"] == pytest.approx(3 / 7)
    # repeat visits: rooms 11 and 12 of (1, 100) -> 2 clicks of 7
    assert r["share_clicks_repeat_visit"] == pytest.approx(2 / 7)
    assert r["share_visits_repeat"] == pytest.approx(2 / 6)
    assert r["share_pairs_returning"] == pytest.approx(1 / 4)
    assert r["share_users_returning"] == pytest.approx(1 / 2)
    assert (r["n_visits"], r["n_pairs"], r["n_users"]) == (6, 4, 2)
    three = eda.repeat_summary(eda.returns_rows(ds, min_rooms=3))
    assert three["share_pairs_returning"] == pytest.approx(1 / 4)
    assert eda.repeat_summary(eda.returns_rows(ds, min_rooms=4))["share_pairs_returning"] == 0
    with pytest.raises(ValueError, match="min_rooms"):
        eda.returns_rows(ds, min_rooms=1)


def test_revisit_intervals_histogram_and_daily_rhythm():
    # one pair, visits at 0, 0.5, 2, 26.2, 50, 62 and 262 h: gaps 0.5, 1.5, 24.2, 23.8, 12, 200
    hours = [0, 0.5, 2, 26.2, 50, 62, 262]
    clicks = pd.DataFrame(
        {
            "user_id": 1,
            "streamer_id": 100,
            "live_id": range(10, 10 + len(hours)),
            "ts_ms": [W + int(h * H) for h in hours],
        }
    )
    rows = eda.returns_rows(frames(clicks=clicks), tol_h=3.0, max_h=48)
    counts = interval_counts(rows)
    assert int(rows["n_intervals"].iloc[0]) == 6
    assert float(rows["median_h"].iloc[0]) == pytest.approx((12 + 23.8) / 2)
    h = interval_histogram(counts, 6, 48)
    assert len(h) == 48 and h["count"].iloc[:3].tolist() == [1, 1, 0]
    assert h.loc[h.lo_h == 24, "count"].item() == 1 and h.loc[h.lo_h == 23, "count"].item() == 1
    assert h["share"].sum() == pytest.approx(5 / 6)  # the 200 h interval is beyond the range
    d = daily_rhythm(counts, tol_h=3.0)
    assert d["n_intervals"] == 4  # 12, 23.8, 24.2 and 200 h
    assert d["share_near_whole_days"] == pytest.approx(2 / 4)  # 23.8 and 24.2 h; 200 h is 8 d 8 h
    assert d["expected_uniform"] == pytest.approx(0.25)


def _brute_returns(clicks: pd.DataFrame, min_rooms: int):
    """The totals of RETURNS and the revisit gaps, by plain Python over the click rows."""
    first_of_pair, visits = {}, {}
    for u, live, s, t in clicks.itertuples(index=False):
        first_of_pair[(u, s)] = min(first_of_pair.get((u, s), t), t)
        f, n = visits.get((u, s, live), (t, 0))
        visits[(u, s, live)] = (min(f, t), n + 1)
    by_pair = {}
    for (u, s, live), (f, n) in visits.items():
        by_pair.setdefault((u, s), []).append((f, live, n))
    repeat = repeat_clicks = 0
    gaps = []
    for vs in by_pair.values():
        vs.sort()
        repeat += len(vs) - 1
        repeat_clicks += sum(n for _, _, n in vs[1:])
        gaps += [(b[0] - a[0]) / H for a, b in zip(vs, vs[1:])]
    seen = sum(t > first_of_pair[(u, s)] for u, _, s, t in clicks.itertuples(index=False))
    returning = {p for p, vs in by_pair.items() if len(vs) >= min_rooms}
    users = {u for u, _ in by_pair}
    totals = {
        "n_clicks": len(clicks),
        "n_seen": seen,
        "n_visits": len(visits),
        "n_repeat": repeat,
        "n_repeat_clicks": repeat_clicks,
        "n_pairs": len(by_pair),
        "n_pairs_returning": len(returning),
        "n_users": len(users),
        "n_users_returning": len({u for u, _ in returning}),
        "n_intervals": len(gaps),
    }
    return totals, np.array(gaps)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 5), st.integers(0, 200)),
        min_size=1,
        max_size=40,
    ),
    st.integers(2, 4),
)
def test_returns_match_brute_force(rows, min_rooms):
    """Visits, repeat visits, returning pairs and users and the revisit intervals (ties at one
    millisecond, re-clicks of one room, whole hours) as a plain loop over the clicks gives them;
    the interval histogram equals numpy's on the gaps."""
    clicks = pd.DataFrame(
        [(u, s * 10 + live, s, W + m * 30 * 60_000) for u, s, live, m in rows],
        columns=["user_id", "live_id", "streamer_id", "ts_ms"],
    )
    got = eda.returns_rows(frames(clicks=clicks), min_rooms=min_rooms, max_h=48.0)
    totals, gaps = _brute_returns(clicks, min_rooms)
    assert {k: int(got[k].iloc[0]) for k in totals} == totals
    if len(gaps):
        assert float(got["median_h"].iloc[0]) == pytest.approx(np.median(gaps))
    hist = interval_histogram(interval_counts(got), len(gaps), 48.0)
    ref, _ = np.histogram(gaps[gaps < 48], bins=np.arange(0.0, 48.5, 1.0))
    assert hist["count"].tolist() == ref.tolist()


# --------------------------------------------------------------------------------------------
# The findings' tests: interactions by hour and per user around a split day, favourites
# --------------------------------------------------------------------------------------------
def test_user_peak_counts_the_window_from_a_day_on():
    ds = dataset()
    peak = ds.query(EQ.USER_PEAK, peak_start=20, peak_hours=3).set_index("user_id")
    # user 1: click 20 h, comment 20 h, click 44 h (20 h), gift 44 h -> 4 of 4 in 20-23 h;
    # user 2: click 21 h in, click/like/gift at 12 h out; user 3: click 22 h in
    assert peak["n"].to_dict() == {1: 4, 2: 4, 3: 1}
    assert peak["n_peak"].to_dict() == {1: 4, 2: 1, 3: 1}
    wrapped = ds.query(EQ.USER_PEAK, peak_start=22, peak_hours=15)  # 22:00-13:00
    assert wrapped.set_index("user_id")["n_peak"].to_dict() == {1: 0, 2: 3, 3: 1}
    later = ds.query(EQ.USER_PEAK, peak_start=20, peak_hours=3, from_day=1)  # day 1: 44 h
    assert later.set_index("user_id")[["n", "n_peak"]].to_dict("index") == {
        1: {"n": 2, "n_peak": 2}
    }


def test_interaction_hours_before_a_day():
    ds = dataset()
    h = ds.query(EQ.INTERACTION_HOURS, before_day=1).set_index("hour")["n"].to_dict()
    # day 0: 20 h click + comment (user 1), 21 h click, 12 h click + like + gift (user 2),
    # 22 h click (user 3); day 1 (44 h) is left out
    assert h == {12: 3, 20: 2, 21: 1, 22: 1}
    assert ds.query(EQ.INTERACTION_HOURS, before_day=0).empty


def _holdout_sessions(rows):
    """Sessions (user, streamer, day, watch s) with one room each."""
    df = pd.DataFrame(rows, columns=["user_id", "streamer_id", "day", "watch_s"])
    df["live_id"] = np.arange(len(df))
    df["watch_ms"] = df.pop("watch_s") * 1000
    return df


def test_favourite_holdout_by_hand():
    sessions = _holdout_sessions(
        [
            # user 1: favourite 100 (50 s before day 14), others 200 and 300; after: 100 40 s,
            # 200 10 s, 400 50 s -> w_hold 100, w_fav 40, w_others 10, n_others 2
            (1, 100, 0, 30),
            (1, 100, 5, 20),
            (1, 200, 3, 40),
            (1, 300, 13, 1),
            (1, 100, 14, 40),
            (1, 200, 20, 10),
            (1, 400, 15, 50),
            # user 2: tie 100 / 200 before (the lower id is the favourite), nothing after: out
            (2, 200, 1, 10),
            (2, 100, 2, 10),
            # user 3: one streamer before, all watch after on another one
            (3, 500, 0, 5),
            (3, 600, 16, 9),
            # user 4: watch only after the split: out; a zero-watch session is ignored
            (4, 100, 15, 7),
            (1, 700, 0, 0),
        ]
    )
    got = frames(sessions=sessions).query(EQ.FAVOURITE_HOLDOUT, split_day=14)
    got = got.set_index("user_id")
    assert got.index.tolist() == [1, 3]
    assert got.loc[1, ["w_hold", "w_fav", "w_others", "n_others"]].tolist() == [
        100_000,
        40_000,
        10_000,
        2,
    ]
    assert got.loc[3, ["w_hold", "w_fav", "w_others", "n_others"]].tolist() == [9_000, 0, 0, 0]
    tie = frames(sessions=sessions[sessions["user_id"] == 2].assign(day=[1, 14]))
    assert tie.query(EQ.FAVOURITE_HOLDOUT).set_index("user_id").loc[2, "w_fav"] == 0  # 100 first


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(0, 20), st.integers(0, 50)),
        min_size=1,
        max_size=40,
    )
)
def test_favourite_holdout_matches_brute_force(rows):
    """Each user's favourite (most watch before day 14, lowest id on ties) and the watch after
    day 14 on it and on the user's other earlier streamers, as a plain loop gives them."""
    sessions = _holdout_sessions(rows)
    got = frames(sessions=sessions).query(EQ.FAVOURITE_HOLDOUT).set_index("user_id")
    expect = {}
    for u in sorted({r[0] for r in rows}):
        before, after = {}, {}
        for uu, s, d, w in rows:
            if uu == u and w > 0:
                side = before if d < 14 else after
                side[s] = side.get(s, 0) + w * 1000
        if not before or not after:
            continue
        fav = min(before, key=lambda s: (-before[s], s))
        others = [s for s in before if s != fav]
        expect[u] = [
            sum(after.values()),
            after.get(fav, 0),
            sum(after.get(s, 0) for s in others),
            len(others),
        ]
    assert sorted(got.index) == sorted(expect)
    for u, values in expect.items():
        assert got.loc[u, ["w_hold", "w_fav", "w_others", "n_others"]].tolist() == values


def test_checks_of_the_findings_by_hand():
    """The four tests on hand-made tables: the window chosen before day 14 and counted after
    it, the favourite's lift, the Gini gap of revenue over watch and the Wilson cold share."""
    from kuailive_analysis.eda.checks import checks

    def ev(rows):  # (user, day, hour)
        df = pd.DataFrame(rows, columns=["user_id", "day", "hour"])
        return df.assign(live_id=1, streamer_id=100)

    clicks = ev([(1, 0, 20)] * 3 + [(2, 1, 20), (2, 2, 9)] + [(1, 14, 20), (2, 15, 9), (2, 16, 20)])
    none = ev([])
    sessions = _holdout_sessions(
        [(1, 100, 0, 60), (1, 200, 1, 10), (1, 100, 14, 30), (1, 200, 15, 10), (1, 300, 16, 60)]
    )
    ds = frames(clicks=clicks, comments=none, likes=none, gifts=none, sessions=sessions)
    ua = pd.DataFrame({"gift_value": [0.0, 0.0, 0.0, 100.0], "watch_hours": [1.0, 1.0, 1.0, 1.0]})
    sa = pd.DataFrame({"n_interactions": [0, 1, 2, 10]})
    c = checks(ds, ua, sa, peak_hours=1, cold_start_max=5)
    # days 0-13: hour 20 has 4 interactions, hour 9 one -> window 20:00-21:00; after day 14:
    # user 1 1 of 1, user 2 1 of 2 -> 2 of 3
    assert c.peak_window == "20:00-21:00" and c.peak_share_hold == pytest.approx(2 / 3)
    assert c.flat_share == 1 / 24 and c.n_users_peak == 2
    assert c.peak_share_hold_ci[0] <= 2 / 3 <= c.peak_share_hold_ci[1]
    # user 1: after day 14 100 s, 30 on the favourite 100, 10 on the one other earlier streamer
    assert (c.fav_share_hold, c.other_share_hold) == (pytest.approx(0.3), pytest.approx(0.1))
    assert c.fav_lift == pytest.approx(20.0) and c.fav_lift_ci == (pytest.approx(20.0),) * 2
    # revenue all on one of 4 users (Gini 3/4), watch even (Gini 0)
    assert c.gini_revenue == pytest.approx(gini(np.array([0, 0, 0, 100.0])))
    assert c.gini_watch == 0.0 and c.gini_gap == pytest.approx(c.gini_revenue)
    assert c.top1_revenue == pytest.approx(0.04)  # Lorenz: the top 1% of 4 users = 0.04 payer
    assert c.cold_share == 0.75 and c.cold_share_ci[0] < 0.75 < c.cold_share_ci[1]
    assert c == checks(ds, ua, sa, 1, 5)  # seeded: the same intervals every run
