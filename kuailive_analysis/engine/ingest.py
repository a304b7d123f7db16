"""Ingestion on the event engine: raw KuaiLive CSVs -> the Parquet cache tables, without ever
holding a full event or room table in pandas.

:func:`build_cache` writes into a folder the same tables (names, columns, order, Arrow types,
rows and row order) as the pandas path (``dataset.build_tables`` over ``io.read_tables``, then
``cache.write``), and returns the ``samples`` for the cache's meta. Steps:

1. ``user.csv`` and ``streamer.csv`` (small) go through pandas as before
   (``io.read_table`` -> ``clean.dedupe_keys`` -> ``features.user_features`` /
   ``streamer_features``); the engine sees them as the views ``users`` / ``streamers``.
2. ``room.csv`` and the five event files are read and validated with bounded memory into a
   staging Parquet per file (``<out>/../staging.tmp-<pid>-*``, deleted at the end) with a 0-based ``_row``
   in file order, registered as ``raw_<name>``:

   * DuckDB: streamed with pyarrow (``pyarrow.csv.open_csv``, the convert options of
     ``io.read_table``), after the same whole-file checks (header, columns, final newline).
     Every batch is checked like ``io._convert_column`` (empty values, schema bounds, the
     integer width); a failing batch is handed to ``io._convert_column`` itself and its message
     gets the batch's line offset, so errors name the file, column, 1-based line and value as
     today (an empty-value error counts the empty values of the whole file, as today);
   * Spark: Spark reads the CSV itself with an explicit schema (``mode FAILFAST``) and one
     generated SQL check per file finds empty values and out-of-bound values; its error names
     the file, the column and the first offending value but **no line number** (a distributed
     read has no line numbers; run the DuckDB engine to get it). ``_row`` there is
     ``monotonically_increasing_id()``: it follows file order only when the file is read as
     one partition (files below ``spark.sql.files.maxPartitionBytes``, raised to 2 GB here);
     for larger files the ties of rule 5 (which copy is "first") and of the event order (same
     timestamp and user) may resolve differently from pandas.
3. Cleaning rules 1-8 (:mod:`.queries.cleaning`) and the data model (:mod:`.queries.model`)
   run as SQL; intermediate results (``stage_*``) are DuckDB temporary tables (DuckDB spills
   them to its temp folder beyond its memory limit) or, on Spark, Parquet parts in the staging
   folder. ``sessions`` is aggregated in user_id ranges of about
   :data:`SESSION_PIECE_EVENTS` events, so no aggregate grows with the data.
4. Every output table is written as one ``<table>.parquet`` with the exact Arrow schema of the
   pandas cache (:data:`TARGETS` and the dictionary of ``live_content_category``), streaming the
   engine's result (DuckDB: an Arrow reader; Spark: its part files, read back in order).
"""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from kuailive_analysis.core.calendar import format_ms
from kuailive_analysis.core.faults import excerpt
from kuailive_analysis.core.folders import owned_tmpdir
from kuailive_analysis.data import clean as CL, features as F, io as IO, schema as S
from kuailive_analysis.engine.base import Engine
from kuailive_analysis.engine.queries import cleaning as QC, model as QM

__all__ = ["build_cache", "TARGETS"]

TZ_MS = pa.timestamp("ms", tz=S.TZ)
BLOCK_SIZE = 16 << 20
"""Bytes of CSV per streamed batch (about 200 000 room rows)."""
BATCH_ROWS = 1 << 20
SESSION_PIECE_EVENTS = 4_000_000
"""Clean events per piece of the sessions aggregate (about 0.5 GB of DuckDB hash table)."""
PARQUET_OPTS = {"compression": "zstd", "row_group_size": 1 << 20}  # LZ4 is unreadable by Spark
"""As :func:`kuailive_analysis.data.cache.write`."""

CATEGORY = "category"
"""Placeholder type in :data:`TARGETS`: a dictionary column whose values are fixed per build."""


def _event_target(name: str) -> pa.Schema:
    extra = [(c.name, pa.int32()) for c in S.SCHEMAS[name].columns[4:]]
    return pa.schema(
        [
            ("user_id", pa.int32()),
            ("live_id", pa.int32()),
            ("streamer_id", pa.int32()),
            ("timestamp", TZ_MS),
            *extra,
            ("flag_duplicate", pa.bool_()),
            ("flag_long_room", pa.bool_()),
            ("ts_ms", pa.int64()),
            ("day", pa.int8()),
            ("hour", pa.int8()),
        ]
    )


