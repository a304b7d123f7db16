"""What an export writes: its tables, the query of each and the views they read."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from kuailive_analysis.engine import sql as Q
from kuailive_analysis.engine.base import Engine
from kuailive_analysis.engine.queries import export as X
from kuailive_analysis.export.guard import ExportError

__all__ = [
    "CLEAN_TABLES",
    "EVENT_TABLES",
    "MODEL_TABLES",
    "TABLES",
    "cache_rows",
    "queries",
    "register_cache",
]

CLEAN_TABLES = ("users", "streamers", "rooms", "clicks", "comments", "likes", "gifts", "negatives")
MODEL_TABLES = ("sessions", "user_day", "rfm")
TABLES = (*CLEAN_TABLES, *MODEL_TABLES, "interactions")
"""Every exported table, in the order written."""

EVENT_TABLES = tuple(t for _, t in X.EVENT_KINDS)
CACHED = (*CLEAN_TABLES, "sessions", "user_day")
"""The exported tables that are tables of the Parquet cache."""


def register_cache(engine: Engine, cache_path: Path) -> None:
    """Views over the cache's Parquet files on ``engine``: every table of the data contract
    and, for ``export_interactions``, each event table again as ``<table>_rows`` with a
    0-based ``_row`` (position in the cache file: the file-order tie-breaker)."""
    cache_path = Path(cache_path)
    for name in CACHED:
        path = cache_path / f"{name}.parquet"
        if not path.exists():
            raise ExportError(
                f"the Parquet cache {cache_path} has no {name}.parquet; delete "
                "the folder and load the data again"
            )
        engine.register(name, path)
        if name not in EVENT_TABLES:
            continue
        rows = f"{name}{X.ROWS_SUFFIX}"
        if engine.name == "duckdb":
            p = "'" + str(path).replace("'", "''") + "'"
            engine.execute(
                f'CREATE OR REPLACE VIEW "{rows}" AS SELECT * EXCLUDE '
                f"(file_row_number), file_row_number AS _row FROM read_parquet({p}, "
                "file_row_number = true)"
            )
        else:  # Spark: the row's index in its Parquet file
            (
                engine.spark.read.parquet(str(path))
                .selectExpr("*", "_metadata.row_index AS _row")
                .createOrReplaceTempView(rows)
            )
        engine.tables[rows] = (path,)


def _cast(arrow_type) -> str:
    """SQL cast of a cache column for the export ('' = keep): naive timestamps are dates."""
    if pa.types.is_timestamp(arrow_type) and arrow_type.tz is None:
        return "DATE"
    return ""


def queries(cache_path: Path) -> dict[str, tuple[Q.Query, dict]]:
    """Export table -> (query, parameters), in :data:`TABLES` order."""
    out = {}
    for name in CACHED:
        schema = pq.read_schema(Path(cache_path) / f"{name}.parquet")
        out[name] = (X.table_query(name, {f.name: _cast(f.type) for f in schema}), {})
    out["rfm"] = (X.RFM, {})
    out["interactions"] = (X.INTERACTIONS, {})
    return {t: out[t] for t in TABLES}


def cache_rows(cache_path: Path) -> dict[str, int]:
    """Row count of every exported table, from the cache's Parquet metadata."""
    rows = {n: pq.read_metadata(Path(cache_path) / f"{n}.parquet").num_rows for n in CACHED}
    rows["rfm"] = rows["users"]
    rows["interactions"] = sum(rows[t] for t in EVENT_TABLES)
    return {t: rows[t] for t in TABLES}
