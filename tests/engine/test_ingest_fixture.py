"""The cache build against a hand-computed fixture: the quirk folder of ``_tiny.quirk_frames``
(every cleaning rule fires) cleaned and modelled by the SQL, compared with tables worked out by
hand: the cleaning report for every cleaning mode, the clean rooms and clicks, the sessions,
the user-day panel, the quality checks, the long-room sensitivity and the file summary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _tiny import MIN, D, H, W, quirk_frames, write_tiny

from kuailive_analysis.core.calendar import CAPPED_END_MS, WINDOW_END_MS
from kuailive_analysis.data import cache
from kuailive_analysis.data.params import CleaningParams
from kuailive_analysis.engine.duckdb_engine import DuckDBEngine
from kuailive_analysis.engine.frames import run_on_frames
from kuailive_analysis.engine.ingest import build_cache
from kuailive_analysis.engine.queries import model as QM

# the raw clicks, by name (file order c1..c14)
C = {
    "c1": (1, 10, 1, W + H + 1000, 5000),
    "c2": (1, 10, 1, W + H + 1000, 5000),
    "c3": (1, 11, 2, W + 23 * H + 5 * MIN, 60000),
    "c4": (2, 12, 3, W + 2 * D + H, 1000),
    "c5": (2, 99, 1, W + 3 * H, 100),
    "c6": (3, 10, 2, W + 2 * H, 2000),
    "c7": (3, 13, 1, W + 20 * D + 21 * H, 3000),
    "c8": (4, 14, 2, W - H, 100),
    "c9": (5, 10, 1, W + H + 2000, 100),
    "c10": (1, 10, 1, W + H + 1000, 7000),
    "c11": (2, 10, 1, WINDOW_END_MS + 5, 100),
    "c12": (4, 11, 9, W + 6 * H, 300),
    "c13": (3, 11, 2, W + 7 * H, 500),
    "c14": (3, 11, 1, W + 7 * H, 500),
}

# (rule, rows_in, rows_dropped, rows_flagged) of the clicks, by cleaning mode
CLICK_REPORT = {
    "default": [
        ("events_outside_window", 14, 2, 0),  # c8 before, c11 after the window
        ("duplicate_events", 12, 0, 1),  # c2, kept and flagged
        ("orphan_events", 12, 2, 1),  # c5 (room 99), c9 (user 5); c12's streamer 9 flagged
        ("long_rooms", 10, 0, 1),  # c4 in the 7-day room 12, flagged
        ("streamer_mismatch", 10, 0, 3),  # c6, c12, c14
    ],
    "drop_duplicate_events": [
        ("events_outside_window", 14, 2, 0),
        ("duplicate_events", 12, 1, 0),
        ("orphan_events", 11, 2, 1),
        ("long_rooms", 9, 0, 1),
        ("streamer_mismatch", 9, 0, 3),
    ],
    "long_rooms_drop": [
        ("events_outside_window", 14, 2, 0),
        ("duplicate_events", 12, 0, 1),
        ("orphan_events", 12, 2, 1),
        ("long_rooms", 10, 1, 0),
        ("streamer_mismatch", 9, 0, 3),
    ],
    "fix": [
        ("events_outside_window", 14, 2, 0),
        ("duplicate_events", 12, 0, 1),
        ("orphan_events", 12, 2, 1),
        ("long_rooms", 10, 0, 1),
        ("streamer_mismatch", 10, 1, 3),  # c14 fixed to streamer 2 is a copy of c13: dropped
    ],
    "mismatch_drop": [
        ("events_outside_window", 14, 2, 0),
        ("duplicate_events", 12, 0, 1),
        ("orphan_events", 12, 2, 1),
        ("long_rooms", 10, 0, 1),
        ("streamer_mismatch", 10, 3, 0),
    ],
    "no_threshold": [
        ("events_outside_window", 14, 2, 0),
        ("duplicate_events", 12, 0, 1),
        ("orphan_events", 12, 2, 1),
        ("long_rooms", 10, 0, 0),
        ("streamer_mismatch", 10, 0, 3),
    ],
    "keep_all": [  # nothing dropped: the outside-window and orphan rows counted as flagged
        ("events_outside_window", 14, 0, 2),
        ("duplicate_events", 14, 0, 1),
        ("orphan_events", 14, 0, 3),
        ("long_rooms", 14, 0, 1),
        ("streamer_mismatch", 14, 0, 3),
    ],
    "strict": [  # rooms over 0.3 days dropped, copies dropped, mismatches fixed
        ("events_outside_window", 14, 2, 0),
        ("duplicate_events", 12, 1, 0),
        ("orphan_events", 11, 2, 1),
        ("long_rooms", 9, 1, 0),
        ("streamer_mismatch", 8, 1, 3),
    ],
}
MODES = {
    "default": {},
    "drop_duplicate_events": {"drop_duplicate_events": True},
    "long_rooms_drop": {"long_rooms": "drop"},
    "fix": {"streamer_mismatch": "fix"},
    "mismatch_drop": {"streamer_mismatch": "drop"},
    "no_threshold": {"max_room_days": None},
    "keep_all": {"drop_orphans": False, "drop_outside_window": False, "room_name_rule": "first"},
    "strict": {
        "max_room_days": 0.3,
        "long_rooms": "drop",
        "drop_duplicate_events": True,
        "streamer_mismatch": "fix",
    },
}
# the clean clicks in the cache's order (timestamp, user, file order), by mode
CLEAN_CLICKS = {
    "default": ["c1", "c2", "c10", "c6", "c12", "c13", "c14", "c3", "c4", "c7"],
    "drop_duplicate_events": ["c1", "c10", "c6", "c12", "c13", "c14", "c3", "c4", "c7"],
    "long_rooms_drop": ["c1", "c2", "c10", "c6", "c12", "c13", "c14", "c3", "c7"],
    "fix": ["c1", "c2", "c10", "c6", "c12", "c13", "c3", "c4", "c7"],
    "mismatch_drop": ["c1", "c2", "c10", "c13", "c3", "c4", "c7"],
    "no_threshold": ["c1", "c2", "c10", "c6", "c12", "c13", "c14", "c3", "c4", "c7"],
    "keep_all": ["c8", "c1", "c2", "c10", "c9", "c6", "c5", "c12", "c13", "c14", "c3", "c4"]
    + ["c7", "c11"],
    "strict": ["c1", "c10", "c6", "c12", "c13", "c3", "c7"],
}


@pytest.fixture(scope="module")
def quirks(tmp_path_factory):
    return write_tiny(tmp_path_factory.mktemp("quirks") / "data", quirk_frames())


@pytest.fixture(scope="module")
def built(quirks, tmp_path_factory):
    """mode -> the built cache folder."""
    out = {}
    for mode, kwargs in MODES.items():
        folder = tmp_path_factory.mktemp(mode) / "cache"
        with DuckDBEngine(temp_dir=folder.parent / "tmp") as eng:
            build_cache(quirks, CleaningParams(**kwargs), folder, engine=eng)
        assert not list(folder.parent.glob("staging*"))  # the staging folder is removed
        out[mode] = folder
    return out


def table(built, mode: str, name: str) -> pd.DataFrame:
    return cache.read_table(built[mode], name)


@pytest.mark.parametrize("mode", list(MODES))
def test_click_report(built, mode):
    rep = table(built, mode, "report")
    got = rep[rep["table"] == "click"][["rule", "rows_in", "rows_dropped", "rows_flagged"]]
    assert [tuple(r) for r in got.itertuples(index=False)] == CLICK_REPORT[mode]
    assert (rep["rows_out"] == rep["rows_in"] - rep["rows_dropped"]).all()


def test_report_of_the_other_tables(built):
    rep = table(built, "default", "report").set_index(["table", "rule"])
    rows = rep[["rows_in", "rows_dropped", "rows_flagged", "rows_out"]]
    expect = {
        ("user", "duplicate_keys"): (5, 1, 0, 4),
        ("streamer", "duplicate_keys"): (3, 0, 0, 3),
        ("room", "duplicate_rooms"): (10, 4, 2, 6),  # rooms 14 and 15 disagreed on the start
        ("room", "censored_room_end"): (6, 0, 1, 6),
        ("room", "long_rooms"): (6, 0, 1, 6),
        ("gift", "long_rooms"): (3, 0, 1, 3),
        ("negative", "duplicate_events"): (4, 0, 1, 4),
    }
    for key, want in expect.items():
        assert tuple(rows.loc[key]) == want, key
    for t in ("comment", "like"):
        assert (rows.loc[t, "rows_dropped"] == 0).all() and (rows.loc[t, "rows_flagged"] == 0).all()
    long = table(built, "long_rooms_drop", "report").set_index(["table", "rule"])
    assert tuple(long.loc[("room", "long_rooms"), ["rows_dropped", "rows_out"]]) == (1, 5)
    assert tuple(long.loc[("gift", "long_rooms"), ["rows_dropped", "rows_out"]]) == (1, 2)


@pytest.mark.parametrize("mode", list(MODES))
def test_clean_clicks(built, mode):
    clicks = table(built, mode, "clicks")
    names = CLEAN_CLICKS[mode]
    fixed = {"c6": 1, "c12": 2} if "fix" in (MODES[mode].get("streamer_mismatch"),) else {}
    want = [(*C[n][:2], fixed.get(n, C[n][2]), C[n][3], C[n][4]) for n in names]
    cols = ["user_id", "live_id", "streamer_id", "ts_ms", "watch_live_time"]
    assert [tuple(int(x) for x in r) for r in clicks[cols].itertuples(index=False)] == want
    dup = [n == "c2" for n in names] if not MODES[mode].get("drop_duplicate_events") else None
    assert clicks["flag_duplicate"].tolist() == (dup or [False] * len(names))
    long = mode not in ("no_threshold", "long_rooms_drop", "strict")
    assert clicks["flag_long_room"].tolist() == [long and n == "c4" for n in names]


def test_clean_click_columns(built):
    c = table(built, "default", "clicks").set_index("watch_live_time")
    assert list(table(built, "default", "clicks").columns) == [
        "user_id", "live_id", "streamer_id", "timestamp", "watch_live_time",
        "flag_duplicate", "flag_long_room", "ts_ms", "day", "hour",
    ]  # fmt: skip
    assert (c.loc[60000, "day"], c.loc[60000, "hour"]) == (0, 23)  # c3: 23:05 Beijing
    assert (c.loc[3000, "day"], c.loc[3000, "hour"]) == (20, 21)  # c7
    assert c.loc[3000, "timestamp"] == pd.Timestamp("2025-05-25 21:00", tz="Asia/Shanghai")
    assert c["day"].dtype == np.int8 and c["ts_ms"].dtype == np.int64


def test_clean_rooms(built):
    r = table(built, "default", "rooms").set_index("live_id")
    cols = ["streamer_id", "live_type", "start_ms", "end_ms", "live_content_category"]
    cols += ["live_name_id", "p_date", "end_censored"]
    want = {
        10: (1, 1, W + H, W + 3 * H, "other", 0, 20250505, False),
        11: (2, 1, W + 23 * H, W + 25 * H, "shop", 6, 20250505, False),  # latest titled p_date
        12: (3, -124, W + 2 * D, W + 9 * D, "other", 3, 20250514, False),
        13: (1, 2, W + 20 * D + 20 * H, CAPPED_END_MS, "other", 4, 20250525, True),
        14: (2, 1, W + 5 * D - 10 * MIN, W + 5 * D + 2 * H, "other", 7, 20250510, False),
        15: (1, 1, W + 50, W + 900, "other", 9, 20250505, False),  # the untitled row skipped
    }
    assert list(r.index) == list(want)
    for live, row in want.items():
        assert tuple(r.loc[live, cols]) == row, live
    # minutes observed; the censored room only up to the window end (4 h)
    assert r["duration_min"].tolist() == pytest.approx([120, 120, 10080, 240, 130, 850 / 60000])
    assert r["duration_min"].dtype == np.float32
    first = table(built, "keep_all", "rooms").set_index("live_id")["live_name_id"]
    assert (first[11], first[14], first[15]) == (5, 7, 4)  # room_name_rule='first'
    assert list(table(built, "long_rooms_drop", "rooms")["live_id"]) == [10, 11, 13, 14, 15]


def test_clean_profiles(built):
    u = table(built, "default", "users")
    assert u["user_id"].tolist() == [1, 2, 3, 4]
    assert u.loc[1, "device_brand"] == "APPLE"  # the first of user 2's rows
    assert u["tenure_days"].tolist() == [30, 1826, 733, 2316]  # to 2025-05-05
    assert u["watch_age_days"].tolist() == [4, 1585, 733, 2165]
    assert u["reg_date"].tolist() == u["reg_timestamp"].tolist()
    assert u["age"].cat.ordered
    s = table(built, "default", "streamers")
    assert s["live_age_days"].tolist() == [1951] * 3 and s["tenure_days"].tolist() == [2681] * 3


SESSION_COLS = ["user_id", "live_id", "streamer_id", "first_ms", "last_ms", "day", "n_clicks"]
SESSION_COLS += ["watch_ms", "n_comments", "n_likes", "n_gifts", "gift_value", "n_negatives"]
SESSION_COLS += ["n_exposures"]
SESSIONS = [
    (1, 10, 1, W + H + 1000, W + H + 5000, 0, 3, 17000, 1, 0, 2, 12, 0, 3),
    (1, 11, 2, W + 23 * H + 5 * MIN, W + D + 10 * MIN, 0, 1, 60000, 0, 1, 0, 0, 0, 1),
    (1, 13, 1, W + 20 * D + 20 * H + MIN, W + 20 * D + 20 * H + MIN, 20, 0, 0, 0, 0, 0, 0, 1, 1),
    (2, 10, 1, W + 4 * H, W + 4 * H, 0, 0, 0, 0, 0, 0, 0, 2, 2),  # n2 and its copy n4
    (2, 12, 3, W + 2 * D + H, W + 2 * D + H, 2, 1, 1000, 0, 0, 0, 0, 0, 1),
    (2, 14, 2, W + 5 * D + 30 * MIN, W + 5 * D + 30 * MIN, 5, 0, 0, 1, 0, 0, 0, 0, 0),
    (3, 10, 1, W + 2 * H, W + 2 * H, 0, 1, 2000, 0, 0, 0, 0, 0, 1),  # the room's streamer
    (3, 11, 2, W + 7 * H, W + 7 * H, 0, 2, 1000, 0, 0, 0, 0, 0, 2),
    (3, 12, 3, W + 2 * D + 2 * H, W + 2 * D + 2 * H, 2, 0, 0, 0, 0, 1, 5, 0, 0),
    (3, 13, 1, W + 20 * D + 21 * H, W + 20 * D + 21 * H, 20, 1, 3000, 0, 0, 0, 0, 0, 1),
    (4, 11, 2, W + 6 * H, W + 23 * H + 10 * MIN, 0, 1, 300, 0, 0, 0, 0, 1, 2),
]
USER_DAY = [  # user, day, clicks, watch ms, comments, likes, gifts, coins, negatives, active
    (1, 0, 4, 77000, 1, 0, 2, 12, 0, True),
    (1, 1, 0, 0, 0, 1, 0, 0, 0, True),
    (1, 20, 0, 0, 0, 0, 0, 0, 1, False),  # only an unclicked exposure
    (2, 0, 0, 0, 0, 0, 0, 0, 2, False),
    (2, 2, 1, 1000, 0, 0, 0, 0, 0, True),
    (2, 5, 0, 0, 1, 0, 0, 0, 0, True),
    (3, 0, 3, 3000, 0, 0, 0, 0, 0, True),
    (3, 2, 0, 0, 0, 0, 1, 5, 0, True),
    (3, 20, 1, 3000, 0, 0, 0, 0, 0, True),
    (4, 0, 1, 300, 0, 0, 0, 0, 1, True),
]


def test_sessions(built):
    s = table(built, "default", "sessions")
    assert list(s.columns) == SESSION_COLS
    assert [tuple(int(x) for x in r) for r in s.itertuples(index=False)] == SESSIONS


def test_user_day(built):
    ud = table(built, "default", "user_day")
    got = [(*(int(x) for x in r[:-1]), bool(r[-1])) for r in ud.itertuples(index=False)]
    assert got == USER_DAY


def test_quality_checks(built):
    q = table(built, "default", "quality").set_index(["check", "table"])["count"]
    found = {k: v for k, v in q.items() if v}
    assert found == {
        ("duplicate key", "user"): 1,
        ("duplicate live_id rows", "room"): 4,
        ("longer than 1 day", "room"): 2,  # room 12 and the capped room 13 (1 d 4 h)
        ("end capped (still live)", "room"): 1,
        ("exact duplicate rows", "click"): 1,
        ("outside window", "click"): 2,
        ("orphan live_id", "click"): 1,
        ("streamer mismatch", "click"): 3,
        ("orphan user_id", "click"): 1,
        ("orphan streamer_id", "click"): 1,
        ("exact duplicate rows", "negative"): 1,
    }


def test_sensitivity_and_histogram(built):
    sens = table(built, "default", "room_sensitivity").set_index("max_room_days")
    assert list(sens.index) == [0.25, 0.5, 1.0, 2.0, 7.0, np.inf]
    # only room 12 (exactly 7 days) is longer than each threshold up to 2 days
    assert sens["rooms_dropped"].tolist() == [1, 1, 1, 1, 0, 0]
    assert sens["click_dropped"].tolist() == [1, 1, 1, 1, 0, 0]
    assert sens["gift_dropped"].tolist() == [1, 1, 1, 1, 0, 0]
    assert sens.loc[1.0, "click_dropped_share"] == pytest.approx(1 / 14)
    assert sens.loc[1.0, "rooms_dropped_share"] == pytest.approx(1 / 6)
    h = table(built, "default", "room_durations")
    assert (h["real"].sum(), h["censored"].sum()) == (5, 1)
    week = h[(h["lo_min"] <= 10080) & (h["hi_min"] > 10080)]
    assert week["real"].tolist() == [1]


def test_file_summary(built):
    f = table(built, "default", "raw_files").set_index("file")
    assert f["rows"].tolist() == [5, 3, 10, 14, 2, 1, 3, 4]
    assert f.loc["click.csv", "first time"] == "2025-05-04 23:00:00.000"
    assert f.loc["click.csv", "last time"] == "2025-05-26 00:00:00.005"
    assert f.loc["user.csv", "first time"] == "" and f.loc["user.csv", "columns"] == 21


def test_kept_orphans_take_the_event_streamer(built):
    """With drop_orphans=False the click in the unknown room 99 is a session of its own, whose
    streamer is the event's (no room to take it from)."""
    s = table(built, "keep_all", "sessions").set_index(["user_id", "live_id"])
    assert s.loc[(2, 99), "streamer_id"] == 1 and s.loc[(2, 99), "n_clicks"] == 1
    assert s.loc[(5, 10), "n_clicks"] == 1  # the unknown user 5 kept too


