"""Writing the cache tables, and running the build's queries on either engine.

:data:`TARGETS` declares the Arrow schema of every engine-built cache table (the types the
chapters read: ``timestamp[ms, tz=Asia/Shanghai]`` instants, int8 days and hours, int32 ids,
...); :func:`write_batches` casts the engine's result to it while streaming it into one
``<table>.parquet``. :func:`stream`, :func:`materialize` and :func:`drop` run a query of the
build on DuckDB or Spark alike.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kuailive_analysis.data import schema as S
from kuailive_analysis.engine.base import Engine
from kuailive_analysis.engine.queries import model as QM

__all__ = [
    "CATEGORY",
    "TARGETS",
    "drop",
    "is_spark",
    "materialize",
    "parts",
    "stream",
    "table_schema",
    "write_batches",
    "write_frame",
]

TZ_MS = pa.timestamp("ms", tz=S.TZ)
BATCH_ROWS = 1 << 20
PARQUET_OPTS = {"compression": "zstd", "row_group_size": 1 << 20}  # LZ4 is unreadable by Spark
"""Compression and row groups of every cache file."""

CATEGORY = "category"
"""Placeholder type in :data:`TARGETS`: a dictionary column whose values are fixed per build."""


def _event_target(name: str) -> list[tuple[str, object]]:
    extra = [(c.name, pa.int32()) for c in S.SCHEMAS[name].columns[4:]]
    return [
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


_KINDS = ["n_clicks", "watch_ms", "n_comments", "n_likes", "n_gifts", "gift_value", "n_negatives"]


def _kinds(count: pa.DataType) -> list[tuple[str, object]]:
    return [(c, pa.int64() if c in ("watch_ms", "gift_value") else count) for c in _KINDS]


TARGETS: dict[str, list[tuple[str, object]]] = {
    **{QM.EVENT_ATTRS[n]: _event_target(n) for n in S.EVENT_TABLES},
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
        *_kinds(pa.int64()),
        ("n_exposures", pa.int32()),
    ],
    "user_day": [
        ("user_id", pa.int32()),
        ("day", pa.int8()),
        *_kinds(pa.int32()),
        ("active", pa.bool_()),
    ],
}
"""The one declaration of the Arrow schema of every engine-built cache table (the cache format
of :data:`~kuailive_analysis.data.cache.CACHE_FORMAT`). ``CATEGORY``: dictionary<string>
with pandas' code width (int8 below 127 values)."""


def _index_type(n: int) -> pa.DataType:
    """pandas' code width for ``n`` categories (``coerce_indexer_dtype``)."""
    for bits, t in ((8, pa.int8()), (16, pa.int16()), (32, pa.int32())):
        if n < 2 ** (bits - 1) - 1:
            return t
    return pa.int64()


def table_schema(table: str, categories: dict[str, list[str]]) -> pa.Schema:
    """The Arrow schema of cache table ``table`` (``categories``: the values of its
    ``CATEGORY`` columns)."""
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


def write_batches(batches, path: Path, schema: pa.Schema, categories: dict) -> int:
    """Write ``batches`` (an engine's result) cast to ``schema`` into the Parquet file
    ``path``; returns the rows written."""
    n = 0
    with pq.ParquetWriter(path, schema, compression=PARQUET_OPTS["compression"]) as w:
        for b in batches:
            if b.num_rows:
                w.write_batch(
                    _convert(b, schema, categories), row_group_size=PARQUET_OPTS["row_group_size"]
                )
                n += b.num_rows
    return n


def write_frame(df: pd.DataFrame, path: Path) -> None:
    """A (small) pandas table as one Parquet file of the cache."""
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, **PARQUET_OPTS)


# ---------------------------------------------------------------------------------------------
# Running the build's queries
# ---------------------------------------------------------------------------------------------
def is_spark(engine: Engine) -> bool:
    return engine.name == "spark"


def parts(path: Path) -> list[Path]:
    """The Parquet part files of a Spark output folder (or ``[path]`` for one file)."""
    path = Path(path)
    return sorted(path.glob("part-*.parquet")) if path.is_dir() else [path]


def stream(engine: Engine, query, staging: Path, **params):
    """Record batches of ``query``'s result in its ORDER BY order."""
    if not is_spark(engine):
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
    for part in parts(dest):
        yield from pq.ParquetFile(part).iter_batches(BATCH_ROWS)
    shutil.rmtree(dest, ignore_errors=True)


def materialize(engine: Engine, query, staging: Path, *, keep: bool = True, **params) -> None:
    """Make the result of ``query`` available as ``query.name``: with ``keep`` computed once
    (DuckDB: a temporary table, which DuckDB spills to its temp folder beyond its memory limit;
    Spark: Parquet parts under ``staging``), else a view (recomputed by each reader; for cheap
    projections read once or twice)."""
    name = query.name
    sql = engine.render(query, **params)
    if is_spark(engine):
        if keep:
            dest = staging / f"{name}.parquet"
            engine.write(query, dest, **params)
            engine.register(name, parts(dest))
            return
        engine.execute(f"CREATE OR REPLACE TEMPORARY VIEW `{name}` AS {sql}")
    else:
        kind = "TABLE" if keep else "VIEW"
        engine.execute(f'CREATE OR REPLACE TEMP {kind} "{name}" AS {sql}')
    engine.tables[name] = ()


def drop(engine: Engine, name: str) -> None:
    """Free a DuckDB table made by :func:`materialize` (Spark's staging goes with the folder)."""
    if not is_spark(engine):
        kind = engine.con.execute(
            "SELECT 'VIEW' FROM duckdb_views() WHERE view_name = ? UNION ALL "
            "SELECT 'TABLE' FROM duckdb_tables() WHERE table_name = ?",
            [name, name],
        ).fetchall()
        for (k,) in kind:
            engine.execute(f'DROP {k} IF EXISTS "{name}"')
    engine.tables.pop(name, None)
