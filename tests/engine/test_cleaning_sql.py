"""The cleaning rules' SQL (:mod:`kuailive_analysis.engine.queries.cleaning`) on hand-made
frames, rule by rule: known answers for the room merge, censoring and the long-room mark, the
window edges, copies, orphans, streamer mismatches and the event order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _tiny import MIN, D, H, W

from kuailive_analysis.data import schema as S
from kuailive_analysis.engine.frames import run_on_frames
from kuailive_analysis.engine.queries import cleaning as QC, model as QM


def _room(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=S.ROOM.column_names)
    return df.assign(_row=np.arange(len(df), dtype=np.int64))


def rooms_all(rows, **params) -> pd.DataFrame:
    return run_on_frames(QC.ROOMS_ALL, params, raw_room=_room(rows)).set_index("live_id")


def test_merge_keeps_earliest_start_latest_end_and_the_titled_row():
    rows = [
        (20250506, 7, 1, 1, W + 100, W + 900, "other", 9),
        (20250505, 7, 1, 1, W + 50, W + 800, "other", 4),
        (20250505, 3, 2, 2, W, W + 10, "shop", -1),
        (20250507, 7, 1, 1, W + 50, W + 800, "other", -1),
    ]
    r = rooms_all(rows)
    assert sorted(r.index) == [3, 7]
    r7 = r.loc[7]
    assert (r7["start_ms"], r7["end_ms"], r7["p_date"]) == (W + 50, W + 900, 20250505)
    assert r7["live_name_id"] == 9  # the latest p_date with a title (20250507 has none)
    assert r7["n_rows"] == 3 and r7["conflict"]  # the starts differ
    assert rooms_all(rows, name_first=True).loc[7, "live_name_id"] == 4
    assert r.loc[3, "n_rows"] == 1 and not r.loc[3, "conflict"]


def test_merge_untitled_only_and_streamer_conflict():
    untitled = rooms_all(
        [(20250505, 5, 1, 1, W, W + 1, "other", -1), (20250506, 5, 1, 1, W, W + 1, "other", -1)]
    )
    assert untitled.loc[5, "live_name_id"] == -1 and not untitled.loc[5, "conflict"]
    other = rooms_all(
        [(20250505, 5, 1, 1, W, W + 1, "other", 1), (20250506, 5, 2, 1, W, W + 1, "other", 2)]
    )
    assert other.loc[5, "conflict"] and other.loc[5, "streamer_id"] == 1  # earliest p_date
    assert other.loc[5, "last_streamer"] == 2  # the file's last row, for the quality check


def test_censored_end_and_long_mark():
    r = rooms_all(
        [
            (20250505, 1, 1, 1, W, W + 90 * MIN, "other", 0),
            (20250525, 2, 1, 1, S.WINDOW_END_MS - 2 * H, S.CAPPED_END_MS, "other", 0),
            *[
                (20250505, i, 1, 1, W, W + int(d * D), "other", 0)
                for i, d in enumerate([0.5, 1.0, 1.5, 7.0, 8.0], start=3)
            ],
        ],
        long_min=1440.0,
    )
    assert r["end_censored"].tolist() == [False, True] + [False] * 5
    assert r.loc[2, "duration_min"] == 120.0  # observed up to the window end
    assert r.loc[1, "duration_min"] == 90.0
    assert sorted(r.index[r["is_long"]]) == [5, 6, 7]  # over one day; exactly 1 day is not
    assert not rooms_all([(20250505, 1, 1, 1, W, W + 8 * D, "x", 0)], has_long=False)[
        "is_long"
    ].any()


USERS = pd.DataFrame({"user_id": np.array([1, 2, 3], np.int32)})
STREAMERS = pd.DataFrame({"streamer_id": np.array([1, 2], np.int32)})
ROOMS = [(20250505, 10, 1, 1, W, W + H, "other", 0), (20250505, 11, 2, 1, W, W + H, "x", 0)]


def clean_clicks(rows, **params) -> tuple[pd.DataFrame, dict]:
    """The clean clicks (cache order, :data:`QM.CLEAN_EVENTS`) and the report counts of
    ``rows`` (user, live, streamer, ms, watch) under the rules' ``params``."""
    raw = pd.DataFrame(rows, columns=S.CLICK.column_names).assign(_row=lambda d: np.arange(len(d)))
    qs = QC.EVENT_QUERIES["click"]
    marks_params = {k: v for k, v in params.items() if k == "drop_outside"}
    clean_params = {k: v for k, v in params.items() if k != "drop_outside"}
    marks = run_on_frames(
        qs["marks"],
        marks_params,
        raw_click=raw,
        stage_rooms_all=run_on_frames(QC.ROOMS_ALL, raw_room=_room(ROOMS)),
        users=USERS,
        streamers=STREAMERS,
    )
    stage = run_on_frames(qs["clean"], clean_params, stage_marks_click=marks)
    counts = run_on_frames(qs["counts"], stage_clean_click=stage).iloc[0].to_dict()
    return run_on_frames(QM.CLEAN_EVENTS["click"], stage_clean_click=stage), counts