_COUNT = pa.int32()
_RCOUNT = pa.int64()  # features.build_sessions counts with np.add.reduceat: int64
TARGETS: dict[str, list[tuple[str, object]]] = {
    **{
        QM.EVENT_ATTRS[n]: list(zip(_event_target(n).names, _event_target(n).types))
        for n in S.EVENT_TABLES
    },
    "rooms": [
        ("live_id", pa.int32()),
        ("streamer_id", pa.int32()),
        ("live_type", pa.int16()),
        ("start_timestamp", TZ_MS),
        ("end_timestamp", TZ_MS),
        ("start_ms", pa.int64()),
        ("end_ms", pa.int64()),
        ("live_content_category", CATEGORY),
        ("live_name_id", pa.int32()),
        ("p_date", pa.int32()),
        ("duration_min", pa.float32()),
        ("end_censored", pa.bool_()),
    ],
    "sessions": [
        ("user_id", pa.int32()),
        ("live_id", pa.int32()),
        ("streamer_id", pa.int32()),
        ("first_ms", pa.int64()),
        ("last_ms", pa.int64()),
        ("day", pa.int8()),
        ("n_clicks", _RCOUNT),
        ("watch_ms", pa.int64()),
        ("n_comments", _RCOUNT),
        ("n_likes", _RCOUNT),
        ("n_gifts", _RCOUNT),
        ("gift_value", pa.int64()),
        ("n_negatives", _RCOUNT),
        ("n_exposures", pa.int32()),
    ],
    "user_day": [
        ("user_id", pa.int32()),
        ("day", pa.int8()),
        ("n_clicks", _COUNT),
        ("watch_ms", pa.int64()),
        ("n_comments", _COUNT),
        ("n_likes", _COUNT),
        ("n_gifts", _COUNT),
        ("gift_value", pa.int64()),
        ("n_negatives", _COUNT),
        ("active", pa.bool_()),
    ],
}
"""The one declaration of the Arrow schema of every engine-built cache table (the types the
pandas path writes: ``pa.Table.from_pandas`` of the frames of ``dataset.build_tables``).
``CATEGORY``: dictionary<string> with the pandas code width (int8 below 127 values)."""


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------
def _index_type(n: int) -> pa.DataType:
    """pandas' code width for ``n`` categories (``coerce_indexer_dtype``)."""
    for bits, t in ((8, pa.int8()), (16, pa.int16()), (32, pa.int32())):
        if n < 2 ** (bits - 1) - 1:
            return t
    return pa.int64()


def _schema(table: str, categories: dict[str, list[str]]) -> pa.Schema:
    fields = []
    for name, typ in TARGETS[table]:
        if typ == CATEGORY:
            typ = pa.dictionary(_index_type(len(categories[name])), pa.string())
        fields.append(pa.field(name, typ))
    return pa.schema(fields)


def _convert(batch: pa.RecordBatch, schema: pa.Schema, categories: dict) -> pa.RecordBatch:
    cols = []
    for f in schema:
        arr = batch.column(batch.schema.get_field_index(f.name))
        if pa.types.is_dictionary(f.type):
            values = pa.array(categories[f.name], pa.string())
            idx = pc.index_in(arr.cast(pa.string()), value_set=values)
            arr = pa.DictionaryArray.from_arrays(idx.cast(f.type.index_type), values)
        elif pa.types.is_timestamp(f.type):
            arr = arr.cast(pa.int64()).cast(f.type)
        else:
            arr = arr.cast(f.type, safe=False)  # int8 days wrap like numpy's astype
        cols.append(arr)
    return pa.RecordBatch.from_arrays(cols, schema=schema)


def _write_batches(batches, path: Path, schema: pa.Schema, categories: dict) -> int:
    n = 0
    with pq.ParquetWriter(path, schema, compression=PARQUET_OPTS["compression"]) as w:
        for b in batches:
            if b.num_rows:
                w.write_batch(
                    _convert(b, schema, categories), row_group_size=PARQUET_OPTS["row_group_size"]
                )
                n += b.num_rows
    return n


def _write_frame(df: pd.DataFrame, path: Path) -> None:
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, **PARQUET_OPTS)


# ---------------------------------------------------------------------------------------------
# Reading and validating the big files
# ---------------------------------------------------------------------------------------------
_INT_KINDS = (S.ID, S.EPOCH_MS, S.INT, S.FLAG, S.DURATION_MS, S.PRICE, S.PDATE)


def _stage_type(col: S.Column) -> pa.DataType:
    if col.kind == S.EPOCH_MS:
        return pa.int64()
    if col.kind in _INT_KINDS:
        return pa.from_numpy_dtype(np.dtype(col.dtype))
    return pa.string()


def _with_offset(err: IO.DataError, offset: int) -> IO.DataError:
    """``err`` of one batch, its line number moved by the ``offset`` rows before the batch."""
    if err.row is None:
        return err
    row = err.row + offset
    msg = re.sub(rf"\bline {err.row}\b", f"line {row}", str(err), count=1)
    return IO.DataError(msg, file=err.file, column=err.column, row=row, value=err.value)


def _needs_check(col: S.Column, arr: pa.Array) -> bool:
    """True when ``arr`` may break a rule ``io._convert_column`` enforces."""
    if col.kind == S.DATE:
        return True
    if col.kind not in _INT_KINDS or len(arr) == arr.null_count:
        return False
    mm = pc.min_max(arr)
    lo, hi = mm["min"].as_py(), mm["max"].as_py()
    if col.min_value is not None and lo < col.min_value:
        return True
    if col.max_value is not None and hi > col.max_value:
        return True
    if col.kind != S.EPOCH_MS and col.dtype in IO.INT_BITS:
        a, b = IO.INT_BITS[col.dtype]
        return lo < a or hi > b
    return False


