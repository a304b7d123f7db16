"""Cleaning rules: known answers on hand-made frames, and accounting/idempotence properties."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _tiny import MIN, D, H, W, tiny_frames, write_tiny
from hypothesis import HealthCheck, given, settings, strategies as st

from kuailive_analysis import cleaning, dataset
from kuailive_analysis.data import clean as CL, schema as S

EV_COLS = S.CLICK.column_names


def _room(rows):
    return pd.DataFrame(rows, columns=S.ROOM.column_names)


def _clicks(rows):
    return pd.DataFrame(rows, columns=EV_COLS)


# ---------------------------------------------------------------------------------------------
# Rooms
# ---------------------------------------------------------------------------------------------
def test_dedupe_rooms_known_answer():
    room = _room(
        [
            (20250506, 7, 1, 1, W + 100, W + 900, "other", 9),
            (20250505, 7, 1, 1, W + 50, W + 800, "other", 4),
            (20250505, 3, 2, 2, W, W + 10, "shop", -1),
            (20250507, 7, 1, 1, W + 50, W + 800, "other", -1),
        ]
    )
    out, step = CL.dedupe_rooms(room, "last")
    assert list(out["live_id"]) == [3, 7]
    r7 = out.set_index("live_id").loc[7]
    assert r7["start_timestamp"] == W + 50 and r7["end_timestamp"] == W + 900
    assert r7["p_date"] == 20250505  # earliest p_date row
    assert r7["live_name_id"] == 9  # latest p_date with a title (20250507 has none)
    assert (step.rows_in, step.rows_dropped, step.rows_flagged) == (4, 2, 1)  # start differs
    out_first, _ = CL.dedupe_rooms(room, "first")
    assert out_first.set_index("live_id").loc[7, "live_name_id"] == 4


def test_dedupe_rooms_untitled_only_keeps_minus_one():
    room = _room(
        [(20250505, 5, 1, 1, W, W + 1, "other", -1), (20250506, 5, 1, 1, W, W + 1, "other", -1)]
    )
    out, step = CL.dedupe_rooms(room)
    assert out["live_name_id"].tolist() == [-1] and step.rows_flagged == 0


def test_dedupe_rooms_flags_streamer_conflict():
    room = _room(
        [(20250505, 5, 1, 1, W, W + 1, "other", 1), (20250506, 5, 2, 1, W, W + 1, "other", 2)]
    )
    _, step = CL.dedupe_rooms(room)
    assert step.rows_flagged == 1 and step.rows_dropped == 1


def test_dedupe_rooms_bad_rule():
    with pytest.raises(ValueError, match="name_rule"):
        CL.dedupe_rooms(_room([]), "middle")


def test_censor_room_ends():
    room = _room(
        [
            (20250505, 1, 1, 1, W, W + 90 * MIN, "other", 0),
            (20250525, 2, 1, 1, S.WINDOW_END_MS - 2 * H, S.CAPPED_END_MS, "other", 0),
        ]
    )
    out, step = CL.censor_room_ends(room)
    assert out["end_censored"].tolist() == [False, True]
    assert out["duration_min"].tolist() == [90.0, 120.0]  # censored: observed to window end
    assert out["duration_min"].dtype == np.float32
    assert step.rows_flagged == 1 and step.rows_dropped == 0


def test_drop_long_rooms_thresholds():
    room = _room(
        [
            (20250505, i, 1, 1, W, W + int(d * D), "other", 0)
            for i, d in enumerate([0.5, 1.0, 1.5, 7.0, 8.0], start=1)
        ]
    )
    room, _ = CL.censor_room_ends(room)
    kept, step, ids = CL.drop_long_rooms(room, 1.0)
    assert kept["live_id"].tolist() == [1, 2] and sorted(ids) == [3, 4, 5]
    assert step.rows_dropped == 3
    assert CL.drop_long_rooms(room, 7.0)[2].tolist() == [5]
    assert CL.drop_long_rooms(room, None)[1].rows_dropped == 0


# ---------------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------------
def test_outside_window():
    ev = _clicks(
        [
            (1, 1, 1, W - 1, 0),
            (1, 1, 1, W, 0),
            (1, 1, 1, S.WINDOW_END_MS - 1, 0),
            (1, 1, 1, S.WINDOW_END_MS, 0),
        ]
    )
    out, step = CL.drop_events_outside_window(ev, "click")
    assert out["timestamp"].tolist() == [W, S.WINDOW_END_MS - 1] and step.rows_dropped == 2
    same, step = CL.drop_events_outside_window(ev, "click", drop=False)
    assert len(same) == 4 and step.rows_flagged == 2


def test_duplicate_events_keep_same_ms_different_live():
    ev = _clicks([(1, 1, 1, W, 5), (1, 2, 1, W, 5), (1, 1, 1, W, 5), (1, 1, 1, W, 6)])
    out, step = CL.drop_duplicate_events(ev, "click")
    assert len(out) == 3 and step.rows_dropped == 1


def test_orphans():
    ev = _clicks([(1, 10, 1, W, 0), (1, 11, 1, W, 0), (9, 10, 1, W, 0), (1, 10, 7, W, 0)])
    out, step = CL.drop_orphan_events(ev, "click", np.array([10]), np.array([1, 2]), np.array([1]))
    assert len(out) == 2 and step.rows_dropped == 2 and step.rows_flagged == 1  # streamer 7


def test_events_in_dropped_rooms():
    ev = _clicks([(1, 10, 1, W, 0), (1, 11, 1, W, 0), (2, 11, 1, W, 0)])
    out, step = CL.drop_events_in_rooms(ev, "click", np.array([11]))
    assert out["live_id"].tolist() == [10] and step.rows_dropped == 2 and step.rule == "long_rooms"


def test_streamer_mismatch_modes():
    room = _room([(20250505, 10, 1, 1, W, W + 1, "other", 0)])
    ev = _clicks([(1, 10, 1, W, 0), (1, 10, 2, W, 0), (1, 99, 5, W, 0)])
    out, step = CL.resolve_streamer_mismatch(ev, "click", room, "flag")
    assert out["streamer_id"].tolist() == [1, 2, 5] and step.rows_flagged == 1
    out, step = CL.resolve_streamer_mismatch(ev, "click", room, "drop")
    assert len(out) == 2 and step.rows_dropped == 1
    # fix: the corrected row (1, 10, 2 -> 1, W, 0) is now an exact copy of row 0, so it goes
    out, step = CL.resolve_streamer_mismatch(ev, "click", room, "fix")
    assert out["streamer_id"].tolist() == [1, 5] and out["streamer_id"].dtype == np.int32
    assert step.rows_flagged == 1 and step.rows_dropped == 1
    # a corrected row that differs in another column (watch time) is kept
    ev2 = _clicks([(1, 10, 1, W, 0), (1, 10, 2, W, 7), (1, 99, 5, W, 0)])
    out, step = CL.resolve_streamer_mismatch(ev2, "click", room, "fix")
    assert out["streamer_id"].tolist() == [1, 1, 5] and step.rows_dropped == 0


def test_sort_events_stable_tiebreak():
    ev = _clicks([(2, 1, 1, W + 5, 0), (1, 3, 1, W + 5, 0), (1, 2, 1, W + 5, 0), (1, 4, 1, W, 0)])
    out = CL.sort_events(ev)
    assert out["live_id"].tolist() == [4, 3, 2, 1]  # ts, then user, then file order


def test_dedupe_keys():
    df = pd.DataFrame({"user_id": [3, 1, 3, 2], "x": [1, 2, 3, 4]})
    out, step = CL.dedupe_keys(df, "user_id", "user")
    assert out["user_id"].tolist() == [1, 2, 3] and out["x"].tolist() == [2, 4, 1]
    assert step.rows_dropped == 1


def test_params_validation():
    with pytest.raises(ValueError, match="max_room_days"):
        CL.CleaningParams(max_room_days=0)
    with pytest.raises(ValueError, match="streamer_mismatch"):
        CL.CleaningParams(streamer_mismatch="ignore")
    with pytest.raises(ValueError, match="max_days: not declared"):
        CL.CleaningParams.from_values(max_days=2)


# ---------------------------------------------------------------------------------------------
# The whole pipeline on the tiny folder
# ---------------------------------------------------------------------------------------------
def _typed(frames):
    """tiny frames with io-like dtypes (profiles untouched: cleaning only needs ids)."""
    out = {}
    for n, df in frames.items():
        df = df.copy()
        for c in S.SCHEMAS[n].columns:
            if c.kind == S.ID:
                df[c.name] = df[c.name].astype(np.int32)
        out[n] = df
    return out


def test_clean_tables_tiny_known_answers():
    """Dropping mode (the rules that may remove real events set to drop)."""
    raw = _typed(tiny_frames())
    clean, report = CL.clean_tables(raw, DROP_ALL)
    CL.check_report(
        report, {n: len(d) for n, d in raw.items()}, {n: len(d) for n, d in clean.items()}
    )
    r = report.set_index(["rule", "table"])
    assert r.loc[("duplicate_rooms", "room"), "rows_dropped"] == 2
    assert r.loc[("duplicate_rooms", "room"), "rows_flagged"] == 1
    assert r.loc[("censored_room_end", "room"), "rows_flagged"] == 1
    assert r.loc[("long_rooms", "room"), "rows_dropped"] == 1
    expect_click = {
        "events_outside_window": 1,
        "duplicate_events": 1,
        "orphan_events": 2,
        "long_rooms": 1,
        "streamer_mismatch": 0,
    }
    for rule, k in expect_click.items():
        assert r.loc[(rule, "click"), "rows_dropped"] == k, rule
    assert r.loc[("streamer_mismatch", "click"), "rows_flagged"] == 1
    assert r.loc[("long_rooms", "gift"), "rows_dropped"] == 1
    assert len(clean["click"]) == 5 and len(clean["room"]) == 4
    assert clean["room"].set_index("live_id").loc[11, "live_name_id"] == 6
    assert set(report["table"]) == set(S.SCHEMAS)
    for n in S.EVENT_TABLES:
        for c in CL.FLAG_COLUMNS:
            assert not clean[n][c].any(), (n, c)


def test_clean_tables_default_flags_events_that_may_be_real():
    """By default the duplicate and long-room rules keep the events and flag them, counted."""
    raw = _typed(tiny_frames())
    clean, report = CL.clean_tables(raw)
    CL.check_report(
        report, {n: len(d) for n, d in raw.items()}, {n: len(d) for n, d in clean.items()}
    )
    r = report.set_index(["rule", "table"])
    for rule in CL.KEEPS_REAL_EVENTS:
        assert (report.loc[report["rule"] == rule, "rows_dropped"] == 0).all(), rule
    assert r.loc[("long_rooms", "room"), "rows_flagged"] == 1
    assert r.loc[("long_rooms", "click"), "rows_flagged"] == 1
    assert r.loc[("long_rooms", "gift"), "rows_flagged"] == 1
    assert r.loc[("duplicate_events", "click"), "rows_flagged"] == 1
    assert len(clean["click"]) == 7 and len(clean["room"]) == 5
    c = clean["click"]
    assert c["flag_duplicate"].sum() == 1 and c["flag_long_room"].sum() == 1
    # the flagged copy is an exact copy of a kept row
    data = c.drop(columns=list(CL.FLAG_COLUMNS))
    assert (data.duplicated().to_numpy() == c["flag_duplicate"].to_numpy()).all()


DROP_ALL = CL.CleaningParams(drop_duplicate_events=True, long_rooms="drop")


def test_clean_tables_alternative_params():
    raw = _typed(tiny_frames())
    clean, report = CL.clean_tables(
        raw,
        CL.CleaningParams(max_room_days=None, streamer_mismatch="drop", drop_duplicate_events=True),
    )
    assert len(clean["room"]) == 5
    assert len(clean["click"]) == 5  # long-room click kept, mismatch click dropped
    assert report.set_index(["rule", "table"]).loc[("long_rooms", "click"), "rows_dropped"] == 0


def test_clean_idempotent_tiny():
    raw = _typed(tiny_frames())
    once, _ = CL.clean_tables(raw)
    twice, report2 = CL.clean_tables(once)
    assert (report2["rows_dropped"] == 0).all()
    for n in once:
        pd.testing.assert_frame_equal(once[n], twice[n])


def test_long_room_sensitivity():
    raw = _typed(tiny_frames())
    rooms, _ = CL.dedupe_rooms(raw["room"])
    rooms, _ = CL.censor_room_ends(rooms)
    sens = CL.long_room_sensitivity(
        rooms, {"click": raw["click"], "gift": raw["gift"]}, thresholds=(1.0, 7.0, None)
    ).set_index("max_room_days")
    assert sens.loc[1.0, "rooms_dropped"] == 1 and sens.loc[1.0, "click_dropped"] == 1
    assert sens.loc[1.0, "gift_dropped"] == 1 and sens.loc[7.0, "rooms_dropped"] == 0
    assert sens.loc[np.inf, "click_dropped"] == 0


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------
@st.composite
def raw_tables(draw):
    n_rooms = draw(st.integers(1, 6))
    room_rows = []
    for lid in range(1, n_rooms + 1):
        start = W + draw(st.integers(-2 * D, 21 * D))
        dur = draw(st.sampled_from([10 * MIN, 3 * H, 30 * H, 7 * D]))
        end = S.CAPPED_END_MS if draw(st.booleans()) and start < S.CAPPED_END_MS else start + dur
        for k in range(draw(st.integers(1, 3))):
            room_rows.append(
                (
                    20250505 + k,
                    lid,
                    draw(st.integers(1, 3)),
                    1,
                    start + draw(st.sampled_from([0, 0, MIN])),
                    end,
                    "other",
                    draw(st.integers(-1, 5)),
                )
            )
    ev = draw(
        st.lists(
            st.tuples(
                st.integers(1, 4),
                st.integers(1, n_rooms + 1),
                st.integers(1, 3),
                st.integers(W - H, S.WINDOW_END_MS + H),
                st.integers(0, 10_000),
            ),
            max_size=25,
        )
    )
    ev = ev + ev[: draw(st.integers(0, 3))]  # some exact duplicates
    frames = tiny_frames()
    frames["room"] = _room(room_rows)
    frames["click"] = _clicks(ev)
    frames["gift"] = frames["gift"].iloc[:0]
    return _typed(frames)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    raw=raw_tables(),
    max_days=st.sampled_from([None, 0.5, 1.0, 7.0]),
    mode=st.sampled_from(CL.STREAMER_MISMATCH_MODES),
    drop=st.booleans(),
    lr=st.sampled_from(CL.LONG_ROOM_MODES),
)
def test_properties_accounting_and_idempotence(raw, max_days, mode, drop, lr):
    params = CL.CleaningParams(
        max_room_days=max_days, streamer_mismatch=mode, drop_duplicate_events=drop, long_rooms=lr
    )
    clean, report = CL.clean_tables(raw, params)
    # rows in = rows kept + rows dropped, chained per table, from raw to clean
    CL.check_report(
        report, {n: len(d) for n, d in raw.items()}, {n: len(d) for n, d in clean.items()}
    )
    assert clean["room"]["live_id"].is_unique
    ts = clean["click"]["timestamp"]
    assert ((ts >= S.WINDOW_START_MS) & (ts < S.WINDOW_END_MS)).all()
    assert ts.is_monotonic_increasing
    data = clean["click"].drop(columns=list(CL.FLAG_COLUMNS))
    assert (data.duplicated().to_numpy() == clean["click"]["flag_duplicate"].to_numpy()).all()
    if drop:
        assert not clean["click"]["flag_duplicate"].any()
    assert clean["click"]["live_id"].isin(clean["room"]["live_id"]).all()
    again, report2 = CL.clean_tables(clean, params)
    assert (report2["rows_dropped"] == 0).all()
    for n in clean:
        pd.testing.assert_frame_equal(clean[n], again[n])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(-2, 2)), max_size=30))
def test_duplicate_rows_matches_pandas(rows):
    """The hash-prefiltered duplicate mask equals pandas' exact ``duplicated``."""
    df = pd.DataFrame(rows, columns=["a", "b", "c"]).astype({"a": np.int32, "c": np.int64})
    assert (CL.duplicate_rows(df) == df.duplicated().to_numpy()).all()


