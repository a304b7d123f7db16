"""What every engine offers: tables by name, named queries in, small pandas frames out.

An engine holds *views* named like the :class:`~kuailive_analysis.dataset.Dataset`
attributes (``clicks``, ``negatives``, ``rooms``, ``sessions`` ...) over files (Parquet or CSV),
runs the :class:`~kuailive_analysis.engine.sql.Query` definitions of
:mod:`kuailive_analysis.engine.queries` against them and returns the (aggregated) result as a
pandas DataFrame, or streams a result to files without it ever entering pandas
(:meth:`Engine.write`). Engines differ only in how they execute; the SQL is the same text.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from kuailive_analysis.engine import sql as Q

FORMATS = ("parquet", "csv")


class EngineError(RuntimeError):
    """An engine could not be started or a query failed (the message names which)."""


class Engine:
    """Base class; see :class:`~.duckdb_engine.DuckDBEngine` and
    :class:`~.spark_engine.SparkEngine`."""

    name = "base"
    dialect = Q.DIALECT

    def __init__(self) -> None:
        self.tables: dict[str, tuple[Path, ...]] = {}

    # -- tables --------------------------------------------------------------------------------
    def register(self, name: str, paths, fmt: str = "parquet", columns: dict | None = None) -> None:
        """Make ``name`` a view over ``paths`` (one file, a list, or a folder of part files)."""
        paths = tuple(
            Path(p) for p in ([paths] if isinstance(paths, (str, os.PathLike)) else paths)
        )
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
        self._register(name, paths, fmt, columns)
        self.tables[name] = paths

    def register_frame(self, name: str, df: pd.DataFrame) -> None:
        """Make a (small) pandas frame available to queries as ``name``."""
        self._register_frame(name, df)
        self.tables[name] = ()

    def has(self, name: str) -> bool:
        return name in self.tables

    # -- queries -------------------------------------------------------------------------------
    def render(self, query: Q.Query | str, **params) -> str:
        return Q.render(query, self.dialect, **params)

    def frame(self, query: Q.Query | str, **params) -> pd.DataFrame:
        """The result of ``query`` as a pandas DataFrame (rows sorted by its ``order_by``)."""
        self.check_inputs(query)
        sql = self.render(query, **params)
        if isinstance(query, Q.Query) and query.order_by:
            sql = f"SELECT * FROM ({sql}) AS q ORDER BY {', '.join(query.order_by)}"
        try:
            df = self._frame(sql)
        except Exception as exc:  # name the query, keep the engine's own message
            name = query.name if isinstance(query, Q.Query) else "SQL"
            raise EngineError(f"{self.name}: query {name} failed: {exc}") from exc
        return df.reset_index(drop=True)

    def scalar(self, query: Q.Query | str, **params):
        df = self.frame(query, **params)
        return df.iat[0, 0] if len(df) else None

    def write(self, query: Q.Query | str, path: Path, fmt: str = "parquet", **params) -> Path:
        """Stream the result of ``query`` to ``path`` (a file for DuckDB, a folder of part files
        for Spark) in ``fmt``; nothing passes through pandas."""
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
        self.check_inputs(query)
        return self.write_sql(self.render(query, **params), path, fmt)

    def write_sql(self, sql: str, path: Path, fmt: str = "parquet") -> Path:
        """Stream the result of ``sql`` (a statement in this engine's dialect) to ``path`` as
        :meth:`write` does."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._write(sql, Path(path), fmt)
        return Path(path)

    def check_inputs(self, query) -> None:
        """:class:`EngineError` naming the tables ``query`` reads that are not registered."""
        if isinstance(query, Q.Query):
            missing = [t for t in query.inputs if t not in self.tables]
            if missing:
                raise EngineError(
                    f"query {query.name} needs table(s) {missing}; the engine has "
                    f"{sorted(self.tables)}"
                )

    def set_progress(self, on: bool) -> None:
        """Show the engine's own progress bar for long queries (where it has one)."""

    def describe(self) -> dict:
        """Name and version, recorded in the book's provenance."""
        return {"engine": self.name}

    def close(self) -> None:  # pragma: no cover - trivial
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- to implement ------------------------------------------------------------------------
    def _register(self, name, paths, fmt, columns):  # pragma: no cover - abstract
        raise NotImplementedError

    def _register_frame(self, name, df):  # pragma: no cover - abstract
        raise NotImplementedError

    def _frame(self, sql: str) -> pd.DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError

    def _write(self, sql: str, path: Path, fmt: str) -> None:  # pragma: no cover - abstract
        raise NotImplementedError