def test_every_column_is_declared(built):
    """Each contract table's columns are the raw file's (data/schema.py) plus exactly the
    columns its TableDoc declares: the data dictionary has a meaning for each, none stale."""
    from kuailive_analysis.data import schema as S
    from kuailive_analysis.engine.queries.model import CONTRACT

    raw = {"users": "user", "streamers": "streamer", "rooms": "room"}
    raw |= {"clicks": "click", "comments": "comment", "likes": "like", "gifts": "gift"}
    raw |= {"negatives": "negative"}
    for name, doc in CONTRACT.items():
        cols = list(table(built, "default", name).columns)
        schema_cols = S.SCHEMAS[raw[name]].column_names if name in raw else []
        assert set(doc.columns) <= set(cols), name
        assert set(cols) == set(schema_cols) | set(doc.columns), name


@pytest.mark.parametrize("mode", list(MODES))
def test_staged_sessions_equal_the_definition_over_the_contract_tables(built, mode):
    """The build aggregates the sessions from staged events that carry their room's streamer
    (no join with the rooms); the result equals :data:`QM.SESSIONS` (the definition over the
    clean tables, joined with the rooms) under every cleaning mode (fixed or dropped
    mismatches, dropped long rooms, kept orphans)."""
    tables = {t: table(built, mode, t) for t in QM.SESSIONS.inputs}
    want = run_on_frames(QM.SESSIONS, **tables)
    got = table(built, mode, "sessions")
    assert len(got) == len(want) > 0
    for c in want.columns:
        assert (got[c].to_numpy("int64") == want[c].to_numpy("int64")).all(), (mode, c)
