"""Chapter 5 in the event engine (issue 16): the SQL of engine/queries/funnel.py and the KPI
statistics computed from its per-(level, user) sums give the numbers and tables of the pandas
implementation.

* ``analyse(ds).numbers()`` and every aggregated table of the result equal the values the
  pandas implementation produced before the move (tests/data/funnel_*_scale0.01_seed3.*,
  written by tests/make_funnel_fixture.py on that code);
* the engine's event-level tables (engagements, clicks, exposures with segments and positions,
  sessions) equal the pandas reference functions (attribute, build, add_segments,
  add_positions, session_table) on the same twin;
* the KPI functions give the same tables from the engine's statistics and from a pandas
  exposure table;
* the tie-break of clicks in one millisecond is the documented rule in SQL and pandas.
"""

from __future__ import annotations

import json
import math
import pickle
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kuailive_analysis import funnel as F
from kuailive_analysis.data.schema import WINDOW_START_MS as W
from kuailive_analysis.funnel.engine import engine_click_table, engine_tables

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_funnel_fixture import ANALYSE, NUMBERS, TABLES, dataset, result_tables  # noqa: E402
from test_funnel import hand_dataset  # noqa: E402


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    return dataset(tmp_path_factory.mktemp("funnel_engine"))


@pytest.fixture(scope="module")
def result(twin):
    return F.analyse(twin, **ANALYSE)


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def test_numbers_unchanged_on_the_small_twin(result):
    before = json.loads(NUMBERS.read_text())
    now = result.numbers()
    # added after the fixture: the scored test rows; the small twin's test parts are below
    # predict.models.MAX_TEST_ROWS, so every test row is scored
    added = {"ctr_n_test_used": "ctr_n_test", "gtr_n_test_used": "gtr_n_test"}
    assert sorted(now) == sorted([*before, *added])
    for new, whole in added.items():
        assert now[new] == before[whole]
    diff = {k: (before[k], now[k]) for k in before if not _same(before[k], now[k])}
    assert not diff


def test_every_aggregated_table_unchanged_on_the_small_twin(result):
    with open(TABLES, "rb") as f:
        before = pickle.load(f)
    now = result_tables(result)
    assert sorted(now) == sorted(before)
    for name, old in before.items():
        if isinstance(old, pd.Series):
            pd.testing.assert_series_equal(now[name], old, check_exact=True, obj=name)
        else:
            pd.testing.assert_frame_equal(now[name], old, check_exact=True, obj=name)


def _reference(ds, qualified_watch_s=5.0, attribution_window_s=3600.0):
    """The pandas reference of the event-level tables."""
    cols = list(F.EVENT_COLS)
    t = {
        "clicks": ds.table("clicks", [*cols, "watch_live_time"]),
        "negatives": ds.table("negatives", cols),
        "comments": ds.table("comments", cols),
        "likes": ds.table("likes", cols),
        "gifts": ds.table("gifts", [*cols, "gift_price"]),
    }
    b = F.build(*t.values(), qualified_watch_s=qualified_watch_s,
                attribution_window_s=attribution_window_s)  # fmt: skip
    rooms = ds.table("rooms", ["live_id", "live_content_category", "live_type"])
    ex, un = F.add_segments(b.exposures, rooms, ds.users)
    return b, F.add_positions(ex), un


@pytest.mark.parametrize("window", [3600.0, None, 0.0])
def test_event_tables_equal_the_pandas_reference(twin, window):
    b, ex_ref, un_ref = _reference(twin, 5.0, window)
    et = engine_tables(twin, qualified_watch_s=5.0, attribution_window_s=window)
    try:
        pd.testing.assert_frame_equal(et.exposures, ex_ref, check_exact=True)
        pd.testing.assert_frame_equal(et.clicks, b.clicks, check_exact=True)
        ct = engine_click_table(twin, qualified_watch_s=5.0, attribution_window_s=window)
        pd.testing.assert_frame_equal(ct, b.clicks, check_exact=True)
        pd.testing.assert_frame_equal(et.sessions, b.sessions, check_exact=True)
        pd.testing.assert_frame_equal(et.unmatched, un_ref, check_exact=True)
        # engagements: same rows, statuses and lags (the SQL names the click by its time)
        ref = b.engagements.copy()
        pos = ref["click_pos"].to_numpy()
        ref["click_ms"] = np.where(pos >= 0, b.clicks["ts_ms"].to_numpy()[np.maximum(pos, 0)], -1)
        ref = ref.drop(columns="click_pos")[et.engagements.columns]
        key = ["kind", "ts_ms", "user_id", "live_id", "status", "value"]
        a = et.engagements.sort_values(key, kind="stable").reset_index(drop=True)
        r = ref.sort_values(key, kind="stable").reset_index(drop=True)
        pd.testing.assert_frame_equal(a, r, check_exact=True)
        pd.testing.assert_frame_equal(
            F.engagement_status_table(et.engagements), F.engagement_status_table(b.engagements)
        )
    finally:
        et.close()


