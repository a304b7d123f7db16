"""Properties of the cache build on random small folders (hypothesis): every rule's
rows_in - rows_dropped = rows_out, chained from the raw file to the clean table; live_id a key;
clean events inside the window and in time order; ``flag_duplicate`` exactly the copies;
cleaning the clean tables again drops nothing and changes nothing; the sessions' and the
user-day panel's per-kind sums equal the clean event tables'."""

from __future__ import annotations

import itertools
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from _tiny import MIN, D, H, W, tiny_frames, write_tiny
from hypothesis import HealthCheck, given, settings, strategies as st

from kuailive_analysis.data import cache, schema as S
from kuailive_analysis.data.accounting import check_report
from kuailive_analysis.data.params import LONG_ROOM_MODES, STREAMER_MISMATCH_MODES, CleaningParams
from kuailive_analysis.engine.duckdb_engine import DuckDBEngine
from kuailive_analysis.engine.frames import run_on_frames
from kuailive_analysis.engine.ingest import build_cache
from kuailive_analysis.engine.queries import model as QM

EVENT_COLS = ["user_id", "live_id", "streamer_id", "timestamp"]


@st.composite
def raw_folders(draw):
    """The tiny profiles with random rooms (1-3 p_date rows each, some capped, some long) and
    random clicks and negatives (some outside the window, orphans, mismatches, copies); room 1
    is a plain 10-minute room with one clean event of each kind, so that no clean table is
    empty (a real file has rows)."""
    room_rows = []
    for lid in range(1, draw(st.integers(1, 5)) + 1):
        start = W + draw(st.integers(-2 * D, 21 * D))
        dur = draw(st.sampled_from([10 * MIN, 3 * H, 30 * H, 7 * D]))
        end = S.CAPPED_END_MS if draw(st.booleans()) and start < S.CAPPED_END_MS else start + dur
        if lid == 1:
            start, end = W + H, W + H + 10 * MIN
        for k in range(draw(st.integers(1, 3))):
            room_rows.append(
                (20250505 + k, lid, draw(st.integers(1, 3)), 1,
                 start + draw(st.sampled_from([0, 0, MIN])), end, "other",
                 draw(st.integers(-1, 5)))
            )  # fmt: skip
    event = st.tuples(
        st.integers(1, 5),  # user 5 is unknown
        st.integers(1, len({r[1] for r in room_rows}) + 1),  # the last live_id is unknown
        st.integers(1, 4),  # streamer 4 is unknown
        st.integers(W - H, S.WINDOW_END_MS + H),
    )
    clicks = draw(st.lists(st.tuples(event, st.integers(0, 10_000)), max_size=20))
    clicks = [(*e, v) for e, v in clicks]
    clicks += clicks[: draw(st.integers(0, 3))]  # exact copies
    negatives = draw(st.lists(event, max_size=10))
    anchor = (1, 1, room_rows[0][2], W + H + 1)  # user 1 in room 1, its streamer
    f = tiny_frames()
    f["room"] = pd.DataFrame(room_rows, columns=S.ROOM.column_names)
    f["click"] = pd.DataFrame([(*anchor, 1000), *clicks], columns=S.CLICK.column_names)
    f["negative"] = pd.DataFrame([anchor, *negatives], columns=S.NEGATIVE.column_names)
    for name in ("comment", "like", "gift"):  # the tiny rows are orphans here (rooms 10-14)
        extra = (7,) if name == "gift" else ()
        f[name] = pd.concat(
            [pd.DataFrame([(*anchor, *extra)], columns=f[name].columns), f[name]],
            ignore_index=True,
        )
    return f


def _build(folder: Path, params: CleaningParams, out: Path) -> dict[str, pd.DataFrame]:
    with DuckDBEngine(temp_dir=out.parent / "duckdb-tmp") as eng:
        build_cache(folder, params, out, engine=eng)
    return {n: cache.read_table(out, n) for n in cache.tables_in(out)}


