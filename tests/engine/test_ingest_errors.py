"""Bad input stops the cache build with the reader's one-line error (file, column, line,
value), word for word what ``read_table`` and ``kuailive validate`` say; nothing is left in
the staging folder. Spark builds the same cache as DuckDB, with the same errors."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from _tiny import quirk_frames, write_tiny

from kuailive_analysis.data import cache, io
from kuailive_analysis.data.params import CleaningParams
from kuailive_analysis.engine.duckdb_engine import DuckDBEngine
from kuailive_analysis.engine.ingest import build_cache, validate_folder


def _set_field(folder: Path, filename: str, line: int, column: str, value: str) -> None:
    lines = (folder / filename).read_text().split("\n")
    header = lines[0].split(",")
    fields = lines[line - 1].split(",")
    fields[header.index(column)] = value
    lines[line - 1] = ",".join(fields)
    (folder / filename).write_text("\n".join(lines))


def _ingest_error(folder: Path, tmp_path: Path, name: str) -> io.DataError:
    with pytest.raises(io.DataError) as ei, DuckDBEngine(temp_dir=tmp_path / "t") as eng:
        build_cache(folder, CleaningParams(), tmp_path / "e" / "c", engine=eng)
    with pytest.raises(io.DataError) as ref:
        io.read_table(folder, name)
    with pytest.raises(io.DataError) as val:
        validate_folder(folder)
    assert str(ei.value) == str(ref.value) == str(val.value)  # one reader, one message
    assert "\n" not in str(ei.value)
    assert not list((tmp_path / "e").glob("staging*"))
    return ei.value


@pytest.fixture
def tiny(tmp_path) -> Path:
    return write_tiny(tmp_path / "data")


def test_non_integer_id(tiny, tmp_path):
    _set_field(tiny, "click.csv", 4, "live_id", "abc")
    e = _ingest_error(tiny, tmp_path, "click")
    assert e.file == "click.csv" and e.column == "live_id" and e.row == 4
    assert "'abc'" in str(e) and "line 4" in str(e)


def test_empty_id(tiny, tmp_path):
    _set_field(tiny, "comment.csv", 3, "user_id", "")
    e = _ingest_error(tiny, tmp_path, "comment")
    assert e.file == "comment.csv" and e.column == "user_id" and e.row == 3
    assert "1 empty value(s), first on line 3" in str(e)


def test_seconds_timestamp(tiny, tmp_path):
    _set_field(tiny, "room.csv", 5, "start_timestamp", "1746378000")
    e = _ingest_error(tiny, tmp_path, "room")
    assert e.file == "room.csv" and e.column == "start_timestamp" and e.row == 5
    assert "milliseconds" in str(e)


def test_negative_watch_time(tiny, tmp_path):
    _set_field(tiny, "click.csv", 7, "watch_live_time", "-5")
    e = _ingest_error(tiny, tmp_path, "click")
    assert e.file == "click.csv" and e.column == "watch_live_time" and e.row == 7
    assert "negative watch time -5" in str(e)


def test_too_wide_for_the_column(tiny, tmp_path):
    _set_field(tiny, "room.csv", 3, "live_type", "40000")
    e = _ingest_error(tiny, tmp_path, "room")
    assert e.column == "live_type" and e.row == 3 and "does not fit int16" in str(e)


def test_error_line_in_a_later_batch(tmp_path, monkeypatch):
    """Lines (and the count of empty values) run across the streamed batches (small blocks
    force many)."""
    frames = quirk_frames()
    frames["negative"] = frames["negative"].sample(3000, replace=True, random_state=1)
    d = write_tiny(tmp_path / "big", frames)
    n = len(frames["negative"]) + 1
    _set_field(d, "negative.csv", n - 3, "timestamp", "1746378000")
    monkeypatch.setattr(io, "BLOCK_SIZE", 1 << 12)
    e = _ingest_error(d, tmp_path, "negative")
    assert e.file == "negative.csv" and e.column == "timestamp" and e.row == n - 3
    d2 = write_tiny(tmp_path / "big2", frames)
    _set_field(d2, "negative.csv", 300, "user_id", "")
    _set_field(d2, "negative.csv", n - 1, "user_id", "")
    e = _ingest_error(d2, tmp_path / "2", "negative")
    assert "2 empty value(s), first on line 300" in str(e)


def test_truncated_last_line(tiny, tmp_path):
    text = (tiny / "gift.csv").read_text()
    (tiny / "gift.csv").write_text(text.rstrip("\n")[:-1])
    e = _ingest_error(tiny, tmp_path, "gift")
    assert "truncated" in str(e) and e.file == "gift.csv"


# ---------------------------------------------------------------------------------------------
# Spark
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def spark_engine():
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        if os.environ.get("CI"):
            pytest.fail("CI must run the Spark tests: Java is missing")
        pytest.skip("Spark needs Java (none on PATH)")
    try:
        import pyspark  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("CI must run the Spark tests: pyspark is missing")
        pytest.skip("pyspark is not installed")
    from kuailive_analysis.engine.spark_engine import SparkEngine

    return SparkEngine()


def _same_cache(a: Path, b: Path) -> None:
    import pandas as pd
    import pyarrow.parquet as pq

    assert cache.tables_in(a) == cache.tables_in(b)
    for name in cache.tables_in(a):
        pd.testing.assert_frame_equal(cache.read_table(a, name), cache.read_table(b, name))
        assert (
            pq.read_schema(a / f"{name}.parquet").types
            == pq.read_schema(b / f"{name}.parquet").types
        ), name


@pytest.mark.slow
@pytest.mark.spark
@pytest.mark.parametrize("kwargs", [{}, {"streamer_mismatch": "fix", "long_rooms": "drop"}])
def test_spark_builds_the_same_cache(spark_engine, tmp_path, kwargs):
    d = write_tiny(tmp_path / "quirks", quirk_frames())
    params = CleaningParams(**kwargs)
    with DuckDBEngine(temp_dir=tmp_path / "t") as eng:
        res_d = build_cache(d, params, tmp_path / "d" / "cache", engine=eng)
    res_s = build_cache(d, params, tmp_path / "s" / "cache", engine=spark_engine)
    _same_cache(tmp_path / "d" / "cache", tmp_path / "s" / "cache")
    assert res_s["samples"] == res_d["samples"] and res_s["rows"] == res_d["rows"]
    assert not list((tmp_path / "s").glob("staging*"))


@pytest.mark.slow
@pytest.mark.spark
def test_spark_bad_value_names_file_column_and_line(spark_engine, tiny, tmp_path):
    _set_field(tiny, "click.csv", 7, "watch_live_time", "-5")
    with pytest.raises(io.DataError) as ei:
        build_cache(tiny, CleaningParams(), tmp_path / "s" / "c", engine=spark_engine)
    with pytest.raises(io.DataError) as ref:
        io.read_table(tiny, "click")
    assert str(ei.value) == str(ref.value)
    assert ei.value.file == "click.csv" and ei.value.column == "watch_live_time"
    assert ei.value.row == 7
