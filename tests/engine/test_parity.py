"""Every definition of :mod:`kuailive_analysis.engine.queries` gives the same result on DuckDB
and on Spark (local mode) over a small twin: exact for integers and strings, a relative
tolerance of 1e-9 for floats (a literal like 3600000.0 is DECIMAL in Spark: divide by DOUBLE). Also the SQL layer itself: parameters become literals, unknown or
missing parameters are errors, every query renders for Spark.

Spark needs Java 17+: without it these tests are skipped locally and fail in CI (``$CI`` set),
as ``make test`` installs Debian's JRE when it is missing.
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import pandas as pd
import pytest

from kuailive_analysis.engine import get_engine, render
from kuailive_analysis.engine.queries import ALL
from kuailive_analysis.engine.sql import Query

NEEDS_JAVA = shutil.which("java") is None and not os.environ.get("JAVA_HOME")


def _spark_or_skip():
    if NEEDS_JAVA:
        if os.environ.get("CI"):
            pytest.fail("Java is missing in CI: make test should have installed it")
        pytest.skip("no Java: the Spark engine cannot start")
    pytest.importorskip("pyspark")
    return get_engine("spark", master="local[2]")


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A small twin, loaded (cleaned, cached) once for the module."""
    from kuailive_analysis.dataset import load
    from kuailive_analysis.twin import generate

    root = tmp_path_factory.mktemp("parity")
    data = root / "twin"
    generate(data, scale=0.01, seed=3)
    old = os.environ.get("KUAILIVE_BUILD_DIR")
    os.environ["KUAILIVE_BUILD_DIR"] = str(root / "build")
    try:
        ds = load(data, engine="duckdb")
    finally:
        if old is None:
            os.environ.pop("KUAILIVE_BUILD_DIR", None)
        else:
            os.environ["KUAILIVE_BUILD_DIR"] = old
    return ds


@pytest.fixture(scope="module")
def engines(cache):
    duck = cache.engine
    spark = _spark_or_skip()
    for name, paths in duck.tables.items():
        if paths:
            spark.register(name, paths)
    return duck, spark


def _canonical(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(str)
        if pd.api.types.is_bool_dtype(out[c]):
            out[c] = out[c].astype(bool)
        elif pd.api.types.is_integer_dtype(out[c]):
            out[c] = out[c].astype("int64")
        elif pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].astype("float64")
    return out.sort_values(list(out.columns), kind="stable").reset_index(drop=True)


def assert_same(a: pd.DataFrame, b: pd.DataFrame, name: str) -> None:
    assert list(a.columns) == list(b.columns), f"{name}: columns differ"
    assert len(a) == len(b), f"{name}: {len(a)} rows on DuckDB, {len(b)} on Spark"
    a, b = _canonical(a), _canonical(b)
    for c in a.columns:
        x, y = a[c], b[c]
        if pd.api.types.is_float_dtype(x):
            np.testing.assert_allclose(
                x.to_numpy(),
                y.to_numpy(),
                rtol=1e-9,
                atol=1e-12,
                equal_nan=True,
                err_msg=f"{name}.{c}",
            )
        else:
            assert (x.astype(str).to_numpy() == y.astype(str).to_numpy()).all(), f"{name}.{c}"


# -- the SQL layer ---------------------------------------------------------------------------
Q = Query("t", "SELECT user_id FROM clicks WHERE day < :d AND note = :s", ("clicks",), "test")


def test_parameters_become_literals_and_quotes_cannot_escape():
    sql = render(Q, d=3, s="x' OR '1'='1")
    assert "day < 3" in sql
    assert "'x'' OR ''1''=''1'" in sql  # one string literal, quotes doubled


def test_missing_and_unknown_parameters_are_errors_naming_the_query():
    with pytest.raises(TypeError, match="query 't' needs parameter"):
        render(Q, d=3)
    with pytest.raises(TypeError, match="has no parameter"):
        render(Q, d=3, s="a", nope=1)


@pytest.mark.parametrize("name", sorted(ALL))
def test_every_query_renders_for_spark(name):
    assert render(ALL[name], "spark")


def test_query_names_are_unique_and_documented():
    for name, q in ALL.items():
        assert q.name == name and q.doc.strip() and q.inputs


# -- parity ----------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.spark
@pytest.mark.parametrize("name", sorted(ALL))
def test_duckdb_and_spark_agree(engines, name):
    duck, spark = engines
    q = ALL[name]
    if any(t not in duck.tables for t in q.inputs):
        pytest.skip(f"{name} reads {q.inputs}: not contract tables (covered by its own tests)")
    assert_same(duck.frame(q), spark.frame(q), name)
