"""Derived tables: time columns, sessions, user-day panel and tenure, with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
from _tiny import MIN, D, H, W
from hypothesis import given, settings, strategies as st

from kuailive_analysis.data import features as F, schema as S


def _ev(rows, extra=None):
    cols = ["user_id", "live_id", "streamer_id", "timestamp"] + ([extra] if extra else [])
    df = pd.DataFrame(rows, columns=cols)
    for c in ("user_id", "live_id", "streamer_id"):
        df[c] = df[c].astype(np.int32)
    return F.add_time_columns(df)


def test_time_columns_beijing():
    ev = _ev([(1, 1, 1, W + 0), (1, 1, 1, W + 23 * H + 59 * MIN), (1, 1, 1, W + 20 * D + 5 * H)])
    assert ev["day"].tolist() == [0, 0, 20] and ev["hour"].tolist() == [0, 23, 5]
    assert ev["day"].dtype == np.int8 and ev["hour"].dtype == np.int8
    assert str(ev["timestamp"].dtype) == "datetime64[ms, Asia/Shanghai]"
    assert ev["timestamp"].dt.hour.tolist() == ev["hour"].tolist()
    assert ev["ts_ms"].dtype == np.int64


def _events():
    return {
        "click": _ev(
            [
                (1, 10, 1, W + H, 5000),
                (1, 10, 1, W + H, 7000),
                (1, 11, 2, W + 23 * H, 60),
                (2, 10, 1, W + 2 * H, 100),
            ],
            "watch_live_time",
        ),
        "comment": _ev([(1, 10, 1, W + H + 10), (3, 12, 3, W + 5 * D)]),
        "like": _ev([(1, 11, 2, W + D + MIN)]),
        "gift": _ev([(1, 10, 1, W + H, 2), (1, 10, 1, W + H + 99, 10)], "gift_price"),
        "negative": _ev([(1, 10, 1, W + 30 * MIN), (2, 13, 4, W + 3 * D)]),
    }


def test_sessions_known_answer():
    rooms = pd.DataFrame(
        {
            "live_id": np.array([10, 11, 12, 13], np.int32),
            "streamer_id": np.array([1, 2, 3, 5], np.int32),
        }
    )
    s = F.build_sessions(_events(), rooms).set_index(["user_id", "live_id"])
    assert len(s) == 5
    a = s.loc[(1, 10)]
    assert (a.n_clicks, a.watch_ms, a.n_comments, a.n_gifts, a.gift_value, a.n_negatives) == (
        2,
        12000,
        1,
        2,
        12,
        1,
    )
    assert a.n_exposures == 3 and a.first_ms == W + 30 * MIN and a.last_ms == W + H + 99
    b = s.loc[(1, 11)]
    assert b.n_likes == 1 and b.day == 0 and b.last_ms == W + D + MIN  # crosses midnight
    assert s.loc[(3, 12)].day == 5 and s.loc[(3, 12)].n_exposures == 0
    assert s.loc[(2, 13)].streamer_id == 5  # the room's streamer, not the event's (4)
    assert s.index.is_unique


def test_sessions_without_rooms_uses_event_streamer():
    s = F.build_sessions(_events()).set_index(["user_id", "live_id"])
    assert s.loc[(2, 13)].streamer_id == 4


def test_sessions_dtypes_and_empty():
    s = F.build_sessions(_events())
    assert s["user_id"].dtype == np.int32 and s["watch_ms"].dtype == np.int64
    assert s["day"].dtype == np.int8
    empty = {k: v.iloc[:0] for k, v in _events().items()}
    assert len(F.build_sessions(empty)) == 0


def test_user_day_known_answer():
    ud = F.build_user_day(_events()).set_index(["user_id", "day"])
    assert ud.index.is_unique and len(ud) == 5
    r = ud.loc[(1, 0)]
    assert (r.n_clicks, r.watch_ms, r.n_comments, r.n_gifts, r.gift_value, r.n_negatives) == (
        3,
        12060,
        1,
        2,
        12,
        1,
    )
    assert ud.loc[(1, 1)].n_likes == 1 and ud.loc[(1, 1)].active
    assert not ud.loc[(2, 3)].active  # only an unclicked exposure
    assert ud.loc[(3, 5)].active


def test_user_features_tenure():
    def dates(values):
        return pd.to_datetime(values).astype("datetime64[s]")

    users = pd.DataFrame(
        {
            "user_id": [1, 2],
            "reg_timestamp": dates(["2025-04-05", None]),
            "first_watch_live_timestamp": dates(["2025-05-01", "2025-05-10"]),
        }
    )
    u = F.user_features(users)
    assert u["tenure_days"].iloc[0] == 30 and np.isnan(u["tenure_days"].iloc[1])
    assert u["watch_age_days"].tolist() == [4, -5]
    assert (u["reg_date"] == users["reg_timestamp"]).iloc[0]


def test_data_model_table():
    dm = F.data_model()
    assert set(["users", "rooms", "sessions", "user_day"]) <= set(dm["table"])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 5),
            st.integers(1, 6),
            st.integers(0, 4),
            st.integers(0, 20 * D),
            st.integers(0, 10_000),
        ),
        max_size=40,
    )
)
def test_sessions_conserve_totals(rows):
    """Sums over sessions and over the user-day panel equal the event-table totals."""
    tables = ["click", "comment", "like", "gift", "negative"]
    events = {
        t: _ev(
            [
                (u, lv, 1, W + ts) + ((v,) if t in ("click", "gift") else ())
                for u, lv, k, ts, v in rows
                if k == i
            ],
            {"click": "watch_live_time", "gift": "gift_price"}.get(t),
        )
        for i, t in enumerate(tables)
    }
    s = F.build_sessions(events)
    ud = F.build_user_day(events)
    assert s["n_clicks"].sum() == ud["n_clicks"].sum() == len(events["click"])
    assert s["watch_ms"].sum() == ud["watch_ms"].sum() == events["click"]["watch_live_time"].sum()
    assert s["gift_value"].sum() == ud["gift_value"].sum() == events["gift"]["gift_price"].sum()
    assert s["n_negatives"].sum() == len(events["negative"])
    pairs = {(u, lv) for u, lv, k, ts, v in rows}
    assert len(s) == len(pairs)
    assert (s["first_ms"] <= s["last_ms"]).all()
    assert len(ud) == len({(u, ts // D) for u, lv, k, ts, v in rows})
    assert (ud["day"] < S.N_WINDOW_DAYS).all()