def test_kpis_from_engine_statistics_equal_kpis_from_the_frame(twin):
    et = engine_tables(twin, qualified_watch_s=5.0, attribution_window_s=3600.0)
    try:
        ex, st = et.exposures, et.stats
        iv = {"interval": "user", "n_boot": 30, "seed": 2}
        for by in (None, "hour", "age", "live_type", "user_decile", "exposure_index_cap"):
            pd.testing.assert_frame_equal(
                F.kpi_table(st, by=by, **iv), F.kpi_table(ex, by=by, **iv), check_exact=True
            )
            pd.testing.assert_frame_equal(
                F.funnel(st, by=by, **iv), F.funnel(ex, by=by, **iv), check_exact=True
            )
        pd.testing.assert_frame_equal(
            F.unit_funnels(st, et.sessions), F.unit_funnels(ex, et.sessions), check_exact=True
        )
        pd.testing.assert_frame_equal(
            F.user_bootstrap(st, n_boot=30), F.user_bootstrap(ex, n_boot=30), check_exact=True
        )
        pd.testing.assert_frame_equal(
            F.daily_kpis(st, **iv), F.daily_kpis(ex, **iv), check_exact=True
        )
    finally:
        et.close()


def test_tied_clicks_go_to_the_longest_watch_in_sql_and_pandas():
    """Clicks of one (user, live) in one millisecond: the engagement goes to the click with the
    largest watch time (then streamer id), whatever the row order."""
    ds = hand_dataset()
    # the tied clicks of user 1 on room 10 (3 s and 8 s), in the other row order
    ds.clicks = ds.clicks.iloc[[1, 0, 2, 3]].reset_index(drop=True)
    att = F.attribute(ds.clicks, ds.comments, ds.likes, ds.gifts, 3600)
    assert list(att["click_pos"]) == [0, -1, -1, 0, -1]
    et = engine_tables(ds, qualified_watch_s=5.0, attribution_window_s=3600.0)
    try:
        ct = et.clicks.set_index(["user_id", "live_id", "watch_ms"])
        assert ct.loc[(1, 10, 8000), "n_comments"] == 1 and ct.loc[(1, 10, 8000), "gift_value"] == 5
        assert ct.loc[(1, 10, 3000), "n_comments"] == 0 and ct.loc[(1, 10, 3000), "gift_value"] == 0
        # rows by kind, then time: user 2's comment (W + 1000) before user 1's (W + 1500)
        assert list(et.engagements["status"]) == [
            "before_click", "attributed", "late", "attributed", "no_click",
        ]  # fmt: skip
        assert list(et.engagements["lag_ms"]) == [-1, 500, -1, 0, -1]
        assert list(et.engagements["click_ms"]) == [-1, W + 1000, -1, W + 1000, -1]
    finally:
        et.close()


def test_materialised_table_is_dropped(twin):
    et = engine_tables(twin, qualified_watch_s=5.0, attribution_window_s=3600.0)
    folder = et.folder
    assert folder.exists() and twin.engine.has("funnel_exposures")
    et.close()
    assert not folder.exists() and not twin.engine.has("funnel_exposures")


@pytest.mark.slow
def test_numbers_unchanged_on_spark(twin):
    """``--engine spark``: the same glued numbers as the pandas implementation gave."""
    import os
    import shutil

    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        if os.environ.get("CI"):
            pytest.fail("Java is missing in CI: make test should have installed it")
        pytest.skip("no Java: the Spark engine cannot start")
    pytest.importorskip("pyspark")
    from kuailive_analysis.dataset import load

    spark = load(twin.source.path, engine="spark")  # same cache, Spark views over it
    before = json.loads(NUMBERS.read_text())
    now = F.analyse(spark, **ANALYSE).numbers()
    assert {k: now[k] for k in before if not _same(before[k], now[k])} == {}


def test_slim_sessions_from_the_data_model_equal_the_funnel_sessions(twin):
    from kuailive_analysis.engine.queries import funnel as FQ
    from kuailive_analysis.funnel.engine import FLAG_COLUMNS

    full = twin.query(FQ.SESSIONS, qualified_ms=3000.0)
    slim = twin.query(FQ.SESSION_FLAGS, qualified_ms=3000.0)
    pd.testing.assert_frame_equal(slim, full[list(FLAG_COLUMNS)], check_exact=True)
