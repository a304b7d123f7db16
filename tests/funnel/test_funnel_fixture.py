"""Chapter 5 unchanged: ``analyse(ds).numbers()`` and every aggregated table of the result equal
the values the pandas implementation produced before the funnel moved into the engine
(``tests/data/funnel_*_scale0.01_seed3.*``, written by ``make_funnel_fixture.py`` on that code),
with DuckDB and, when Java is installed, with Spark."""

from __future__ import annotations

import json
import math
import os
import pickle
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

from kuailive_analysis import funnel as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_funnel_fixture import ANALYSE, NUMBERS, TABLES, dataset, result_tables  # noqa: E402


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    return dataset(tmp_path_factory.mktemp("funnel_fixture"))


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
    # predict.tasks.MAX_TEST_ROWS, so every test row is scored
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


def test_materialised_table_is_dropped(twin):
    from kuailive_analysis.funnel.engine import engine_tables

    et = engine_tables(twin, qualified_watch_s=5.0, attribution_window_s=3600.0)
    folder = et.folder
    assert folder.exists() and twin.engine.has("funnel_exposures")
    et.close()
    assert not folder.exists() and not twin.engine.has("funnel_exposures")


@pytest.mark.slow
def test_numbers_unchanged_on_spark(twin):
    """``--engine spark``: the same glued numbers as the pandas implementation gave."""
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