def test_duplicate_rows_non_integer_falls_back():
    df = pd.DataFrame({"a": [1, 1, 2], "s": ["x", "x", "x"]})
    assert CL.duplicate_rows(df).tolist() == [False, True, False]


# ---------------------------------------------------------------------------------------------
# Chapter 1: the cleaning result
# ---------------------------------------------------------------------------------------------
CHAPTER = Path(__file__).resolve().parents[1] / "book" / "chapters" / "01_cleaning.ipynb"


def _markdown_glue_keys(path: Path) -> set[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return set(re.findall(r"\{glue:text\}`([A-Za-z_0-9]+)", text))


@pytest.fixture(scope="module")
def tiny_result(tmp_path_factory):
    ds = dataset.load(write_tiny(tmp_path_factory.mktemp("ch1") / "tiny"))
    return cleaning.analyse(ds)


def test_cleaning_numbers_are_exactly_the_keys_the_chapter_glues(tiny_result):
    keys = _markdown_glue_keys(CHAPTER)
    assert len(keys) > 30 and "click_kept_share" in keys
    n = tiny_result.numbers()
    assert set(n) == keys
    for k, v in n.items():
        assert type(v) in (int, float, str), (k, type(v))  # glue needs plain Python values


def test_cleaning_numbers_known_answers_on_tiny_folder(tiny_result):
    n = tiny_result.numbers()
    assert (n["click_in"], n["gift_in"], n["room_in"], n["negative_in"]) == (10, 3, 7, 3)
    # by default the duplicate click and the long-room click and gift are kept, flagged
    assert n["click_kept_share"] == 0.7 and n["gift_kept_share"] == 1.0
    assert (n["click_out"], n["gift_out"]) == (7, 3)
    assert n["duplicate_rooms_room_dropped"] == 2 and n["duplicate_rooms_room_flagged"] == 1
    assert n["censored_room_end_room_flagged"] == 1 and n["long_rooms_room_dropped"] == 0
    assert n["long_rooms_room_flagged"] == 1 and n["long_rooms_mode"] == "flag"
    assert n["events_outside_window_click_dropped"] == 1
    assert n["duplicate_events_click_dropped"] == 0 and n["duplicate_events_click_flagged"] == 1
    assert n["orphan_events_click_dropped"] == 2
    assert (n["long_click_n"], n["long_gift_n"]) == (1, 1)
    assert n["streamer_mismatch_click_flagged"] == 1
    # the 7-day room holds 1 of 10 raw clicks and 1 of 3 gifts
    assert n["long_click_share"] == pytest.approx(0.1)
    assert n["long_gift_share"] == pytest.approx(1 / 3)
    assert n["sens_click_half"] == pytest.approx(0.1)  # only the 7-day room is over 12 h
    assert n["sens_click_week"] == 0.0  # exactly 7 days is not over 7 days
    assert (n["q_dup_rooms"], n["q_capped"], n["q_dup_neg"], n["q_mismatch_click"]) == (2, 1, 0, 1)
    assert n["click_first"].startswith("2025-05-04 23:00")  # c8, an hour before the window
    assert n["room_name_rule"] == "last" and n["max_room_days_label"] == "1 day"
    assert n["source_label"].startswith("KuaiLive files in ")
    assert n["n_sessions"] == len(dataset.load(tiny_result.source.path).sessions)
    assert 0 < n["share_sessions_click"] <= 1 and n["n_user_days"] > 0


def test_cleaning_result_tables(tiny_result):
    r = tiny_result
    assert (r.quality_findings["count"] > 0).all() and len(r.quality_findings) < len(r.quality)
    assert not r.schema["column"].str.startswith("onehot_feat").any()
    assert list(r.schema.columns) == cleaning.report.SCHEMA_COLUMNS
    assert isinstance(r.schema.index, pd.RangeIndex)  # shown without an index
    assert list(r.click_sample.columns) == S.CLICK.column_names
    assert set(r.data_model["table"]) >= {"sessions", "user_day"}
    assert r.params["max_room_days"] == 1.0
    CL.check_report(r.report)


@pytest.mark.parametrize("days,label", [(None, "no limit"), (2.0, "2 days"), (0.5, "0.5 days")])
def test_max_room_days_label(tiny_result, days, label):
    from dataclasses import replace

    r = replace(tiny_result, params={**tiny_result.params, "max_room_days": days})
    assert r.max_room_days_label == label


def test_cleaning_findings_on_a_folder_without_truth(tiny_result):
    from kuailive_analysis.chapter.findings import Finding

    f = {x.key: x for x in tiny_result.findings()}
    assert set(f) == {"keeps_real_events", "row_accounting", "duplicate_rooms", "long_rooms"}
    assert all(isinstance(x, Finding) and x.chapter == "cleaning" for x in f.values())
    assert f["keeps_real_events"].status == "not checkable" and f["keeps_real_events"].reason
    assert f["row_accounting"].status == "validated"
    assert f["long_rooms"].status == "validated" and f["long_rooms"].evidence["clicks"] == 1
    # a plain folder: nothing is labelled planted
    assert all(x.origin != "planted" for x in f.values())
    assert tiny_result.truth is None and tiny_result.truth_display().empty


def _report(rows):
    return pd.DataFrame(rows, columns=CL.REPORT_COLUMNS)


def test_truth_check_counts_real_events_lost_and_flagged():
    rep = _report(
        [
            ("duplicate_events", "gift", 10, 0, 2, 10),
            ("long_rooms", "gift", 10, 1, 0, 9),
            ("long_rooms", "click", 5, 0, 1, 5),
        ]
    )
    t = cleaning.report.truth_check(rep, {"params": {"counts": {"gift": 10, "click": 5}}})
    t = t.set_index("table")
    assert t.loc["gift", "kept"] == 9 and t.loc["gift", "dropped"] == 1
    assert t.loc["gift", "flagged"] == 2 and t.loc["click", "dropped"] == 0
    assert cleaning.report.truth_check(rep, None) is None


def test_keeps_real_events_fails_when_a_rule_drops_real_gifts(tiny_result):
    from dataclasses import replace

    truth = pd.DataFrame(
        [{"table": "gift", "written": 3, "in_file": 3, "kept": 2, "dropped": 1, "flagged": 0}]
    )
    f = {x.key: x for x in replace(tiny_result, truth=truth).findings()}["keeps_real_events"]
    assert f.status == "failed" and f.value == 1 and not f.action and f.reason
    ok = truth.assign(kept=3, dropped=0)
    f = {x.key: x for x in replace(tiny_result, truth=ok).findings()}["keeps_real_events"]
    assert f.status == "validated" and f.action


def test_cleaning_displays_have_readable_headers(tiny_result):
    for t in (tiny_result.report_display(), tiny_result.room_sensitivity_display()):
        assert not any("_" in str(c) for c in t.columns), list(t.columns)


def test_cleaning_keeps_every_real_event_on_the_twin(small_twin):
    """On the twin every row the generator wrote is a real event: the default cleaning keeps
    them all (the duplicate and long-room rules flag, not drop)."""
    res = cleaning.analyse(dataset.load(small_twin))
    t = res.truth.set_index("table")
    assert (t["dropped"] == 0).all() and (t["kept"] == t["written"]).all()
    f = {x.key: x for x in res.findings()}
    assert f["keeps_real_events"].status == "validated" and f["keeps_real_events"].headline
    assert f["long_rooms"].origin == "planted" and f["duplicate_rooms"].origin == "planted"
    dropped = CL.CleaningParams(long_rooms="drop")
    res2 = cleaning.analyse(dataset.load(small_twin, **{"long_rooms": dropped.long_rooms}))
    lost = res2.truth.set_index("table")["dropped"]
    assert lost.loc["click"] > 0
    assert {x.key: x for x in res2.findings()}["keeps_real_events"].status == "failed"