def _null_error(col, path, reader_rest, idx, first_line, n_null) -> IO.DataError:
    for batch in reader_rest:  # count the empty values of the whole file, as io does
        n_null += batch.column(idx).null_count
    return IO.DataError(
        f"File {path.name}, column {col.name!r}: {n_null:,} empty value(s), first on line "
        f"{first_line}; {col.name} may not be empty.",
        file=path.name,
        column=col.name,
        row=first_line,
    )


def _csv_reader(path: Path, sch: S.FileSchema, header: list[str]):
    want = sch.column_names
    types = {c: IO._arrow_type(sch.column(c)) for c in want}
    try:
        return pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=BLOCK_SIZE),
            convert_options=pacsv.ConvertOptions(
                include_columns=want,
                column_types=types,
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise IO._arrow_error(exc, path, sch, header) from exc
    except IO.READ_ERRORS as exc:
        raise _read_error(path, exc) from exc


_read_error = IO.read_error  # one wording for unreadable and corrupt files


def _batches(reader, path, sch, header):
    while True:
        try:
            yield reader.read_next_batch()
        except StopIteration:
            return
        except pa.ArrowInvalid as exc:
            raise IO._arrow_error(exc, path, sch, header) from exc
        except IO.READ_ERRORS as exc:
            raise _read_error(path, exc) from exc


def _file_checks(data_dir, name: str) -> tuple[Path, S.FileSchema, list[str]]:
    sch = S.SCHEMAS[name]
    path = IO.find_file(data_dir, sch.filename)
    header = IO.read_header(path)
    IO._check_columns(sch, header, path)
    IO.check_last_line(path)
    return path, sch, header


def _sample(sch: S.FileSchema, batch: pa.RecordBatch, path: Path) -> dict:
    head = batch.slice(0, 3)
    df = pd.DataFrame(
        {
            c: IO._convert_column(sch.column(c), pa.chunked_array([head.column(c)]), path)
            for c in sch.column_names
        }
    )
    return df.head(3).to_dict(orient="split")


def stage_csv(data_dir, name: str, dest: Path) -> dict:
    """Read and validate raw file ``name`` in batches into the Parquet file ``dest`` (schema
    columns in narrow types plus ``_row``). Returns rows, time range and the 3-row sample."""
    path, sch, header = _file_checks(data_dir, name)
    reader = _csv_reader(path, sch, header)
    out_schema = pa.schema([(c.name, _stage_type(c)) for c in sch.columns] + [("_row", pa.int64())])
    ts_cols = [c.name for c in sch.columns if c.kind == S.EPOCH_MS]
    rows, t_min, t_max, sample = 0, None, None, None
    it = _batches(reader, path, sch, header)
    with pq.ParquetWriter(dest, out_schema, compression="lz4") as w:
        for batch in it:
            n = batch.num_rows
            if not n:
                continue
            for i, col in enumerate(sch.columns):
                arr = batch.column(i)
                if arr.null_count and not col.nullable:
                    mask = arr.is_null().to_numpy(zero_copy_only=False)
                    raise _null_error(col, path, it, i, IO._first_row(mask) + rows, arr.null_count)
                if _needs_check(col, arr):
                    try:
                        IO._convert_column(col, pa.chunked_array([arr]), path)
                    except IO.DataError as err:
                        raise _with_offset(err, rows) from None
            if sample is None:
                sample = _sample(sch, batch, path)
            for c in ts_cols:
                mm = pc.min_max(batch.column(c))
                lo, hi = mm["min"].as_py(), mm["max"].as_py()
                t_min = lo if t_min is None else min(t_min, lo)
                t_max = hi if t_max is None else max(t_max, hi)
            cols = [batch.column(i).cast(f.type) for i, f in enumerate(list(out_schema)[:-1])]
            cols.append(pa.array(np.arange(rows, rows + n, dtype=np.int64)))
            w.write_batch(pa.RecordBatch.from_arrays(cols, schema=out_schema))
            rows += n
    if rows == 0:
        raise IO.DataError(f"File {path.name} has a header but no data rows.", file=path.name)
    return {"rows": rows, "t_min": t_min, "t_max": t_max, "sample": sample}


# ---------------------------------------------------------------------------------------------
# Spark reading
# ---------------------------------------------------------------------------------------------
_SPARK_TYPE = {
    pa.int8(): "TINYINT",
    pa.int16(): "SMALLINT",
    pa.int32(): "INT",
    pa.int64(): "BIGINT",
    pa.string(): "STRING",
}


def _spark_value_error(path: Path, col: S.Column, v, word: str) -> IO.DataError:
    where = (
        f"File {path.name}, column {col.name!r} (the first such row in file order; Spark "
        f"reads files in parallel and reports no line number, run --engine duckdb for it)"
    )
    if col.kind == S.EPOCH_MS:
        msg = (
            f"{where}: timestamp {v} ({format_ms(v)} Beijing) is outside any plausible "
            f"KuaiLive window (2025-01-01 .. 2026-01-01). Timestamps must be epoch "
            f"milliseconds; seconds or microseconds give this error."
        )
    elif col.kind == S.DURATION_MS:
        msg = f"{where}: negative watch time {v} ms; durations must be >= 0."
    elif col.kind == S.PRICE:
        msg = (
            f"{where}: price {v} is {word} the minimum {col.min_value:g}; gift prices are "
            f"positive integers."
        )
    else:
        msg = f"{where}: value {v} is {word} the allowed bounds of {col.kind} column {col.name}."
    return IO.DataError(msg, file=path.name, column=col.name, value=v)


def _spark_parse_error(spark, path: Path, sch: S.FileSchema, header, exc) -> IO.DataError:
    """The :class:`DataError` for a file Spark's FAILFAST read rejected, naming the column and
    the first value that is not an integer (or the first line with the wrong number of
    fields), found by a second, permissive read of every column as text."""
    ints = [c.name for c in sch.columns if c.kind in _INT_KINDS]
    try:
        ddl = ", ".join(f"`{h}` STRING" for h in header) + ", `_corrupt` STRING"
        df = (
            spark.read.schema(ddl)
            .option("header", "true")
            .option("mode", "PERMISSIVE")
            .option("columnNameOfCorruptRecord", "_corrupt")
            .csv(str(path))
        )
        picks = [
            f"first(CASE WHEN `{c}` IS NOT NULL AND try_cast(`{c}` AS BIGINT) IS NULL "
            f"THEN `{c}` END, true) AS `{c}`"
            for c in ints
        ] + ["first(_corrupt, true) AS _corrupt"]
        df.createOrReplaceTempView("_kuailive_diagnose")
        row = spark.sql(f"SELECT {', '.join(picks)} FROM _kuailive_diagnose").collect()[0]
        row = row.asDict()
    except Exception:  # noqa: BLE001 (the diagnosis is best effort on a failing file)
        row = {}
    for c in ints:
        if row.get(c) is not None:
            col = sch.column(c)
            return IO.DataError(
                f"File {path.name}, column {c!r}: value {excerpt(row[c])!r} is not an integer, "
                f"but {c} is a {col.kind} column holding integers (Spark reports no line number; "
                f"run --engine duckdb for it).",
                file=path.name,
                column=c,
                value=row[c],
            )
    if row.get("_corrupt") is not None:
        return IO.DataError(
            f"File {path.name} is malformed: a line has the wrong number of fields "
            f"({excerpt(row['_corrupt'], 80)!r}); the file may be truncated or have an unquoted "
            f"comma (Spark reports no line number; run --engine duckdb for it).",
            file=path.name,
        )
    text = str(exc).strip()
    m = re.search(r"\[([A-Z_.]+)\][^\n]*", text)
    return IO.DataError(
        f"File {path.name} could not be parsed by Spark ({excerpt(m.group(0) if m else text)}); "
        f"run --engine duckdb for the line and column.",
        file=path.name,
    )


def stage_csv_spark(engine, data_dir, name: str, dest: Path) -> dict:
    """Spark reads raw file ``name`` itself (explicit schema, FAILFAST), checks it in SQL and
    writes ``dest`` (a folder of Parquet parts) with ``_row`` (see the module docstring)."""
    from pyspark.sql import functions as SF

    path, sch, header = _file_checks(data_dir, name)
    spark = engine.spark
    types = {c.name: ("BIGINT" if c.kind in _INT_KINDS else "STRING") for c in sch.columns}
    ddl = ", ".join(f"`{h}` {types.get(h, 'STRING')}" for h in header)
    df = (
        spark.read.schema(ddl)
        .option("header", "true")
        .option("mode", "FAILFAST")
        .option("enforceSchema", "true")
        .csv(str(path))
        .select(*sch.column_names)
        .withColumn("_row", SF.monotonically_increasing_id())
    )
    view = f"_csv_{name}_{uuid.uuid4().hex[:6]}"
    df.createOrReplaceTempView(view)
    checks = ["count(*) AS n"]
    for c in sch.columns:
        q = f"`{c.name}`"
        checks.append(f"sum(CASE WHEN {q} IS NULL THEN 1 ELSE 0 END) AS `null_{c.name}`")
        if c.kind not in _INT_KINDS:
            continue
        lo, hi = c.min_value, c.max_value
        if c.kind != S.EPOCH_MS and c.dtype in IO.INT_BITS:
            a, b = IO.INT_BITS[c.dtype]
            lo, hi = (a if lo is None else max(lo, a)), (b if hi is None else min(hi, b))
        bad = " OR ".join(
            x
            for x in (
                (f"{q} < {lo:.0f}" if lo is not None else ""),
                (f"{q} > {hi:.0f}" if hi is not None else ""),
            )
            if x
        )
        checks.append(
            f"min_by(CASE WHEN {bad} THEN {q} END, CASE WHEN {bad} THEN _row END) AS `bad_{c.name}`"
        )
    for c in ts_cols_of(sch):
        checks += [f"min(`{c}`) AS `tmin_{c}`", f"max(`{c}`) AS `tmax_{c}`"]
    try:
        r = spark.sql(f"SELECT {', '.join(checks)} FROM {view}").collect()[0].asDict()
    except Exception as exc:  # FAILFAST: a value that does not parse as the column's type
        raise _spark_parse_error(spark, path, sch, header, exc) from None
    if not r["n"]:
        raise IO.DataError(f"File {path.name} has a header but no data rows.", file=path.name)
    for c in sch.columns:
        if r[f"null_{c.name}"] and not c.nullable:
            raise IO.DataError(
                f"File {path.name}, column {c.name!r}: {r[f'null_{c.name}']:,} empty value(s); "
                f"{c.name} may not be empty (Spark reports no line number; run --engine duckdb "
                f"for it).",
                file=path.name,
                column=c.name,
            )
        v = r.get(f"bad_{c.name}")
        if v is not None:
            word = "below" if c.min_value is not None and v < c.min_value else "above"
            raise _spark_value_error(path, c, v, word)
    cols = [SF.col(c.name).cast(_SPARK_TYPE[_stage_type(c)]).alias(c.name) for c in sch.columns]
    df.select(*cols, "_row").write.mode("overwrite").parquet(str(dest))
    spark.catalog.dropTempView(view)
    ts = ts_cols_of(sch)
    sample_rows = pq.read_table(sorted(Path(dest).glob("part-*.parquet"))[0]).slice(0, 3)
    sample = _sample(sch, sample_rows.combine_chunks().to_batches()[0], path)
    return {
        "rows": int(r["n"]),
        "t_min": min(r[f"tmin_{c}"] for c in ts) if ts else None,
        "t_max": max(r[f"tmax_{c}"] for c in ts) if ts else None,
        "sample": sample,
    }


def ts_cols_of(sch: S.FileSchema) -> list[str]:
    return [c.name for c in sch.columns if c.kind == S.EPOCH_MS]


# ---------------------------------------------------------------------------------------------
# Engine helpers
# ---------------------------------------------------------------------------------------------
def _is_spark(engine: Engine) -> bool:
    return getattr(engine, "name", "") == "spark"


def _parts(path: Path) -> list[Path]:
    path = Path(path)
    return sorted(path.glob("part-*.parquet")) if path.is_dir() else [path]


def _stream(engine: Engine, query, staging: Path, **params):
    """Record batches of ``query``'s result in its ORDER BY order."""
    if not _is_spark(engine):
        # the engine runs with preserve_insertion_order = false, under which DuckDB may hand
        # out the batches of an ORDER BY result out of order: keep the order while streaming
        engine.execute("SET preserve_insertion_order = true")
        try:
            yield from engine.con.sql(engine.render(query, **params)).to_arrow_reader(BATCH_ROWS)
        finally:
            engine.execute("SET preserve_insertion_order = false")
        return
    dest = staging / f"out-{query.name}"
    engine.write(query, dest, **params)
    for part in _parts(dest):
        yield from pq.ParquetFile(part).iter_batches(BATCH_ROWS)
    shutil.rmtree(dest, ignore_errors=True)


def _materialize(engine: Engine, query, staging: Path, *, keep: bool = True, **params) -> None:
    """Make the result of ``query`` available as ``query.name``: with ``keep`` computed once
    (DuckDB: a temporary table, which DuckDB spills to its temp folder beyond its memory limit;
    Spark: Parquet parts under ``staging``), else a view (recomputed by each reader; for cheap
    projections read once or twice)."""
    name = query.name
    sql = engine.render(query, **params)
    if _is_spark(engine):
        if keep:
            dest = staging / f"{name}.parquet"
            engine.write(query, dest, **params)
            engine.register(name, _parts(dest))
            return
        engine.execute(f"CREATE OR REPLACE TEMPORARY VIEW `{name}` AS {sql}")
    else:
        kind = "TABLE" if keep else "VIEW"
        engine.execute(f'CREATE OR REPLACE TEMP {kind} "{name}" AS {sql}')
    engine.tables[name] = ()


def _drop(engine: Engine, name: str) -> None:
    """Free a DuckDB table made by :func:`_materialize` (Spark's staging goes with the folder)."""
    if not _is_spark(engine):
        kind = engine.con.execute(
            "SELECT 'VIEW' FROM duckdb_views() WHERE view_name = ? UNION ALL "
            "SELECT 'TABLE' FROM duckdb_tables() WHERE table_name = ?",
            [name, name],
        ).fetchall()
        for (k,) in kind:
            engine.execute(f'DROP {k} IF EXISTS "{name}"')
    engine.tables.pop(name, None)


# ---------------------------------------------------------------------------------------------
# The build
# ---------------------------------------------------------------------------------------------
def build_cache(
    data_dir, params: CL.CleaningParams, out: Path, *, engine: Engine, progress: bool = False
) -> dict:
    """Build every cache table of raw folder ``data_dir`` under cleaning ``params`` into the
    folder ``out`` (created; ``<table>.parquet`` per table, no ``meta.json``) on ``engine``.

    Returns ``{"samples": ..., "rows": {table: rows}, "engine": engine.describe()}``;
    ``samples`` is what ``dataset.build_tables`` returns for the cache's meta (first three rows
    of each raw file as read). Raises :class:`~kuailive_analysis.data.io.DataError` for unusable
    input. The staging folder ``out/../staging.tmp-<pid>-*`` is removed, also on failure.
    """

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    staging = owned_tmpdir(out.parent, "staging")
    spark = _is_spark(engine)
    if spark:
        engine.spark.conf.set("spark.sql.files.maxPartitionBytes", str(2 << 30))
    stages = [
        "users and streamers",
        "room.csv",
        *(f"{n}.csv" for n in S.EVENT_TABLES),
        "quality",
        "rooms",
        *(QM.EVENT_ATTRS[n] for n in S.EVENT_TABLES),
        "sessions",
        "user_day",
        "sensitivity",
    ]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(stages), desc="ingest", unit="stage")
        if hasattr(engine, "set_progress"):
            engine.set_progress(True)

    def done(stage):
        if bar:
            bar.set_postfix_str(stage)
            bar.update()

    try:
        result = _build(
            data_dir, params, out, engine, staging, spark, done, QC.SENSITIVITY_THRESHOLDS
        )
    finally:
        if bar:
            bar.close()
            if hasattr(engine, "set_progress"):
                engine.set_progress(False)
        shutil.rmtree(staging, ignore_errors=True)
    return result


