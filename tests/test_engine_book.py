"""``kuailive book --engine spark`` gives the same glued numbers as the default DuckDB engine.

Every chapter's ``analyse(...).numbers()`` (exactly what the chapter glues into its prose) is
computed on a small twin twice: once with ``engine="duckdb"`` and once with ``engine="spark"``
(local mode), each with its own build folder, so Spark also builds its own Parquet cache from
the raw CSV files (ingestion, validation, cleaning and the data model run on Spark). The
numbers must be identical: exact for integers and strings, 1e-9 relative for floats.

Spark needs Java 17+: skipped locally without it, a failure in CI (``$CI``), where ``make test``
installs Debian's JRE.
"""

from __future__ import annotations

import math
import os
import shutil

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.spark]


def _need_spark():
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        if os.environ.get("CI"):
            pytest.fail("Java is missing in CI: make test should have installed it")
        pytest.skip("no Java: the Spark engine cannot start")
    pytest.importorskip("pyspark")


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    from kuailive_analysis.twin import generate

    path = tmp_path_factory.mktemp("engine_book") / "twin"
    generate(path, scale=0.02, seed=5)
    return path


def _numbers(twin, engine: str, build) -> dict[str, dict]:
    from kuailive_analysis import cleaning, eda, fidelity, funnel, ltv, retention
    from kuailive_analysis.dataset import load

    old = os.environ.get("KUAILIVE_BUILD_DIR")
    os.environ["KUAILIVE_BUILD_DIR"] = str(build)
    try:
        ds = load(twin, engine=engine)
        return {
            "01_cleaning": cleaning.analyse(ds).numbers(),
            "02_eda": eda.analyse(ds).numbers(),
            "03_retention": retention.analyse(ds).numbers(),
            "04_ltv": ltv.analyse(ds).numbers(),
            "05_funnel_ctr": funnel.analyse(ds, n_boot=20).numbers(),
            "06_fidelity": fidelity.analyse(ds).numbers(),
        }
    finally:
        if old is None:
            os.environ.pop("KUAILIVE_BUILD_DIR", None)
        else:
            os.environ["KUAILIVE_BUILD_DIR"] = old


TIMINGS = ("time_",)
"""Glued run times (e.g. chapter 4's ``time_bg_fit_ms``): measured, not computed from data."""


def _same(a, b) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):  # a glued (value, format) pair
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            if math.isnan(a) and math.isnan(b):
                return True
            return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def test_spark_gives_the_same_glued_numbers_as_duckdb(twin, tmp_path):
    _need_spark()
    duck = _numbers(twin, "duckdb", tmp_path / "build-duckdb")
    spark = _numbers(twin, "spark", tmp_path / "build-spark")
    for chapter, values in duck.items():
        other = spark[chapter]
        assert values.keys() == other.keys(), chapter
        differ = {
            k: (v, other[k])
            for k, v in values.items()
            if not k.startswith(TIMINGS) and not _same(v, other[k])
        }
        assert not differ, f"{chapter}: numbers differ between DuckDB and Spark: {differ}"
