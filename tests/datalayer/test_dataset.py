"""load(): the data contract on a hand-made folder and on a small twin; cache behaviour."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from _tiny import write_tiny

from kuailive_analysis import dataset
from kuailive_analysis.data import schema as S
from kuailive_analysis.data.data_source import TRUTH_FILE, TRUTH_USERS_FILE
from kuailive_analysis.data.io import DataError

EVENT_COLS = ["user_id", "live_id", "streamer_id", "timestamp", "ts_ms", "day", "hour"]
TZ_DTYPE = "datetime64[ms, Asia/Shanghai]"


def check_contract(ds):
    """Every contract table, column and dtype."""
    for attr in ("users", "streamers", "rooms"):
        df = getattr(ds, attr)
        key = {"users": "user_id", "streamers": "streamer_id", "rooms": "live_id"}[attr]
        assert df[key].is_unique and df[key].dtype == np.int32, attr
    u = ds.users
    for c in ("reg_date", "first_watch_date", "tenure_days", "watch_age_days"):
        assert c in u
    assert isinstance(u["age"].dtype, pd.CategoricalDtype) and u["age"].cat.ordered
    r = ds.rooms
    for c in (
        "live_id",
        "streamer_id",
        "live_type",
        "start_timestamp",
        "end_timestamp",
        "start_ms",
        "end_ms",
        "live_content_category",
        "live_name_id",
        "duration_min",
        "end_censored",
    ):
        assert c in r, c
    assert str(r["start_timestamp"].dtype) == TZ_DTYPE and r["duration_min"].dtype == np.float32
    assert r["end_censored"].dtype == bool
    for attr, extra in (
        ("clicks", ["watch_live_time"]),
        ("comments", []),
        ("likes", []),
        ("gifts", ["gift_price"]),
        ("negatives", []),
    ):
        df = getattr(ds, attr)
        assert set(EVENT_COLS + extra) <= set(df.columns), attr
        assert str(df["timestamp"].dtype) == TZ_DTYPE
        assert df["user_id"].dtype == np.int32 and df["ts_ms"].dtype == np.int64
        assert df["day"].dtype == np.int8 and df["hour"].dtype == np.int8
        assert df["day"].between(0, 20).all() and df["hour"].between(0, 23).all()
        assert (df["timestamp"].dt.hour == df["hour"]).all()
        assert df["ts_ms"].is_monotonic_increasing
    s = ds.sessions
    assert list(s.columns) == [
        "user_id",
        "live_id",
        "streamer_id",
        "first_ms",
        "last_ms",
        "day",
        "n_clicks",
        "watch_ms",
        "n_comments",
        "n_likes",
        "n_gifts",
        "gift_value",
        "n_negatives",
        "n_exposures",
    ]
    assert not s.duplicated(["user_id", "live_id"]).any()
    assert s["n_clicks"].sum() == len(ds.clicks)
    assert s["gift_value"].sum() == ds.gifts["gift_price"].sum()
    ud = ds.user_day
    assert list(ud.columns) == [
        "user_id",
        "day",
        "n_clicks",
        "watch_ms",
        "n_comments",
        "n_likes",
        "n_gifts",
        "gift_value",
        "n_negatives",
        "active",
    ]
    assert ud["watch_ms"].sum() == ds.clicks["watch_live_time"].sum()
    rep = ds.report
    assert list(rep.columns) == [
        "rule",
        "table",
        "rows_in",
        "rows_dropped",
        "rows_flagged",
        "rows_out",
    ]
    last = rep.groupby("table", sort=False)["rows_out"].last()
    assert last["click"] == len(ds.clicks) and last["room"] == len(ds.rooms)


def test_load_tiny_contract_and_cache(tmp_path):
    d = write_tiny(tmp_path / "tiny")
    ds = dataset.load(d)
    check_contract(ds)
    assert ds.source.kind == "folder" and ds.truth is None
    # default cleaning keeps (flags) the duplicate click and the long room with its click
    assert len(ds.clicks) == 7 and len(ds.rooms) == 5
    assert ds.clicks["flag_duplicate"].sum() == 1 and ds.clicks["flag_long_room"].sum() == 1
    assert ds.raw_files.set_index("file").loc["room.csv", "rows"] == 7
    cached = dataset.load(d)
    assert cached.source == ds.source and cached.cache_key == ds.cache_key
    assert "clicks" not in cached._tables  # lazy: read on first access
    for attr in dataset.TABLES + ("report",):
        pd.testing.assert_frame_equal(getattr(cached, attr), getattr(ds, attr), obj=attr)
    assert set(cached.samples) == set(S.SCHEMAS)


def test_params_change_key_and_result(tmp_path):
    d = write_tiny(tmp_path / "tiny")
    a = dataset.load(d, drop_duplicate_events=True, long_rooms="drop")
    assert len(a.clicks) == 5 and len(a.rooms) == 4 and len(a.sessions) == 8
    b = dataset.load(d, max_room_days=None, drop_duplicate_events=True, long_rooms="drop")
    assert a.cache_key != b.cache_key and a.source == b.source  # same data, other cleaning
    assert len(b.rooms) == 5 and len(b.clicks) == 6
    assert b.params["max_room_days"] is None
    with pytest.raises(ValueError, match="no_such_rule: not declared"):
        dataset.load(d, no_such_rule=True)


def test_no_cache_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("KUAILIVE_BUILD_DIR", str(tmp_path / "build"))
    ds = dataset.load(write_tiny(tmp_path / "tiny"), cache=False)
    assert len(ds.clicks) == 7 and ds.cache_path is None
    assert not (tmp_path / "build").exists()


def test_raw_change_invalidates_cache(tmp_path):
    d = write_tiny(tmp_path / "tiny")
    k1 = dataset.load(d).source.fingerprint
    text = (d / "like.csv").read_text() + f"2,10,1,{S.WINDOW_START_MS + 7_200_000}\n"
    (d / "like.csv").write_text(text)
    ds = dataset.load(d)
    assert ds.source.fingerprint != k1 and len(ds.likes) == 2


def test_quiet_by_default(tmp_path, capsys):
    dataset.load(write_tiny(tmp_path / "tiny"))
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


def test_progress_goes_to_stderr(tmp_path, capsys):
    dataset.load(write_tiny(tmp_path / "tiny"), cache=False, progress=True)
    out = capsys.readouterr()
    assert out.out == "" and "ingest" in out.err


def test_truth_is_read_for_a_twin(tmp_path):
    d = write_tiny(tmp_path / "tiny")
    (d / TRUTH_FILE).write_text(json.dumps({"scale": 0.001, "seed": 3}))
    pd.DataFrame({"user_id": [1, 2], "churn_ms": [1, 2]}).to_csv(d / TRUTH_USERS_FILE, index=False)
    ds = dataset.load(d)
    assert ds.source.kind == "twin" and ds.source.scale == 0.001 and ds.source.seed == 3
    assert ds.source.label == "synthetic twin (scale 0.001, seed 3)"
    assert ds.truth["users"]["churn_ms"].tolist() == [1, 2]


def test_bad_folder_raises_data_error(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        dataset.load(tmp_path / "missing")


@pytest.fixture
def twin_folder(request):
    pytest.importorskip("kuailive_analysis.twin")
    return request.getfixturevalue("small_twin")


def test_small_twin_contract(twin_folder):
    ds = dataset.load(twin_folder)
    check_contract(ds)
    assert ds.source.kind == "twin" and ds.truth is not None
    assert len(ds.users) > 0 and len(ds.clicks) > 0
    rep = ds.report
    assert (rep["rows_out"] == rep["rows_in"] - rep["rows_dropped"]).all()