def _build(
    data_dir,
    p: CL.CleaningParams,
    out: Path,
    engine: Engine,
    staging: Path,
    spark: bool,
    done,
    thresholds,
) -> dict:
    samples: dict = {}
    info: dict[str, dict] = {}
    steps: list[CL.Step] = []
    rows: dict[str, int] = {}
    # 1. users and streamers (small) in pandas
    for name, key, attr, feat in (
        ("user", "user_id", "users", F.user_features),
        ("streamer", "streamer_id", "streamers", F.streamer_features),
    ):
        raw = IO.read_table(data_dir, name)
        samples[name] = raw.head(3).to_dict(orient="split")
        info[name] = {"rows": len(raw), "columns": raw.shape[1], "raw": raw}
        df, st = CL.dedupe_keys(raw, key, name)
        steps.append(st)
        table = feat(df)
        _write_frame(table, out / f"{attr}.parquet")
        rows[attr] = len(table)
        engine.register(attr, out / f"{attr}.parquet")
    done("users and streamers")
    # 2. the big files
    for name in ("room", *S.EVENT_TABLES):
        if spark:
            dest = staging / f"raw_{name}"
            info[name] = stage_csv_spark(engine, data_dir, name, dest)
            engine.register(f"raw_{name}", _parts(dest))
        else:
            dest = staging / f"raw_{name}.parquet"
            info[name] = stage_csv(data_dir, name, dest)
            engine.register(f"raw_{name}", dest)
        samples[name] = info[name]["sample"]
        done(f"{name}.csv")
    samples = {n: samples[n] for n in S.SCHEMAS}
    # 3. raw_files (the quality counts come with the rooms and the marks of the events)
    raw_files = _raw_files(info)
    # 4. rooms: rules 1-3
    long_min = 0.0 if p.max_room_days is None else float(p.max_room_days) * 1440.0
    _materialize(
        engine,
        QC.ROOMS_ALL,
        staging,
        name_first=p.room_name_rule == "first",
        has_long=p.max_room_days is not None,
        long_min=long_min,
    )
    rc = engine.frame(QC.ROOM_COUNTS).iloc[0]
    drop_long = p.long_rooms == "drop"
    n_raw, n_rooms, n_long = int(rc["n_raw"]), int(rc["n_rooms"]), int(rc["n_long"])
    steps.append(CL.Step("duplicate_rooms", "room", n_raw, n_raw - n_rooms, int(rc["n_conflict"])))
    steps.append(CL.Step("censored_room_end", "room", n_rooms, 0, int(rc["n_censored"])))
    room_q = engine.frame(QC.RAW_ROOM_QUALITY).iloc[0].copy()
    room_q["dup_live"] = n_raw - n_rooms
    event_q = {}
    done("quality")
    steps.append(
        CL.Step(
            "long_rooms", "room", n_rooms, n_long if drop_long else 0, 0 if drop_long else n_long
        )
    )
    cats = engine.frame(QC.ROOM_CATEGORIES)["category"].tolist()
    categories = {"live_content_category": cats}
    rows["rooms"] = _write_batches(
        _stream(engine, QM.ROOMS, staging, drop_long=drop_long),
        out / "rooms.parquet",
        _schema("rooms", categories),
        categories,
    )
    engine.register("rooms", out / "rooms.parquet")
    done("rooms")
    # 5. events: rules 4-8
    _register_thresholds(engine, thresholds)
    event_sens = {}
    for name in S.EVENT_TABLES:
        qs = QC.EVENT_QUERIES[name]
        _materialize(engine, qs["marks"], staging, drop_outside=p.drop_outside_window)
        event_q[name] = engine.frame(qs["quality"]).iloc[0]
        event_sens[name] = engine.frame(qs["sensitivity"]).set_index("i")["n"]
        _materialize(
            engine,
            qs["clean"],
            staging,
            keep=p.streamer_mismatch == "fix",  # only 'fix' needs the costly copy search
            drop_dup=p.drop_duplicate_events,
            drop_orphans=p.drop_orphans,
            drop_long=drop_long,
            mismatch_drop=p.streamer_mismatch == "drop",
            mismatch_fix=p.streamer_mismatch == "fix",
        )
        c = {k: int(v) for k, v in engine.frame(qs["counts"]).iloc[0].items()}
        steps += _event_steps(name, c, p)
        attr = QM.EVENT_ATTRS[name]
        rows[attr] = _write_batches(
            _stream(engine, QM.CLEAN_EVENTS[name], staging),
            out / f"{attr}.parquet",
            _schema(attr, {}),
            {},
        )
        engine.register(attr, out / f"{attr}.parquet")
        _drop(engine, qs["clean"].name)
        _drop(engine, qs["marks"].name)
        done(attr)
    report = pd.DataFrame([s.as_row() for s in steps], columns=CL.REPORT_COLUMNS)
    for col in CL.REPORT_COLUMNS[2:]:
        report[col] = report[col].astype("int64")
    clean_rows = {
        "user": rows["users"],
        "streamer": rows["streamers"],
        "room": rows["rooms"],
        **{n: rows[QM.EVENT_ATTRS[n]] for n in S.EVENT_TABLES},
    }
    CL.check_report(report, {n: info[n]["rows"] for n in S.SCHEMAS}, clean_rows)
    # 6. sessions and user_day
    pieces = _user_ranges(engine, SESSION_PIECE_EVENTS)
    batches = (
        b
        for lo, hi in pieces
        for b in _stream(engine, QM.SESSIONS, staging, user_lo=lo, user_hi=hi)
    )
    rows["sessions"] = _write_batches(
        batches, out / "sessions.parquet", _schema("sessions", {}), {}
    )
    done("sessions")
    rows["user_day"] = _write_batches(
        _stream(engine, QM.USER_DAY, staging), out / "user_day.parquet", _schema("user_day", {}), {}
    )
    done("user_day")
    # 7. long-room sensitivity and duration histogram
    quality = _quality(info, room_q, event_q)
    sens = _sensitivity(engine, thresholds, n_rooms, info, event_sens)
    hist = _histogram(engine)
    done("sensitivity")
    for name, df in (
        ("report", report),
        ("raw_files", raw_files),
        ("quality", quality),
        ("room_sensitivity", sens),
        ("room_durations", hist),
    ):
        _write_frame(df, out / f"{name}.parquet")
        rows[name] = len(df)
    return {"samples": samples, "rows": rows, "engine": engine.describe()}


