"""Run a definition of :mod:`kuailive_analysis.engine.queries` on pandas frames.

The pandas functions of the analysis modules (frames in, frame out; tests and other modules call
them with hand-made frames) are thin wrappers over the same :class:`~.sql.Query` the chapters
run on a dataset's engine: :func:`run_on_frames` opens a transient in-memory DuckDB, lets it
scan the given frames in place (no copy) under the query's table names and returns the result.
So an aggregation has one definition whether its input is the Parquet cache or a frame.
"""

from __future__ import annotations

import pandas as pd

from kuailive_analysis.engine.sql import Query


def run_on_frames(query: Query, params: dict | None = None, **frames: pd.DataFrame) -> pd.DataFrame:
    """The result of ``query`` (with ``params`` over its defaults) on DuckDB over ``frames``
    (table name -> frame); every input table of the query must be given."""
    from kuailive_analysis.engine.duckdb_engine import DuckDBEngine

    missing = [t for t in query.inputs if t not in frames]
    if missing:
        raise TypeError(f"query {query.name} needs frame(s) {missing}")
    eng = DuckDBEngine()
    try:
        for name, df in frames.items():
            eng.con.register(name, df)
            eng.tables[name] = ()
        return eng.frame(query, **(params or {}))
    finally:
        eng.close()


def typed_empty(columns: dict[str, str]) -> pd.DataFrame:
    """An empty frame with the given column dtypes (an optional input that was not given)."""
    return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in columns.items()})