def _as_raw(t: dict[str, pd.DataFrame], frames: dict[str, pd.DataFrame]) -> dict:
    """The clean tables written back as raw files (profiles as they were)."""
    raw = {"user": frames["user"], "streamer": frames["streamer"]}
    rooms = t["rooms"].assign(start_timestamp=t["rooms"]["start_ms"])
    rooms["end_timestamp"] = rooms["end_ms"]
    raw["room"] = rooms[S.ROOM.column_names]
    for name, attr in QM.EVENT_ATTRS.items():
        ev = t[attr].assign(timestamp=t[attr]["ts_ms"])
        raw[name] = ev[S.SCHEMAS[name].column_names]
    return raw


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    frames=raw_folders(),
    max_days=st.sampled_from([None, 0.5, 1.0, 7.0]),
    mode=st.sampled_from(STREAMER_MISMATCH_MODES),
    drop=st.booleans(),
    long_rooms=st.sampled_from(LONG_ROOM_MODES),
)
def test_accounting_order_flags_and_idempotence(frames, max_days, mode, drop, long_rooms):
    params = CleaningParams(
        max_room_days=max_days,
        streamer_mismatch=mode,
        drop_duplicate_events=drop,
        long_rooms=long_rooms,
    )
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = _build(write_tiny(tmp / "raw", frames), params, tmp / "a" / "cache")
        raw_rows = {n: len(df) for n, df in frames.items()}
        clean_rows = {n: len(t[a]) for n, a in QM.EVENT_ATTRS.items()}
        clean_rows |= {"room": len(t["rooms"]), "user": len(t["users"])}
        check_report(t["report"], raw_rows, clean_rows)
        rooms, clicks = t["rooms"], t["clicks"]
        assert rooms["live_id"].is_unique and rooms["live_id"].is_monotonic_increasing
        assert set(rooms["live_id"]) <= set(frames["room"]["live_id"])
        ts = clicks["ts_ms"]
        assert ((ts >= S.WINDOW_START_MS) & (ts < S.WINDOW_END_MS)).all()
        order = clicks[["ts_ms", "user_id"]].to_numpy()
        assert all(tuple(a) <= tuple(b) for a, b in itertools.pairwise(order))
        data = clicks[S.CLICK.column_names].assign(timestamp=clicks["ts_ms"])
        assert (data.duplicated().to_numpy() == clicks["flag_duplicate"].to_numpy()).all()
        if drop:
            assert not clicks["flag_duplicate"].any()
        assert clicks["live_id"].isin(rooms["live_id"]).all()  # orphans dropped
        if long_rooms == "drop":
            assert not clicks["flag_long_room"].any()
        # cleaning the clean tables again drops nothing and changes nothing
        again = _build(write_tiny(tmp / "clean", _as_raw(t, frames)), params, tmp / "b" / "cache")
        assert (again["report"]["rows_dropped"] == 0).all()
        for name in (*QM.EVENT_ATTRS.values(), "rooms", "sessions", "user_day"):
            pd.testing.assert_frame_equal(again[name], t[name], obj=name)
        shutil.rmtree(tmp / "a", ignore_errors=True)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 5),  # user
            st.integers(1, 6),  # live
            st.integers(0, 4),  # kind: click, comment, like, gift, negative
            st.integers(0, 21 * D - 1),  # ms into the window
            st.integers(0, 10_000),  # watch ms or coins
        ),
        max_size=40,
    )
)
def test_sessions_and_user_day_conserve_the_events(rows):
    """The per-kind sums of the sessions and of the user-day panel equal the event tables';
    one session per (user, live), one panel row per (user, Beijing day)."""
    tables = {}
    for i, (name, attr) in enumerate(QM.EVENT_ATTRS.items()):
        mine = [r for r in rows if r[2] == i]
        df = pd.DataFrame(
            {
                "user_id": np.array([r[0] for r in mine], np.int32),
                "live_id": np.array([r[1] for r in mine], np.int32),
                "streamer_id": np.array([r[1] % 3 + 1 for r in mine], np.int32),
                "ts_ms": np.array([W + r[3] for r in mine], np.int64),
                "day": np.array([r[3] // D for r in mine], np.int8),
            }
        )
        if name == "click":
            df["watch_live_time"] = np.array([r[4] for r in mine], np.int32)
        if name == "gift":
            df["gift_price"] = np.array([r[4] for r in mine], np.int32)
        tables[attr] = df
    rooms = pd.DataFrame({"live_id": np.arange(1, 7, dtype=np.int32)})
    rooms["streamer_id"] = (rooms["live_id"] % 3 + 1).astype(np.int32)
    s = run_on_frames(QM.SESSIONS, rooms=rooms, **tables)
    ud = run_on_frames(QM.USER_DAY, **tables)
    for attr, col in (("clicks", "n_clicks"), ("comments", "n_comments"), ("likes", "n_likes")):
        assert s[col].sum() == ud[col].sum() == len(tables[attr]), col
    assert s["n_gifts"].sum() == ud["n_gifts"].sum() == len(tables["gifts"])
    assert s["n_negatives"].sum() == ud["n_negatives"].sum() == len(tables["negatives"])
    watch = tables["clicks"]["watch_live_time"].sum()
    assert s["watch_ms"].sum() == ud["watch_ms"].sum() == watch
    coins = tables["gifts"]["gift_price"].sum()
    assert s["gift_value"].sum() == ud["gift_value"].sum() == coins
    assert len(s) == len({(r[0], r[1]) for r in rows})
    assert (s["n_exposures"] == s["n_clicks"] + s["n_negatives"]).all()
    assert (s["first_ms"] <= s["last_ms"]).all() and (s["day"] == (s["first_ms"] - W) // D).all()
    assert len(ud) == len({(r[0], r[3] // D) for r in rows})
    active = ud[["n_clicks", "n_comments", "n_likes", "n_gifts"]].sum(axis=1) > 0
    assert (ud["active"] == active).all()