def _user_ranges(engine: Engine, per_piece: int) -> list[tuple[int, int]]:
    """Consecutive user_id ranges ``[lo, hi)`` covering every id, each holding about
    ``per_piece`` clean events (a single user with more is a piece of its own): sessions are
    built piece by piece so that the engine's aggregate never holds more than that."""
    per_user = engine.frame(QM.EVENTS_PER_USER)
    ids, n = per_user["user_id"].to_numpy(np.int64), per_user["n"].to_numpy(np.int64)
    cuts, acc = [], 0
    for uid, k in zip(ids, n):
        if acc and acc + k > per_piece:
            cuts.append(int(uid))
            acc = 0
        acc += k
    bounds = [0, *cuts, 2**31]
    return list(zip(bounds[:-1], bounds[1:]))


def _event_steps(name: str, c: dict, p: CL.CleaningParams) -> list[CL.Step]:
    def step(rule, rows_in, k, drop, flagged_extra=0, dropped=None):
        if dropped is not None:
            return CL.Step(rule, name, rows_in, dropped, k)
        return (
            CL.Step(rule, name, rows_in, k, flagged_extra)
            if drop
            else CL.Step(rule, name, rows_in, 0, k + flagged_extra)
        )

    mode = p.streamer_mismatch
    return [
        step("events_outside_window", c["n"], c["w_out"], p.drop_outside_window),
        step("duplicate_events", c["k4"], c["dup"], p.drop_duplicate_events),
        step("orphan_events", c["k5"], c["bad"], p.drop_orphans, c["unknown_streamer"]),
        step("long_rooms", c["k6"], c["in_long"], p.long_rooms == "drop"),
        (
            step("streamer_mismatch", c["k7"], c["mism"], True)
            if mode == "drop"
            else step(
                "streamer_mismatch",
                c["k7"],
                c["mism"],
                False,
                dropped=c["new_dup"] if mode == "fix" else 0,
            )
        ),
    ]


