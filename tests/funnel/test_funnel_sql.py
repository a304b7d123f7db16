"""The funnel's SQL (``engine/queries/funnel.py``), the one definition of its event-level tables,
held to a hand log with the expected tables written by hand (``hand.py``) and to properties of
random logs (hypothesis): attribution, the click table, the exposure table's positions and
deciles, the session table."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from kuailive_analysis.data.schema import WINDOW_START_MS as W
from kuailive_analysis.engine.base import EngineError
from kuailive_analysis.engine.queries import funnel as FQ
from kuailive_analysis.funnel.engine import EXPOSURE_READ, engine_tables

sys.path.insert(0, str(Path(__file__).resolve().parent))
from funnel_hand import dataset, ev  # noqa: E402

CLICK_COLUMNS = list(FQ.CLICK_COLUMNS)


def query(ds, q, qualified_watch_s=5.0, attribution_window_s=3600.0) -> pd.DataFrame:
    params = FQ.query_params(qualified_watch_s, attribution_window_s)
    return ds.query(q, **{k: v for k, v in params.items() if k in q.placeholders()})


# ---------------------------------------------------------------------------------------------
# The hand log
# ---------------------------------------------------------------------------------------------
def test_attributed_click_table_of_the_hand_log():
    """Tied clicks of user 1 on room 10 (W+1000, watch 3 s and 8 s): the comment 500 ms later
    and the gift in the same millisecond go to the 8 s click; the like 4,000 s after the room-11
    click is late (1 h window); user 2's comment precedes their click; user 3's gift has no
    click."""
    ct = query(dataset(), FQ.CLICKS)
    expected = pd.DataFrame(
        [
            # user live strm ts       d  h  watch  com lik gif val  qual   comm   lik    gift   int
            (1, 10, 100, W + 1000, 0, 0, 8000, 1, 0, 1, 5, True, True, False, True, True),
            (1, 10, 100, W + 1000, 0, 0, 3000, 0, 0, 0, 0, False, False, False, False, False),
            (2, 10, 100, W + 2000, 0, 0, 1000, 0, 0, 0, 0, False, False, False, False, False),
            (1, 11, 101, W + 5000, 0, 0, 60000, 0, 0, 0, 0, True, False, False, False, False),
        ],
        columns=CLICK_COLUMNS,
    )
    assert ct["tie"].tolist() == [1, 2, 1, 1]
    pd.testing.assert_frame_equal(ct[CLICK_COLUMNS], expected, check_dtype=False)


def test_engagements_of_the_hand_log_with_their_status():
    e = query(dataset(), FQ.ENGAGEMENTS)
    expected = pd.DataFrame(
        [  # user live ts                      kind value click_ms   lag  status
            (2, 10, W + 1000, 0, 0, -1, -1, 2),  # comment before the user's click
            (1, 10, W + 1500, 0, 0, W + 1000, 500, 0),  # comment 500 ms after the tie
            (1, 11, W + 5000 + 4_000_000, 1, 0, -1, -1, 1),  # like 4,000 s after: late
            (1, 10, W + 1000, 2, 5, W + 1000, 0, 0),  # gift in the click's millisecond
            (3, 10, W + 3000, 2, 7, -1, -1, 3),  # gift without any click
        ],
        columns=["user_id", "live_id", "ts_ms", "kind", "value", "click_ms", "lag_ms", "status"],
    )
    pd.testing.assert_frame_equal(e[expected.columns], expected, check_dtype=False)


@pytest.mark.parametrize(
    "window, statuses, like_lag",
    [
        (None, [2, 0, 0, 0, 3], 4_000_000),  # no limit: the like is attributed
        (0, [2, 1, 1, 0, 3], -1),  # same millisecond only: the comment is late too
        (3600, [2, 0, 1, 0, 3], -1),
    ],
)
def test_attribution_window(window, statuses, like_lag):
    e = query(dataset(), FQ.ENGAGEMENTS, attribution_window_s=window)
    assert e["status"].tolist() == statuses
    assert e["lag_ms"].iloc[2] == like_lag
    ct = query(dataset(), FQ.CLICKS, attribution_window_s=window).set_index("watch_ms")
    assert ct.loc[60000, "liked"] == (window is None)
    assert ct.loc[8000, "commented"] == (window != 0) and ct.loc[8000, "gift_value"] == 5


def test_query_parameters_are_checked():
    with pytest.raises(ValueError, match="attribution_window_s"):
        FQ.query_params(5.0, -1)
    with pytest.raises(ValueError, match="qualified_watch_s"):
        FQ.query_params(-1, None)
    assert FQ.query_params(30, None) == {"qualified_ms": 30_000.0, "window_ms": None}


def test_tied_clicks_go_to_the_longest_watch_whatever_the_row_order():
    ds = dataset()
    clicks = ds.table("clicks").iloc[[1, 0, 2, 3]].reset_index(drop=True)
    ct = query(dataset(clicks=clicks), FQ.CLICKS).set_index("watch_ms")
    assert ct.loc[8000, "n_comments"] == 1 and ct.loc[8000, "gift_value"] == 5
    assert ct.loc[3000, "n_comments"] == 0 and ct.loc[3000, "gift_value"] == 0
    # equal watch: the larger streamer id wins
    tied = ev([(1, 10, 100, W + 1000, 3000), (1, 10, 105, W + 1000, 3000)], "watch_live_time")
    ct = query(dataset(clicks=tied), FQ.CLICKS).set_index("streamer_id")
    assert ct.loc[105, "n_gifts"] == 1 and ct.loc[100, "n_gifts"] == 0


def test_exposure_table_positions_deciles_and_segments_of_the_hand_log():
    """Screens: user 1 sees 3 exposures at W+1000, user 2 two at W+2000. Streamers by
    exposures: 101 (2), 102 (2), 100 (3) of 7, midpoints 1/7, 3/7, 5.5/7 -> deciles 2, 5, 8.
    Users: 2 (3 exposures), 1 (4) -> user deciles 1 and 6. Room 12 missing from ``rooms``."""
    rooms = pd.DataFrame({"live_id": [10, 11], "live_type": [1, 2],
                          "live_content_category": ["shop", "other"]})  # fmt: skip
    users = dataset().table("users").assign(age=lambda d: pd.Categorical(d["age"], ordered=True))
    ds = dataset(rooms=rooms, users=users)
    ex = query(ds, FQ.EXPOSURES)
    assert ex["clicked"].tolist() == [True] * 4 + [False] * 3
    assert ex["screen_size"].tolist() == [3, 3, 2, 1, 3, 2, 1]
    assert ex["exposure_index"].tolist() == [1] * 7  # tied exposures share the first index
    assert dict(zip(ex["streamer_id"], ex["streamer_decile"])) == {100: 8, 101: 2, 102: 5}
    assert dict(zip(ex["user_id"], ex["user_decile"])) == {1: 6, 2: 1}
    assert ex["s_gift"].tolist() == [True] + [False] * 6
    assert ex["s_interaction"].tolist() == [True] + [False] * 6
    assert ex["s_qualified"].tolist() == [True, False, False, True, False, False, False]
    et = engine_tables(ds, qualified_watch_s=5.0, attribution_window_s=3600.0)
    try:
        t = et.exposures
        assert (t.loc[t["live_id"] == 12, "live_type"] == FQ.MISSING).all()
        assert et.unmatched.loc["live_type", "n_missing"] == 2  # the two room-12 exposures
        assert et.unmatched.loc["age", "n_missing"] == 0
        assert t["age"].cat.ordered and list(t["age"].cat.categories) == ["18-23", "24-30", "50+"]
        want = ex.loc[ex["clicked"], list(CLICK_COLUMNS)].reset_index(drop=True)
        assert list(et.clicks.columns) == list(CLICK_COLUMNS)
        for c in CLICK_COLUMNS:  # the click rows, read alone from the same file
            assert et.clicks[c].tolist() == want[c].tolist(), c
        assert set(t.columns) == set(EXPOSURE_READ)  # pandas holds only what it reads by row
        # written in two passes (staged rows, then a sort alone): the rows and order of the one
        # definition
        for c in ("user_id", "live_id", "ts_ms", "clicked", "screen_size", "exposure_index"):
            assert t[c].tolist() == ex[c].tolist(), c
        assert et.stats.dtypes["watch_ms"] == np.int32  # the others' types from the schema
    finally:
        et.close()
    # a later exposure of room 10 to user 1 is its second
    later = pd.concat([ds.table("negatives"), ev([(1, 10, 100, W + 50_000)])], ignore_index=True)
    ex = query(dataset(negatives=later), FQ.EXPOSURES)
    assert ex.loc[(ex["user_id"] == 1) & (ex["live_id"] == 10), "exposure_index"].tolist() == [
        1,
        1,
        2,
    ]


def test_deciles_known_answer():
    """Exposure-weighted streamer deciles: nine streamers with 1 exposure and one with 91 (the
    midpoint of its volume is at 54.5%: decile 6); user deciles: 20 users with 1..20 exposures
    give two users per decile."""
    no_clicks = ev([], "watch_live_time")
    negs = [(1, s, s, W + s) for s in range(1, 10)] + [(1, 10, 10, W + 100 + i) for i in range(91)]
    ds = dataset(negatives=ev(negs), clicks=no_clicks)
    d = query(ds, FQ.EXPOSURES).groupby("streamer_id")["streamer_decile"].first()
    assert d.loc[10] == 6 and (d.drop(10) == 1).all()
    negs = [(u, u, u, W + i) for u in range(1, 21) for i in range(u)]
    ds = dataset(negatives=ev(negs), clicks=no_clicks)
    d = query(ds, FQ.EXPOSURES).groupby("user_id")["user_decile"].first()
    assert d.loc[range(1, 21)].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9,
                                            9, 10, 10]  # fmt: skip


def test_sessions_of_the_hand_log_keep_engagements_without_clicks():
    s = query(dataset(), FQ.SESSIONS, qualified_watch_s=5.0).set_index(["user_id", "live_id"])
    assert len(s) == 7
    assert s.loc[(1, 10), "watch_ms"] == 11000 and s.loc[(1, 10), "n_clicks"] == 2
    assert s.loc[(3, 10), "engaged_without_click"] and s.loc[(3, 10), "gift_value"] == 7
    assert s.loc[(3, 10), "n_exposures"] == 0 and not s.loc[(3, 10), "s_exposure"]
    # the session funnel has no window: the late like counts for session (1, 11)
    assert s.loc[(1, 11), "s_interaction"]
    assert not s.loc[(2, 10), "qualified"]  # 1 s of watch
    flags = ["s_exposure", "s_click", "s_qualified", "s_interaction", "s_gift"]
    assert s[flags].sum().tolist() == [6, 3, 2, 2, 1]


def test_a_missing_column_names_itself():
    gifts = dataset().table("gifts").drop(columns="gift_price")
    with pytest.raises(EngineError, match="gift_price"):
        query(dataset(gifts=gifts), FQ.CLICKS)


# ---------------------------------------------------------------------------------------------
# Properties of random logs
# ---------------------------------------------------------------------------------------------
@st.composite
def random_logs(draw):
    n_users, n_rooms = draw(st.integers(1, 4)), draw(st.integers(1, 4))

    def rows(max_n, extra=None):
        data = []
        for _ in range(draw(st.integers(0, max_n))):
            u, r = draw(st.integers(1, n_users)), draw(st.integers(1, n_rooms))
            row = (u, r, 100 + r, W + draw(st.integers(0, 3)) * 1000)  # few ms: many ties
            data.append(row + ((draw(st.integers(1, 20_000)),) if extra else ()))
        return ev(data, extra)

    return {
        "clicks": rows(8, "watch_live_time"),
        "negatives": rows(8),
        "comments": rows(4),
        "likes": rows(4),
        "gifts": rows(4, "gift_price"),
        "rooms": pd.DataFrame(
            {"live_id": range(1, 5), "live_type": 1, "live_content_category": "shop"}
        ),  # fmt: skip
        "users": pd.DataFrame(
            {"user_id": range(1, 5), "age": "18-23", "gender": "F", "device_price": "0"}
        ),  # fmt: skip
    }


def _attribution_reference(t, window_ms):
    """The rule read literally, engagement by engagement: (status, click_ms, lag_ms)."""
    clicks = t["clicks"]
    out = []
    for kind, name in enumerate(("comments", "likes", "gifts")):
        for r in t[name].itertuples():
            pair = clicks[(clicks.user_id == r.user_id) & (clicks.live_id == r.live_id)]
            before = pair.loc[pair.ts_ms <= r.ts_ms, "ts_ms"]
            if len(before):
                c = int(before.max())
                if window_ms is None or r.ts_ms - c <= window_ms:
                    out.append((kind, r.user_id, r.live_id, r.ts_ms, 0, c, r.ts_ms - c))
                else:
                    out.append((kind, r.user_id, r.live_id, r.ts_ms, 1, -1, -1))
            else:
                out.append((kind, r.user_id, r.live_id, r.ts_ms, 2 if len(pair) else 3, -1, -1))
    return sorted(out)


@given(random_logs(), st.sampled_from([None, 0, 1.5, 3600]), st.sampled_from([0, 5, 30]))
@settings(max_examples=40, deadline=None)
def test_attribution_and_click_table_follow_the_rule(t, window, thr):
    ds = dataset(**t)
    params = FQ.query_params(thr, window)
    e = query(ds, FQ.ENGAGEMENTS, thr, window)
    got = sorted(
        e[["kind", "user_id", "live_id", "ts_ms", "status", "click_ms", "lag_ms"]].itertuples(
            index=False, name=None
        )
    )
    assert got == _attribution_reference(t, params["window_ms"])
    # the click table: each attributed engagement counted once, on the winner of its tie
    ct = query(ds, FQ.CLICKS, thr, window)
    att = e[e["status"] == 0]
    assert len(ct) == len(t["clicks"])
    assert ct["n_gifts"].sum() == (att["kind"] == 2).sum()
    assert ct["n_comments"].sum() == (att["kind"] == 0).sum()
    assert ct["gift_value"].sum() == att["value"].sum()
    assert (ct.loc[ct["tie"] > 1, ["n_comments", "n_likes", "n_gifts"]] == 0).all().all()
    assert (ct["qualified"] == (ct["watch_ms"] >= thr * 1000)).all()
    # the nested steps of the exposure table never increase
    ex = query(ds, FQ.EXPOSURES, thr, window)
    n = [len(ex)] + [int(ex[c].sum()) for c in ("s_click", "s_qualified", "s_interaction",
                                               "s_gift")]  # fmt: skip
    assert n[0] == len(t["clicks"]) + len(t["negatives"]) and (np.diff(n) <= 0).all()


@given(random_logs())
@settings(max_examples=30, deadline=None)
def test_positions_and_user_deciles_equal_a_groupby_reference(t):
    ex = query(dataset(**t), FQ.EXPOSURES)
    raw = pd.concat([t["clicks"][ex.columns[:4]], t["negatives"]], ignore_index=True)
    ts = raw["ts_ms"]
    ref = raw.assign(
        screen_size=ts.groupby([raw["user_id"], ts]).transform("size"),
        exposure_index=ts.groupby([raw["user_id"], raw["live_id"]]).rank(method="dense"),
    )
    key = ["user_id", "live_id", "ts_ms"]
    got = ex[[*key, "screen_size", "exposure_index"]].sort_values(key, ignore_index=True)
    ref = ref[got.columns].sort_values(key, ignore_index=True)
    pd.testing.assert_frame_equal(got, ref, check_dtype=False)
    n = raw.groupby("user_id").size().sort_index(kind="stable").sort_values(kind="stable")
    decile = pd.Series(np.arange(len(n)) * 10 // max(len(n), 1) + 1, index=n.index)
    assert (ex["user_decile"].to_numpy() == decile.loc[ex["user_id"]].to_numpy()).all()


def _session_reference(t):
    parts = []
    for src, name in enumerate(("clicks", "negatives", "comments", "likes", "gifts")):
        p = t[name][["user_id", "live_id", "streamer_id", "ts_ms"]].assign(src=src)
        p["watch_ms"] = t[name]["watch_live_time"] if name == "clicks" else 0
        p["gift_value"] = t[name]["gift_price"] if name == "gifts" else 0
        parts.append(p)
    e = pd.concat(parts, ignore_index=True).sort_values(["ts_ms", "src", "streamer_id"])
    g = e.groupby(["user_id", "live_id"], sort=True)
    out = g.agg(streamer_id=("streamer_id", "first"), first_ms=("ts_ms", "min"),
                watch_ms=("watch_ms", "sum"), gift_value=("gift_value", "sum"))  # fmt: skip
    for src, col in enumerate(("n_clicks", "n_negatives", "n_comments", "n_likes", "n_gifts")):
        out[col] = e.assign(x=e["src"] == src).groupby(["user_id", "live_id"])["x"].sum()
    return out.reset_index()


@given(random_logs())
@settings(max_examples=30, deadline=None)
def test_sessions_equal_a_groupby_reference(t):
    s = query(dataset(**t), FQ.SESSIONS)
    ref = _session_reference(t)
    pd.testing.assert_frame_equal(s[ref.columns], ref, check_dtype=False)
    e = query(dataset(**t), FQ.ENGAGEMENTS)
    no_click = e.merge(s.loc[~s["clicked"], ["user_id", "live_id"]], on=["user_id", "live_id"])
    assert (e["status"] == 3).sum() == len(no_click)


def test_session_counts_from_the_data_model_equal_those_of_the_funnel_sessions(small_twin):
    """The counts chapter 5 reports, from the data model's sessions and from the events
    (one definition of a session), equal the flags of ``funnel_sessions`` counted in pandas."""
    from kuailive_analysis.dataset import load

    ds = load(small_twin)
    full = ds.query(FQ.SESSIONS, qualified_ms=3000.0)
    clicked = full["clicked"]
    want = {
        "n_sessions": len(full),
        "clicked": clicked.sum(),
        "click_qualified": (clicked & full["qualified"]).sum(),
        "click_commented": (clicked & (full["n_comments"] > 0)).sum(),
        "click_liked": (clicked & (full["n_likes"] > 0)).sum(),
        "click_gifted": (clicked & full["gifted"]).sum(),
        "click_interacted": (clicked & full["interacted"]).sum(),
        "engaged_without_click": full["engaged_without_click"].sum(),
        "interacted": full["interacted"].sum(),
        "s_exposure": full["s_exposure"].sum(),
        **{f: (full["s_exposure"] & full[f]).sum() for f in ("s_click", "s_qualified",
                                                               "s_interaction", "s_gift")},
    }  # fmt: skip
    assert 0 < want["click_gifted"] < want["clicked"] < want["n_sessions"]
    for q in (FQ.SESSION_COUNTS, FQ.SESSION_COUNTS_EVENTS):
        got = ds.query(q, qualified_ms=3000.0).iloc[0]
        assert {k: int(got[k]) for k in want} == {k: int(v) for k, v in want.items()}, q.name
