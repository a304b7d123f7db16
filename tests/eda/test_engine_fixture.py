"""Chapter 2 on the event engine gives what the pandas implementation gave before issue 16.

The reference results (``tests/data/eda_*_scale0.01_seed3.*``, see
:mod:`tests.eda.make_eda_fixture`) were written by the pandas implementation, before the
aggregations moved into SQL (:mod:`kuailive_analysis.engine.queries.eda`). Here the same small
twin is generated again and the SQL definitions, run on the dataset's engine, and
``eda.analyse(ds)`` must give the same glued numbers (exactly, with their types) and the same
aggregated tables: the same values, exactly, except the mean room duration, which pandas summed
in float32 and the engine averages in double precision (compared to a float32 rounding step).
Tables are compared by value: the activity tables now come as the engine returns them (the id a
column, not the index), duration groups are labelled with plain text (not a categorical).
"""

from __future__ import annotations

import gzip
import json
import math
import pickle

import numpy as np
import pandas as pd
import pytest

from kuailive_analysis import eda
from kuailive_analysis.eda.returns import interval_counts, interval_histogram

from . import make_eda_fixture as fx

FLOAT32_MEANS = ("durations", "rooms.shop")
"""Tables whose float32 ``mean`` (the mean room duration) is compared to a float32 rounding step."""


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
        return fx.dataset(tmp_path_factory.mktemp("eda_engine"))
    finally:
        if old is None:
            os.environ.pop("KUAILIVE_BUILD_DIR", None)
        else:
            os.environ["KUAILIVE_BUILD_DIR"] = old


@pytest.fixture(scope="module")
def result(twin):
    return eda.analyse(twin)


def _values(x):
    """A table with its ids as the index and every label as text (the representation the
    comparison ignores)."""
    if isinstance(x, pd.DataFrame):
        key = [c for c in ("streamer_id", "user_id") if c in x.columns]
        x = x.set_index(key) if key else x
        if isinstance(x.index, pd.MultiIndex):
            x.index = pd.MultiIndex.from_arrays(
                [
                    lvl.astype(str)
                    for lvl in (x.index.get_level_values(i) for i in range(x.index.nlevels))
                ],
                names=x.index.names,
            )
        elif isinstance(x.index.dtype, pd.CategoricalDtype) or x.index.dtype == object:
            x.index = x.index.astype(str)
    return x


def _same(a, b, name: str) -> None:
    a, b = _values(a), _values(b)
    if isinstance(b, pd.Series):
        pd.testing.assert_series_equal(a, b, check_exact=True, obj=name)
        return
    if any(k in name for k in FLOAT32_MEANS):
        a, b = a.sort_index(), b.sort_index()
        np.testing.assert_allclose(a["mean"], b["mean"], rtol=2.5e-7, err_msg=name)
        a, b = a.drop(columns="mean"), b.drop(columns="mean")
    pd.testing.assert_frame_equal(
        a, b, check_exact=True, check_dtype=False, check_index_type=False, obj=name
    )


def _same_value(a, b) -> bool:
    if isinstance(b, float) and math.isnan(b):
        return isinstance(a, float) and math.isnan(a)
    return type(a) is type(b) and a == b


def test_numbers_equal_the_reference(result, reference):
    numbers, _ = reference
    got = json.loads(json.dumps(result.numbers(), sort_keys=True))
    assert sorted(got) == sorted(numbers)
    diff = {k: (got[k], numbers[k]) for k in numbers if not _same_value(got[k], numbers[k])}
    assert not diff, diff


def test_aggregations_equal_the_reference(twin, reference):
    _, tables = reference
    got = fx.function_tables(twin)
    assert set(got) <= set(tables) and len(got) >= 14
    for name, frame in got.items():
        _same(frame, tables[name], name)


def test_result_tables_equal_the_reference(result, reference):
    _, tables = reference
    got = fx.result_tables(result)
    assert len(got) >= 30
    for name, frame in got.items():
        _same(frame, tables[f"result.{name}"], name)


def test_revisit_intervals_equal_those_of_the_reference_visits(twin, reference):
    """The visits table the pandas implementation wrote (one row per (user, streamer, room),
    with the hours since the pair's previous visit) against the one SQL definition RETURNS."""
    visits = reference[1]["visits"]
    gaps = visits["gap_h"].dropna().to_numpy()
    rows = eda.returns_rows(twin)
    assert int(rows["n_visits"].iloc[0]) == len(visits)
    assert int(rows["n_repeat"].iloc[0]) == int((visits["visit_no"] > 1).sum())
    assert int(rows["n_intervals"].iloc[0]) == len(gaps)
    assert float(rows["median_h"].iloc[0]) == pytest.approx(np.median(gaps), rel=1e-12)
    hist = interval_histogram(interval_counts(rows), len(gaps), 168.0)
    ref, _ = np.histogram(gaps[gaps < 168], bins=np.arange(0.0, 168.5, 1.0))
    assert hist["count"].tolist() == ref.tolist()