def _quality(info: dict, r: pd.Series, event_q: dict) -> pd.DataFrame:
    """io.quality_checks from the counts of RAW_ROOM_QUALITY (``r``) and of each event
    table's ``quality`` query (``event_q``); duplicate keys of users / streamers in pandas."""
    rows = []

    def add(check, table, count, detail):
        count = int(count)
        rows.append(
            {
                "check": check,
                "table": table,
                "count": count,
                "severity": "ok" if count == 0 else "warning",
                "detail": detail,
            }
        )

    for name, key in (("user", "user_id"), ("streamer", "streamer_id")):
        add(
            "duplicate key",
            name,
            info[name]["raw"][key].duplicated().sum(),
            f"rows sharing a {key} (must be unique)",
        )
        del info[name]["raw"]
    add(
        "duplicate live_id rows",
        "room",
        r["dup_live"],
        "extra rows per live_id (rooms crossing midnight appear once per p_date)",
    )
    add("end before start", "room", r["end_before"], "rooms whose end precedes the start")
    add("longer than 1 day", "room", r["over_day"], "room rows over 24 h")
    add(
        "end capped (still live)",
        "room",
        r["capped"],
        "end_timestamp at the 2025-05-27 cap = right-censored",
    )
    add("orphan streamer_id", "room", r["orphan_streamer"], "streamer_id not in streamer.csv")
    for name in S.EVENT_TABLES:
        q = event_q[name]
        add("exact duplicate rows", name, q["dup"], "identical rows")
        add(
            "outside window",
            name,
            q["outside"],
            "timestamp outside 2025-05-05 .. 2025-05-25 Beijing",
        )
        add("orphan live_id", name, q["orphan_live"], "live_id not in room.csv")
        add(
            "streamer mismatch",
            name,
            q["mismatch"],
            "streamer_id differs from the room's streamer_id",
        )
        add("orphan user_id", name, q["orphan_user"], "user_id not in user.csv")
        add("orphan streamer_id", name, q["orphan_streamer"], "streamer_id not in streamer.csv")
    return pd.DataFrame(rows, columns=["check", "table", "count", "severity", "detail"])


