"""Chapter 2 on the event engine (issue 16) gives exactly what the pandas implementation gave.

The reference results (``tests/data/eda_*_scale0.01_seed3.*``) were written by
``tests/make_eda_fixture.py`` with the pandas implementation, before the aggregations moved into
SQL (:mod:`kuailive_analysis.engine.queries.eda`). Here the same small twin is generated again
and:

* every pandas function of :mod:`kuailive_analysis.eda` (now a thin wrapper running the SQL
  definition on an in-memory DuckDB over the frames it is given) returns the same frame:
  index, columns, dtypes and values;
* ``eda.analyse(ds)`` (which runs the definitions on ``ds.engine`` over the Parquet cache)
  returns the same glued numbers and the same aggregated tables.
"""

from __future__ import annotations

import gzip
import json
import math
import pickle
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import make_eda_fixture as fx  # noqa: E402


@pytest.fixture(scope="module")
def reference():
    with gzip.open(fx.TABLES, "rb") as f:
        tables = pickle.load(f)
    return json.loads(fx.NUMBERS.read_text()), tables


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    import os

    old = os.environ.get("KUAILIVE_BUILD_DIR")
    try:
        ds = fx.dataset(tmp_path_factory.mktemp("eda_engine"))
    finally:
        if old is None:
            os.environ.pop("KUAILIVE_BUILD_DIR", None)
        else:
            os.environ["KUAILIVE_BUILD_DIR"] = old
    return ds


@pytest.fixture(scope="module")
def result(twin):
    from kuailive_analysis import eda

    return eda.analyse(twin)


FLOAT32_MEANS = ("durations", "rooms.shop")
"""Tables whose ``mean`` column (float32, the mean room duration) is compared to one float32
rounding step: pandas summed the float32 durations in float32 (Kahan) in row order, the engine
averages them in double precision and rounds once, so the last float32 bit may differ. Every
other value (and the dtype of this one) is compared exactly."""


def _same(a, b, name: str) -> None:
    if isinstance(b, pd.Series):
        pd.testing.assert_series_equal(a, b, check_exact=True, obj=name)
    elif isinstance(b, pd.DataFrame):
        if any(k in name for k in FLOAT32_MEANS) and "mean" in b.columns:
            assert a["mean"].dtype == b["mean"].dtype, name
            np.testing.assert_allclose(a["mean"], b["mean"], rtol=2.5e-7, err_msg=name)
            a, b = a.drop(columns="mean"), b.drop(columns="mean")
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=name)
    else:
        assert a == b, name


def _same_value(a, b) -> bool:
    if isinstance(b, float) and math.isnan(b):
        return isinstance(a, float) and math.isnan(a)
    return type(a) is type(b) and a == b


def test_pandas_functions_equal_the_reference(twin, reference):
    _, tables = reference
    got = fx.function_tables(twin)
    assert set(got) <= set(tables)
    for name, frame in got.items():
        _same(frame, tables[name], name)


def test_numbers_equal_the_reference(result, reference):
    numbers, _ = reference
    got = json.loads(json.dumps(result.numbers(), sort_keys=True))
    assert sorted(got) == sorted(numbers)
    diff = {k: (got[k], numbers[k]) for k in numbers if not _same_value(got[k], numbers[k])}
    assert not diff, diff


def test_result_tables_equal_the_reference(result, reference):
    _, tables = reference
    got = fx.result_tables(result)
    for name, frame in got.items():
        _same(frame, tables[f"result.{name}"], name)
    assert result.uncertainty == tables["uncertainty"]


def _duration_reference(rooms, by="live_content_category", ended_only=True):
    """room_duration_summary as pandas computed it before issue 16 (the reference)."""
    from kuailive_analysis.core.calendar import WINDOW_END_MS, WINDOW_START_MS
    from kuailive_analysis.eda.profiles import MISSING_LABEL

    if by is None:
        rooms = rooms.assign(rooms="all")
        by = "rooms"
    by = [by] if isinstance(by, str) else list(by)
    r = rooms[[*by, "duration_min", "end_censored", "start_ms"]].copy()
    for c in by:
        col = r[c] if isinstance(r[c].dtype, pd.CategoricalDtype) else r[c].astype("category")
        col = col.cat.remove_unused_categories()
        col = col.cat.rename_categories([str(v) for v in col.cat.categories])
        if col.isna().any():
            col = col.cat.add_categories([MISSING_LABEL]).fillna(MISSING_LABEL)
        r[c] = col
    g_all = r.groupby(by, observed=True)
    n = g_all.size()
    cens = g_all["end_censored"].mean()
    keep = r["start_ms"].between(WINDOW_START_MS, WINDOW_END_MS - 1)
    if ended_only:
        keep &= ~r["end_censored"].astype(bool)
    g_kept = r.loc[keep].groupby(by, observed=True)["duration_min"]
    q = g_kept.quantile([0.25, 0.5, 0.75, 0.9]).unstack()
    q.columns = ["p25", "median", "p75", "p90"]
    out = pd.DataFrame({"n_rooms": n, "share_rooms": n / n.sum(), "share_censored": cens})
    out = out.join(q)
    out["mean"] = g_kept.mean()
    return out.sort_values("n_rooms", ascending=False)


@pytest.mark.parametrize("seed", range(12))
def test_room_durations_equal_pandas_on_random_rooms(seed):
    """Exact quantiles from the SQL bracket around quantile_cont, on rooms with many ties,
    missing categories, groups without a kept room and tiny groups."""
    from kuailive_analysis import eda
    from kuailive_analysis.core.calendar import WINDOW_START_MS

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    cats = np.array(["shop", "other", "game", None], dtype=object)
    start = WINDOW_START_MS + rng.integers(-3, 30, n) * 3_600_000
    dur = (
        rng.choice([0.0, 1.5, 2.0, 7.25, 30.0, 61.0, 300.0], n)
        if seed % 2
        else rng.gamma(1.0, 60.0, n)
    )
    rooms = pd.DataFrame(
        {
            "live_content_category": pd.Categorical(
                cats[rng.integers(0, 4 if seed % 3 else 3, n)], categories=["shop", "other", "game"]
            ),
            "live_type": rng.integers(1, 4, n).astype("int16"),
            "start_ms": start.astype("int64"),
            "duration_min": dur.astype("float32" if seed % 4 else "float64"),
            "end_censored": rng.random(n) < 0.2,
        }
    )
    for by in (None, "live_content_category", "live_type", ["live_type", "live_content_category"]):
        for ended_only in (True, False):
            got = eda.room_duration_summary(rooms, by, ended_only=ended_only)
            ref = _duration_reference(rooms, by, ended_only=ended_only)
            _same(got, ref, f"durations {by} {ended_only}")
