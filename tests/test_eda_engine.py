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