def _raw_files(info: dict) -> pd.DataFrame:
    out = []
    for name, sch in S.SCHEMAS.items():
        i = info[name]
        first = last = ""
        if i.get("t_min") is not None:
            first, last = format_ms(int(i["t_min"])), format_ms(int(i["t_max"]))
        out.append(
            {
                "file": sch.filename,
                "rows": i["rows"],
                "columns": i.get("columns", len(sch.columns)),
                "first time": first,
                "last time": last,
            }
        )
    return pd.DataFrame(out)


def _register_thresholds(engine: Engine, thresholds) -> None:
    """``stage_thresholds(i, lim)``: the long-room thresholds in minutes (None: never)."""
    lims = [1e300 if t is None else float(t) * 1440.0 for t in thresholds]
    engine.register_frame(
        "stage_thresholds",
        pd.DataFrame(
            {"i": np.arange(len(lims), dtype=np.int64), "lim": np.array(lims, dtype=np.float64)}
        ),
    )


def _sensitivity(engine: Engine, thresholds, n_rooms: int, info: dict, ev: dict) -> pd.DataFrame:
    """clean.long_room_sensitivity from ROOM_SENSITIVITY and the events' counts ``ev``."""
    rooms = engine.frame(QC.ROOM_SENSITIVITY).set_index("i")["n"]
    out = []
    for i, t in enumerate(thresholds):
        k = int(rooms.get(i, 0))
        row = {
            "max_room_days": np.inf if t is None else float(t),
            "rooms_dropped": k,
            "rooms_dropped_share": float(k / n_rooms) if n_rooms else 0.0,
        }
        for n in S.EVENT_TABLES:
            kn = int(ev[n].get(i, 0))
            row[f"{n}_dropped"] = kn
            row[f"{n}_dropped_share"] = kn / max(info[n]["rows"], 1)
        out.append(row)
    return pd.DataFrame(out)


def _histogram(engine: Engine) -> pd.DataFrame:
    edges = CL.DURATION_EDGES_MIN
    engine.register_frame(
        "stage_duration_edges",
        pd.DataFrame(
            {
                "i": np.arange(len(edges) - 1, dtype=np.int64),
                "lo": edges[:-1],
                "hi": edges[1:],
                "is_last": np.arange(len(edges) - 1) == len(edges) - 2,
            }
        ),
    )
    h = (
        engine.frame(QC.DURATION_HISTOGRAM)
        .set_index("i")
        .reindex(np.arange(len(edges) - 1), fill_value=0)
    )
    return pd.DataFrame(
        {
            "lo_min": edges[:-1],
            "hi_min": edges[1:],
            "real": h["real"].to_numpy().astype(np.int64),
            "censored": h["censored"].to_numpy().astype(np.int64),
        }
    )


def staging_dirs(out: Path) -> list[Path]:
    """Leftover staging folders next to ``out`` (for cleanup after a crash)."""
    return sorted(Path(out).parent.glob("staging-*"))
