"""Engine ingestion (issue 16): ``engine.ingest.build_cache`` writes the same cache tables as
the pandas path (``dataset.build_tables`` over ``io.read_tables``), table by table, for every
cleaning mode, on a small twin, on a copy of it with adversarial rows planted so that every
rule fires, and on the hand-made tiny folder; bad input gives the same precise DataError
(file, column, line); Spark builds the same cache as DuckDB."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from _tiny import write_tiny

from kuailive_analysis import dataset
from kuailive_analysis.core.calendar import CAPPED_END_MS, MS_PER_DAY, WINDOW_END_MS
from kuailive_analysis.data import cache, clean as CL, io, schema as S
from kuailive_analysis.engine import ingest
from kuailive_analysis.engine.duckdb_engine import DuckDBEngine

ALL_TABLES = (*dataset.TABLES, *dataset.EXTRA_TABLES)


@pytest.fixture(scope="module")
def twin(tmp_path_factory) -> Path:
    from kuailive_analysis.twin import generate

    out = tmp_path_factory.mktemp("ingest") / "twin"
    return Path(generate(out, scale=0.01, seed=1, progress=False))


@pytest.fixture(scope="module")
def adversarial(twin, tmp_path_factory) -> Path:
    """A copy of the twin with rows planted so that every cleaning rule fires."""
    d = tmp_path_factory.mktemp("ingest") / "adversarial"
    shutil.copytree(twin, d)
    rng = np.random.default_rng(3)
    room = pd.read_csv(d / "room.csv", keep_default_na=False, dtype={"live_content_category": str})
    r0 = room.iloc[:4].copy()
    # a room on three p_dates with conflicting titles (-1, 7, 9), starts and streamers
    dup = pd.concat([r0.iloc[[0]]] * 3, ignore_index=True)
    dup["p_date"] = [20250510, 20250511, 20250511]
    dup["live_name_id"] = [7, -1, 9]
    dup["start_timestamp"] += [0, 60_000, 0]
    dup["streamer_id"] = [dup["streamer_id"].iloc[0], 1, dup["streamer_id"].iloc[0]]
    # a censored end, a long room, a room without category
    extra = r0.iloc[1:4].copy()
    extra["end_timestamp"] = [CAPPED_END_MS + 1, 0, 0]
    extra.iloc[1, extra.columns.get_loc("end_timestamp")] = (
        extra["start_timestamp"].iloc[1] + 3 * MS_PER_DAY
    )
    extra.iloc[2, extra.columns.get_loc("end_timestamp")] = extra["start_timestamp"].iloc[2] + 1
    extra.iloc[2, extra.columns.get_loc("live_content_category")] = ""
    room = pd.concat([room, dup, extra], ignore_index=True)
    room = room.iloc[rng.permutation(len(room))]
    room.to_csv(d / "room.csv", index=False)
    long_live = int(extra["live_id"].iloc[1])
    users = pd.read_csv(d / "user.csv", usecols=["user_id"])["user_id"]
    for name in S.EVENT_TABLES:
        ev = pd.read_csv(d / f"{name}.csv")
        k = len(ev)
        pick = ev.iloc[rng.integers(0, k, 6)].copy()
        planted = [ev.iloc[rng.integers(0, k, 3)]]  # exact duplicates
        out = pick.iloc[[0]].assign(timestamp=S.WINDOW_START_MS - 5_000)  # before the window
        late = pick.iloc[[1]].assign(timestamp=WINDOW_END_MS + 5)  # after it
        orphan_live = pick.iloc[[2]].assign(live_id=10_000_000)
        orphan_user = pick.iloc[[3]].assign(user_id=int(users.max()) + 50)
        unknown_streamer = pick.iloc[[4]].assign(streamer_id=9_999_999)  # also a mismatch
        in_long = pick.iloc[[5]].assign(live_id=long_live)
        # a mismatch that 'fix' turns into a copy of the next row; and a timestamp tie
        twin_row = ev.iloc[[k // 2]]
        wrong = twin_row.assign(streamer_id=int(twin_row["streamer_id"].iloc[0]) + 1)
        tie = ev.iloc[[k // 3]].assign(live_id=int(ev["live_id"].iloc[k // 4]))
        planted += [
            out,
            late,
            orphan_live,
            orphan_user,
            unknown_streamer,
            in_long,
            wrong,
            twin_row,
            tie,
            tie.assign(user_id=int(tie["user_id"].iloc[0]) + 1),
        ]
        ev = pd.concat([ev, *planted], ignore_index=True)
        ev = ev.iloc[rng.permutation(len(ev))]
        ev.to_csv(d / f"{name}.csv", index=False)
    return d


def _pandas_cache(data_dir: Path, params: CL.CleaningParams, path: Path) -> tuple[Path, dict]:
    tables, samples = dataset.build_tables(io.read_tables(data_dir), params)
    cache.write(path, tables, {})
    return path, samples


def _engine(tmp_path) -> DuckDBEngine:
    return DuckDBEngine(temp_dir=tmp_path / "duckdb-tmp")


def _assert_same(a: Path, b: Path) -> None:
    for name in ALL_TABLES:
        left, right = cache.read_table(a, name), cache.read_table(b, name)
        try:
            pd.testing.assert_frame_equal(left, right)
        except AssertionError as exc:
            raise AssertionError(f"table {name}: {exc}") from None
        assert (
            pq.read_schema(a / f"{name}.parquet").types
            == pq.read_schema(b / f"{name}.parquet").types
        ), name


def _compare(data_dir: Path, tmp_path: Path, **kwargs) -> dict:
    params = CL.CleaningParams(**kwargs)
    ref, samples = _pandas_cache(data_dir, params, tmp_path / "pandas")
    out = tmp_path / "builds" / "engine"
    with _engine(tmp_path) as eng:
        res = ingest.build_cache(data_dir, params, out, engine=eng)
    _assert_same(ref, out)
    assert res["samples"] == samples
    assert not list((tmp_path / "builds").glob("staging-*"))  # staging removed
    return res


def test_default_params_on_twin(twin, tmp_path):
    res = _compare(twin, tmp_path)
    assert res["rows"]["clicks"] > 1000 and res["engine"]["engine"] == "duckdb"


def test_tiny_folder_known_answers(tmp_path):
    d = write_tiny(tmp_path / "tiny")
    _compare(d, tmp_path)
    report = cache.read_table(tmp_path / "builds" / "engine", "report")
    clicks = report[report["table"] == "click"]
    # five clean clicks, plus the flagged copy (c2) and the flagged click in the long room (c4)
    assert clicks["rows_out"].iloc[-1] == 5 + 2


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"drop_duplicate_events": True},
        {"long_rooms": "drop"},
        {"streamer_mismatch": "fix"},
        {"streamer_mismatch": "drop"},
        {"max_room_days": None},
        {"drop_orphans": False, "drop_outside_window": False, "room_name_rule": "first"},
        {
            "max_room_days": 0.3,
            "long_rooms": "drop",
            "drop_duplicate_events": True,
            "streamer_mismatch": "fix",
        },
    ],
    ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()) or "default",
)
def test_modes_on_adversarial_rows(adversarial, tmp_path, kwargs):
    _compare(adversarial, tmp_path, **kwargs)


def test_every_rule_fires_on_adversarial_rows(adversarial, tmp_path):
    params = CL.CleaningParams(streamer_mismatch="fix")
    with _engine(tmp_path) as eng:
        ingest.build_cache(adversarial, params, tmp_path / "o" / "c", engine=eng)
    rep = cache.read_table(tmp_path / "o" / "c", "report")
    hit = rep["rows_dropped"] + rep["rows_flagged"]
    for rule in (
        "duplicate_rooms",
        "censored_room_end",
        "long_rooms",
        "events_outside_window",
        "duplicate_events",
        "orphan_events",
        "streamer_mismatch",
    ):
        assert (hit[rep["rule"] == rule] > 0).all() or rule == "long_rooms", rule
    ev = rep[rep["table"] == "click"].set_index("rule")
    assert ev.loc["long_rooms", "rows_flagged"] >= 1
    assert ev.loc["streamer_mismatch", "rows_dropped"] >= 1  # the fix made a copy
    clicks = cache.read_table(tmp_path / "o" / "c", "clicks")
    assert clicks["flag_duplicate"].any() and clicks["flag_long_room"].any()


def test_progress_bar_on_stderr(twin, tmp_path, capsys):
    with _engine(tmp_path) as eng:
        ingest.build_cache(
            twin, CL.CleaningParams(), tmp_path / "p" / "c", engine=eng, progress=True
        )
    assert "ingest" in capsys.readouterr().err


def test_target_schemas_match_pandas_cache(twin, tmp_path):
    ref, _ = _pandas_cache(twin, CL.CleaningParams(), tmp_path / "pandas")
    for table, fields in ingest.TARGETS.items():
        schema = pq.read_schema(ref / f"{table}.parquet")
        assert schema.names == [n for n, _ in fields], table
        for (name, typ), got in zip(fields, schema.types):
            if typ == ingest.CATEGORY:
                assert str(got).startswith("dictionary<values=string"), name
            else:
                assert got == typ, (table, name)


# ---------------------------------------------------------------------------------------------
# Bad input: the same precise errors as io.read_table
# ---------------------------------------------------------------------------------------------
def _set_field(folder: Path, filename: str, line: int, column: str, value: str) -> None:
    lines = (folder / filename).read_text().split("\n")
    header = lines[0].split(",")
    fields = lines[line - 1].split(",")
    fields[header.index(column)] = value
    lines[line - 1] = ",".join(fields)
    (folder / filename).write_text("\n".join(lines))


def _ingest_error(folder: Path, tmp_path: Path) -> io.DataError:
    with pytest.raises(io.DataError) as ei, _engine(tmp_path) as eng:
        ingest.build_cache(folder, CL.CleaningParams(), tmp_path / "e" / "c", engine=eng)
    with pytest.raises(io.DataError) as ref:
        io.read_tables(folder)
    assert str(ei.value) == str(ref.value)  # word for word what the pandas path says
    assert "\n" not in str(ei.value)
    assert not list((tmp_path / "e").glob("staging-*"))
    return ei.value


@pytest.fixture
def tiny(tmp_path) -> Path:
    return write_tiny(tmp_path / "data")


def test_non_integer_id(tiny, tmp_path):
    _set_field(tiny, "click.csv", 4, "live_id", "abc")
    e = _ingest_error(tiny, tmp_path)
    assert e.file == "click.csv" and e.column == "live_id" and e.row == 4
    assert "'abc'" in str(e) and "line 4" in str(e)


def test_empty_id(tiny, tmp_path):
    _set_field(tiny, "comment.csv", 3, "user_id", "")
    e = _ingest_error(tiny, tmp_path)
    assert e.file == "comment.csv" and e.column == "user_id" and e.row == 3
    assert "empty" in str(e) and "line 3" in str(e)


def test_seconds_timestamp(tiny, tmp_path):
    _set_field(tiny, "room.csv", 5, "start_timestamp", "1746378000")
    e = _ingest_error(tiny, tmp_path)
    assert e.file == "room.csv" and e.column == "start_timestamp" and e.row == 5
    assert "milliseconds" in str(e)


def test_negative_watch_time(tiny, tmp_path):
    _set_field(tiny, "click.csv", 7, "watch_live_time", "-5")
    e = _ingest_error(tiny, tmp_path)
    assert e.file == "click.csv" and e.column == "watch_live_time" and e.row == 7
    assert "negative watch time -5" in str(e)


def test_error_line_in_a_later_batch(twin, tmp_path, monkeypatch):
    """Lines are counted across the streamed batches (small blocks force many)."""
    d = tmp_path / "big"
    shutil.copytree(twin, d)
    n = sum(1 for _ in open(d / "negative.csv"))
    _set_field(d, "negative.csv", n - 3, "timestamp", "1746378000")
    monkeypatch.setattr(ingest, "BLOCK_SIZE", 1 << 16)
    e = _ingest_error(d, tmp_path)
    assert e.file == "negative.csv" and e.column == "timestamp" and e.row == n - 3


def test_truncated_last_line(tiny, tmp_path):
    text = (tiny / "gift.csv").read_text()
    (tiny / "gift.csv").write_text(text.rstrip("\n")[:-1])
    e = _ingest_error(tiny, tmp_path)
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


def test_spark_builds_the_same_cache(spark_engine, twin, tmp_path):
    params = CL.CleaningParams()
    duck = tmp_path / "d" / "cache"
    with _engine(tmp_path) as eng:
        res_d = ingest.build_cache(twin, params, duck, engine=eng)
    spark = tmp_path / "s" / "cache"
    res_s = ingest.build_cache(twin, params, spark, engine=spark_engine)
    _assert_same(duck, spark)
    assert res_s["samples"] == res_d["samples"] and res_s["rows"] == res_d["rows"]
    assert not list((tmp_path / "s").glob("staging-*"))


def test_spark_bad_value_names_file_and_column(spark_engine, tiny, tmp_path):
    _set_field(tiny, "click.csv", 7, "watch_live_time", "-5")
    with pytest.raises(io.DataError) as ei:
        ingest.build_cache(tiny, CL.CleaningParams(), tmp_path / "s" / "c", engine=spark_engine)
    msg = str(ei.value)
    assert "click.csv" in msg and "'watch_live_time'" in msg and "-5" in msg
    assert ei.value.file == "click.csv" and ei.value.column == "watch_live_time"