def test_window_edges():
    end = S.WINDOW_END_MS
    rows = [(1, 10, 1, W - 1, 0), (1, 10, 1, W, 0), (1, 10, 1, end - 1, 0), (1, 10, 1, end, 0)]
    out, c = clean_clicks(rows)
    assert out["ts_ms"].tolist() == [W, end - 1] and c["w_out"] == 2
    kept, c = clean_clicks(rows, drop_outside=False)
    assert len(kept) == 4 and c["k4"] == 4


def test_copies_are_exact_rows_only():
    rows = [(1, 10, 1, W, 5), (1, 11, 2, W, 5), (1, 10, 1, W, 5), (1, 10, 1, W, 6)]
    out, c = clean_clicks(rows)
    assert out["flag_duplicate"].tolist() == [False, False, True, False]  # the third row
    assert c["dup"] == 1
    dropped, _ = clean_clicks(rows, drop_dup=True)
    assert len(dropped) == 3 and not dropped["flag_duplicate"].any()


def test_orphans_dropped_and_unknown_streamer_counted():
    rows = [(1, 10, 1, W, 0), (1, 12, 1, W, 0), (9, 10, 1, W, 0), (1, 10, 7, W, 0)]
    out, c = clean_clicks(rows)
    assert len(out) == 2 and c["bad"] == 2 and c["unknown_streamer"] == 1
    kept, c = clean_clicks(rows, drop_orphans=False)
    assert len(kept) == 4 and c["k6"] == 4


@pytest.mark.parametrize(
    "mode, streamers, dropped",
    [("flag", [1, 2, 5], 0), ("drop", [1, 5], 1), ("fix", [1, 5], 1)],
)
def test_streamer_mismatch_modes(mode, streamers, dropped):
    # the second row disagrees with room 10's streamer; room 12 is unknown (not compared)
    rows = [(1, 10, 1, W, 0), (1, 10, 2, W, 0), (1, 12, 5, W + 1, 0)]
    params = {"mismatch_drop": mode == "drop", "mismatch_fix": mode == "fix"}
    out, c = clean_clicks(rows, drop_orphans=False, **params)
    assert out["streamer_id"].tolist() == streamers  # fixed row = a copy of row 0: dropped
    assert c["mism"] == 1 and (c["k7"] - c["k8"]) == dropped and c["new_dup"] == (mode == "fix")


def test_fixed_row_that_differs_elsewhere_is_kept():
    rows = [(1, 10, 1, W, 0), (1, 10, 2, W, 7)]
    out, c = clean_clicks(rows, mismatch_fix=True)
    assert out["streamer_id"].tolist() == [1, 1] and c["new_dup"] == 0


def test_event_order_breaks_ties_by_user_then_file_order():
    rows = [(2, 11, 2, W + 5, 0), (1, 11, 2, W + 5, 1), (1, 10, 1, W + 5, 2), (1, 10, 1, W, 3)]
    out, _ = clean_clicks(rows)
    assert out["watch_live_time"].tolist() == [3, 1, 2, 0]
